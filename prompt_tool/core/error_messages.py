"""One-line explanations of failures that arrive as library exceptions, not domain errors."""

from __future__ import annotations


def describe_unexpected(error: BaseException) -> str:
    """A line for the user; the full traceback is one `--debug` away."""
    name = type(error).__name__
    text = str(error).strip().splitlines()
    first = text[0] if text else ""
    return f"{name}: {first} (run with --debug for the traceback)"
