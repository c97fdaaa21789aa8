"""Shared fixtures: real SQLite and PostgreSQL databases, CLI runners, sample templates."""

from __future__ import annotations

import os

import pytest

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def skip_or_fail(reason: str) -> None:
    """Locally a missing component skips with a reason; under CI=true it fails the run."""
    if IN_CI:
        pytest.fail(f"{reason} (CI=true: nothing may be skipped)")
    pytest.skip(reason)
