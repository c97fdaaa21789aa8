"""`orchestrate complete`: the end of a session, and its outcome for the experiments it ran in.

The status says where the session's life ended (`completed` unless it already ended
otherwise); the outcome says how well it went, which is what an experiment compares.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from prompt_tool.ab_testing.experiment_manager import ExperimentManager
from prompt_tool.db.models import OrchestrationSession
from prompt_tool.orchestration.session_manager import SessionManager


@dataclass(frozen=True)
class CompletedSession:
    """The session after `complete`, and the experiments its outcome was recorded in."""

    session: OrchestrationSession
    experiments: list[str]


def complete_session(
    session: Session,
    session_id: int,
    *,
    success: bool,
    score: float | None = None,
    note: str | None = None,
) -> CompletedSession:
    """Mark an active session completed and record its outcome (replacing an earlier one)."""
    row = SessionManager(session).get(session_id)
    outcomes = ExperimentManager(session).record_outcome(
        row, success=success, score=score, note=note
    )
    if row.status == "active":
        row.status = "completed"
    session.flush()
    return CompletedSession(row, sorted(outcomes))
