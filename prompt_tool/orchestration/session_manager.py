"""Orchestration sessions: find, list, delete, and record what the runner did.

Every read loads the prompt versions a session used and its executions eagerly, so that
showing a session or a list of them costs a fixed number of statements.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Select, select
from sqlalchemy.orm import Session, joinedload, selectinload

from prompt_tool.core.errors import NotFoundError
from prompt_tool.db.models import Execution, OrchestrationSession, Project, Prompt
from prompt_tool.orchestration.runner import RunResult

MAX_ID = 2**31 - 1  # ids are INTEGER (32-bit on PostgreSQL): a larger one names no session


@dataclass(frozen=True)
class SessionFilter:
    """Which sessions `list` returns; None means any."""

    project: str | None = None
    status: str | None = None
    feature_type: str | None = None
    limit: int | None = None


def _with_versions(
    query: Select[OrchestrationSession],
) -> Select[OrchestrationSession]:
    return query.options(
        joinedload(OrchestrationSession.project),
        joinedload(OrchestrationSession.orchestrator_version),
        joinedload(OrchestrationSession.analysis_version),
        joinedload(OrchestrationSession.implementation_version),
        selectinload(OrchestrationSession.executions),
    )


class SessionManager:
    """Owns no transaction: the caller's `DatabaseManager.session()` commits or rolls back."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, session_id: int) -> OrchestrationSession:
        if not 1 <= session_id <= MAX_ID:
            raise NotFoundError(f"no orchestration session {session_id}")
        found = self.session.scalars(
            _with_versions(select(OrchestrationSession)).where(
                OrchestrationSession.id == session_id
            )
        ).first()
        if found is None:
            raise NotFoundError(f"no orchestration session {session_id}")
        return found

    def list(self, where: SessionFilter | None = None) -> Sequence[OrchestrationSession]:
        where = where or SessionFilter()
        query = _with_versions(select(OrchestrationSession)).order_by(
            OrchestrationSession.id.desc()
        )
        if where.project is not None:
            query = query.join(Project, OrchestrationSession.project_id == Project.id).where(
                Project.name == where.project
            )
        if where.status is not None:
            query = query.where(OrchestrationSession.status == where.status)
        if where.feature_type is not None:
            query = query.where(OrchestrationSession.feature_type == where.feature_type)
        if where.limit is not None:
            query = query.limit(where.limit)
        return self.session.scalars(query).unique().all()

    def versions_used(self, orchestration: OrchestrationSession) -> dict[str, Prompt]:
        """Every version the session renders with (includes too), by qualified name; one query."""
        recorded = orchestration.template_versions or {}
        ids = {int(prompt_id) for prompt_id in recorded.values()}
        rows = {
            prompt.id: prompt
            for prompt in self.session.scalars(
                select(Prompt).options(joinedload(Prompt.project)).where(Prompt.id.in_(ids))
            )
        }
        return {key: rows[int(pid)] for key, pid in recorded.items() if int(pid) in rows}

    def delete(self, session_id: int) -> None:
        self.session.delete(self.get(session_id))
        self.session.flush()

    def record_execution(
        self,
        orchestration: OrchestrationSession,
        phase: str,
        prompt_id: int | None,
        prompt_text: str,
        result: RunResult,
        variant_id: int | None = None,
    ) -> Execution:
        """Append one execution; a failed run is recorded like a successful one."""
        execution = Execution(
            session=orchestration,
            prompt_id=prompt_id,
            variant_id=variant_id,
            phase=phase,
            input=prompt_text,
            output=result.output if result.is_success else result.output + result.error_output,
            exit_status=result.exit_status,
            duration_ms=result.duration_ms,
        )
        self.session.add(execution)
        self.session.flush()
        return execution
