"""SessionManager on both databases: lookups, filters, deletion, executions, eager loading."""

from __future__ import annotations

import sys

import pytest
from sqlalchemy import event

from prompt_tool.core.errors import NotFoundError
from prompt_tool.db.db_utils import DatabaseManager
from prompt_tool.db.models import OrchestrationSession, Project, Prompt
from prompt_tool.orchestration.runner import run_prompt
from prompt_tool.orchestration.session_manager import SessionFilter, SessionManager


def seed(db: DatabaseManager) -> dict[str, int]:
    with db.session() as session:
        alpha, beta = Project(name="alpha"), Project(name="beta")
        prompt = Prompt(
            name="orchestration_orchestrator_default",
            version=1,
            content="Plan {{ feature.name }}",
            content_hash="h",
            is_template=True,
            category="__orchestration__",
            phase="orchestrator",
        )
        session.add_all([alpha, beta, prompt])
        session.flush()
        rows = [
            OrchestrationSession(
                project=alpha,
                feature_name="login",
                feature_type="feature",
                orchestrator_prompt_id=prompt.id,
                orchestrator_prompt="Plan login",
            ),
            OrchestrationSession(
                project=alpha, feature_name="crash", feature_type="bugfix", status="completed"
            ),
            OrchestrationSession(project=beta, feature_name="export", feature_type="feature"),
        ]
        session.add_all(rows)
        session.flush()
        return {row.feature_name: row.id for row in rows}


@pytest.mark.parametrize(
    ("where", "expected"),
    [
        pytest.param(SessionFilter(), ["export", "crash", "login"], id="all-newest-first"),
        pytest.param(SessionFilter(project="alpha"), ["crash", "login"], id="by-project"),
        pytest.param(SessionFilter(status="completed"), ["crash"], id="by-status"),
        pytest.param(
            SessionFilter(feature_type="feature"), ["export", "login"], id="by-feature-type"
        ),
        pytest.param(
            SessionFilter(project="alpha", feature_type="feature"), ["login"], id="combined"
        ),
        pytest.param(SessionFilter(limit=1), ["export"], id="limit"),
        pytest.param(SessionFilter(project="nobody"), [], id="unknown-project"),
    ],
)
def test_list_filters(
    db_manager: DatabaseManager, where: SessionFilter, expected: list[str]
) -> None:
    seed(db_manager)
    with db_manager.session() as session:
        names = [row.feature_name for row in SessionManager(session).list(where)]
    assert names == expected


def test_get_loads_versions_and_executions_eagerly(db_manager: DatabaseManager) -> None:
    ids = seed(db_manager)
    with db_manager.session() as session:
        found = SessionManager(session).get(ids["login"])
        statements: list[str] = []
        event.listen(
            session.get_bind(), "before_cursor_execute", lambda *a: statements.append(a[2])
        )
        assert found.orchestrator_version is not None
        assert found.orchestrator_version.name == "orchestration_orchestrator_default"
        assert found.project.name == "alpha"
        assert found.executions == []
        assert statements == []


def test_unknown_session_is_not_found(db_manager: DatabaseManager) -> None:
    with (
        db_manager.session() as session,
        pytest.raises(NotFoundError, match="no orchestration session 999"),
    ):
        SessionManager(session).get(999)


def test_executions_record_success_and_failure(db_manager: DatabaseManager) -> None:
    ids = seed(db_manager)
    ok = run_prompt(f'{sys.executable} -c "import sys; print(sys.stdin.read()[::-1])"', "abc")
    failed = run_prompt(f"{sys.executable} -c \"import sys; sys.exit('no model')\"", "abc")
    with db_manager.session() as session:
        manager = SessionManager(session)
        row = manager.get(ids["login"])
        manager.record_execution(row, "orchestrator", row.orchestrator_prompt_id, "abc", ok)
        manager.record_execution(row, "orchestrator", row.orchestrator_prompt_id, "abc", failed)
    with db_manager.session() as session:
        executions = SessionManager(session).get(ids["login"]).executions
        assert [(e.exit_status, e.input) for e in executions] == [(0, "abc"), (1, "abc")]
        assert executions[0].output == "cba\n"
        assert "no model" in (executions[1].output or "")
        assert executions[0].prompt_id is not None


def test_delete_removes_the_session_and_its_executions(db_manager: DatabaseManager) -> None:
    ids = seed(db_manager)
    with db_manager.session() as session:
        SessionManager(session).delete(ids["crash"])
    with db_manager.session() as session:
        remaining = [row.feature_name for row in SessionManager(session).list()]
    assert remaining == ["export", "login"]
