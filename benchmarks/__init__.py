"""The course benchmark: ``python -m benchmarks`` (see ``benchmarks/run.py``)."""
