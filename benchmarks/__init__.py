"""Reproducible benchmarks; results are appended to benchmarks/RESULTS.md."""
