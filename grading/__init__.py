"""Course grading tools: nbgrader plumbing for instructors and the course's own tests.

``python -m grading release|autograde|feedback|grades`` (wrapped by the Makefile);
``grading.sandbox`` grades each submission in its own process and scratch course, with limits;
``grading.preprocessors`` (used by nbgrader_config.py) restores tampered cells, guards the test
cells (``grading/kernel_guard.py`` runs in the kernel), caps output, survives a dead kernel, and
keeps hidden tests out of feedback.
"""
