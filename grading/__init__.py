"""Course grading tools: nbgrader plumbing for instructors and the course's own tests.

``python -m grading release|autograde|feedback|grades`` (wrapped by the Makefile) and
``grading.preprocessors`` (used by nbgrader_config.py).
"""
