"""Reproducible benchmarks for the speed targets; results are appended to RESULTS.md."""
