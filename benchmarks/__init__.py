"""Benchmarks of the workflow engine (``make bench`` runs ``python -m benchmarks``).

Every figure is printed next to a reference measured in the same run on the same database
file: machines are shared and noisy, so the ratio to the reference is what holds.
Never run as timed tests.
"""
