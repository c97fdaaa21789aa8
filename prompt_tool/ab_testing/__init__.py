"""Experiments, variant selection and statistics."""
