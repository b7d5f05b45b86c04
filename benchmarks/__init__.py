"""Benchmarks of the Intercom sync: bound, overhead, no-op and shared-budget modes.

Run from the repository root, e.g. `python -m benchmarks.bound` (see benchmarks/README.md).
"""
