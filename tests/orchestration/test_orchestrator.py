"""Orchestrator on both databases: phases, recorded versions, stable re-renders, the contract."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest
from sqlalchemy import select, text

from prompt_tool.analysis.contracts import contract_for_phase
from prompt_tool.core.contract import FileInfo
from prompt_tool.core.errors import ConflictError, NotFoundError, UsageError
from prompt_tool.core.templating import TemplateEngine
from prompt_tool.db.db_utils import DatabaseManager
from prompt_tool.db.models import OrchestrationSession, Project
from prompt_tool.orchestration.orchestrator import Orchestrator, parse_variables
from prompt_tool.orchestration.render_check import RenderRefused
from prompt_tool.orchestration.template_files import TemplateSpec
from prompt_tool.orchestration.template_manager import OrchestrationTemplateManager

PARTIAL = "partials/project_context.j2"
PLAN = "orchestration_orchestrator_default"
ANALYSE = "orchestration_analysis_default"
IMPLEMENT = "orchestration_implementation_default"


def create(db: DatabaseManager, project: str, **options: Any) -> int:
    with db.session() as session:
        row = Orchestrator(session).create_planning_session(project, "Login", **options)
        return row.id


def advance(db: DatabaseManager, session_id: int, output: str) -> OrchestrationSession:
    with db.session() as session:
        return Orchestrator(session).advance(session_id, output).session


def test_a_session_records_the_versions_it_rendered_with(
    db_manager: DatabaseManager, project: str
) -> None:
    session_id = create(
        db_manager,
        project,
        feature_type="feature",
        description="Let users sign in",
        acceptance_criteria=["works with SSO"],
        variables={"language": "python"},
    )
    with db_manager.session() as session:
        row = Orchestrator(session).sessions.get(session_id)
        assert row.orchestrator_version is not None
        assert row.orchestrator_version.phase == "orchestrator"
        assert row.analysis_version is not None and row.implementation_version is not None
        assert row.template_versions is not None
        assert f"{PARTIAL}@production" in row.template_versions
        assert row.orchestrator_prompt is not None
        for expected in ("Login", "Let users sign in", "works with SSO", "language: python"):
            assert expected in row.orchestrator_prompt
        assert row.phase == "orchestrator" and row.status == "active"


def test_phases_see_the_outputs_of_the_earlier_ones(
    db_manager: DatabaseManager, project: str
) -> None:
    session_id = create(db_manager, project)
    analysing = advance(db_manager, session_id, "PLAN-TEXT step one\nstep two")
    assert analysing.phase == "analysis"
    assert "PLAN-TEXT step one" in (analysing.analysis_prompt or "")
    implementing = advance(db_manager, session_id, "ANALYSIS-TEXT findings")
    assert implementing.phase == "implementation"
    assert "PLAN-TEXT" in (implementing.implementation_prompt or "")
    assert "ANALYSIS-TEXT findings" in (implementing.implementation_prompt or "")
    done = advance(db_manager, session_id, "DIFF")
    assert done.status == "completed"
    with db_manager.session() as session:
        row = Orchestrator(session).sessions.get(session_id)
        assert [(e.phase, e.output, e.exit_status, e.duration_ms) for e in row.executions] == [
            ("orchestrator", "PLAN-TEXT step one\nstep two", 0, None),
            ("analysis", "ANALYSIS-TEXT findings", 0, None),
            ("implementation", "DIFF", 0, None),
        ]
        assert [e.prompt_id for e in row.executions] == [
            row.orchestrator_prompt_id,
            row.analysis_prompt_id,
            row.implementation_prompt_id,
        ]
    with pytest.raises(ConflictError, match=f"session {session_id} is completed"):
        advance(db_manager, session_id, "again")


def test_rerendering_ignores_versions_published_later(
    db_manager: DatabaseManager, project: str
) -> None:
    session_id = create(db_manager, project)
    advance(db_manager, session_id, "the plan")
    with db_manager.session() as session:
        manager = OrchestrationTemplateManager(session)
        manager.create_orchestration_template(PLAN, "orchestrator", "NEW PLAN {{ 1 }}")
        manager.create_orchestration_template(PARTIAL, "partial", "NEW PARTIAL")
        manager.create_orchestration_template(ANALYSE, "analysis", "NEW ANALYSIS")
    with db_manager.session() as session:
        orchestrator = Orchestrator(session)
        row = orchestrator.sessions.get(session_id)
        assert orchestrator.render_phase(row, "orchestrator") == row.orchestrator_prompt
        assert orchestrator.render_phase(row, "analysis") == row.analysis_prompt
        assert "NEW" not in (row.analysis_prompt or "")
    fresh = create(db_manager, project)
    with db_manager.session() as session:
        assert Orchestrator(session).sessions.get(fresh).orchestrator_prompt == "NEW PLAN 1"


def test_the_mapping_passed_to_render_has_exactly_the_contract_names(
    db_manager: DatabaseManager, project: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every phase's real render call: the contract's names, `files` and `attempt` filled."""
    seen: list[tuple[str, dict[str, Any]]] = []
    real_render = TemplateEngine.render

    def spy(self: TemplateEngine, name: str, context: Mapping[str, Any]) -> str:
        seen.append((name, dict(context)))
        return real_render(self, name, context)

    monkeypatch.setattr(TemplateEngine, "render", spy)
    cart = FileInfo("shop/cart.py", "python", 12, "def total():", "def total():")
    session_id = create(db_manager, project, files=[cart])
    advance(db_manager, session_id, "plan")
    with db_manager.session() as session:
        Orchestrator(session).retry(session_id)
    notes = FileInfo("docs/notes.md", "markdown", 3, "hi\n", "hi")
    with db_manager.session() as session:
        Orchestrator(session).advance(session_id, "analysis", files=[notes])
    assert [name for name, _ in seen] == [PLAN, ANALYSE, ANALYSE, IMPLEMENT]
    phases = ("orchestrator", "analysis", "analysis", "implementation")
    for (_name, context), phase in zip(seen, phases, strict=True):
        assert set(context) == set(contract_for_phase(phase).variables)
        assert context["session"].phase == phase
    attempts = [context["session"].attempt for _name, context in seen]
    assert attempts == [1, 1, 2, 1]
    assert seen[1][1]["files"] == seen[2][1]["files"] == [cart]
    assert seen[3][1]["files"] == [cart, notes]


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        pytest.param(
            lambda o: o.advance(999_999, "x"),
            NotFoundError,
            "no orchestration session",
            id="unknown",
        ),
        pytest.param(
            lambda o: o.create_planning_session("nope", "f"),
            NotFoundError,
            "project 'nope' does not exist",
            id="unknown-project",
        ),
        pytest.param(
            lambda o: o.create_planning_session("webshop", "f", variables={"1bad": 1}),
            Exception,
            "invalid variable name '1bad'",
            id="bad-variable",
        ),
    ],
)
def test_domain_errors(
    db_manager: DatabaseManager, project: str, call: Any, error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message), db_manager.session() as session:
        call(Orchestrator(session))


def test_a_phase_without_template_nor_default_is_a_clear_error(
    db_manager: DatabaseManager, project: str, default_specs: list[TemplateSpec]
) -> None:
    without_analysis = [spec for spec in default_specs if spec.phase != "analysis"]
    with (
        pytest.raises(NotFoundError, match="no analysis template for project webshop"),
        db_manager.session() as session,
    ):
        Orchestrator(session, without_analysis).create_planning_session(project, "Login")
    with db_manager.session() as session:
        assert Orchestrator(session).sessions.list() == []


def test_advancing_without_an_output_needs_a_run(db_manager: DatabaseManager, project: str) -> None:
    session_id = create(db_manager, project)
    with (
        pytest.raises(ConflictError, match="orchestrator phase has no output yet"),
        db_manager.session() as session,
    ):
        Orchestrator(session).advance(session_id)


@pytest.mark.parametrize(
    ("pairs", "expected"),
    [
        pytest.param(["a=1"], {"a": 1}, id="json"),
        pytest.param(["name=web shop", "x=[1]"], {"name": "web shop", "x": [1]}, id="text-list"),
        pytest.param(["a=b=c"], {"a": "b=c"}, id="equals-in-value"),
    ],
)
def test_parse_variables(pairs: list[str], expected: dict[str, Any]) -> None:
    assert parse_variables(pairs) == expected


@pytest.mark.parametrize(
    ("pair", "message"),
    [
        pytest.param("novalue", "expected NAME=VALUE", id="no-equals"),
        pytest.param("1x=2", "invalid variable name", id="bad-name"),
        pytest.param("true=2", "invalid variable name", id="keyword"),
    ],
)
def test_parse_variables_rejects(pair: str, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        parse_variables([pair])


def test_a_legacy_session_shows_and_advances(db_manager: DatabaseManager, project: str) -> None:
    with db_manager.session() as session:
        webshop = session.query(Project).filter_by(name=project).one()
        session.execute(
            text(
                "INSERT INTO orchestration_sessions (project_id, feature_name, status, phase,"
                " orchestrator_template, analysis_template, implementation_template,"
                " variant_assignments) VALUES (:p, 'old', 'active', 'orchestrator',"
                " 'LEGACY PLAN {{ feature.name }}', 'LEGACY ANALYSE {{ plan.content }}',"
                " 'LEGACY DO {{ analysis.content }}', '{}')"
            ),
            {"p": webshop.id},
        )
        legacy_id = session.execute(text("SELECT max(id) FROM orchestration_sessions")).scalar()
    assert isinstance(legacy_id, int)
    with db_manager.session() as session:
        phase, prompt = Orchestrator(session).current_prompt(legacy_id)
        assert (phase, prompt) == ("orchestrator", "LEGACY PLAN old")
    assert advance(db_manager, legacy_id, "P1").analysis_prompt == "LEGACY ANALYSE P1"
    assert advance(db_manager, legacy_id, "A1").implementation_prompt == "LEGACY DO A1"
    assert advance(db_manager, legacy_id, "D1").status == "completed"


class RecordingCheck:
    """A `RenderCheck` that remembers what it was asked and refuses while `problems` is set."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        self.calls: list[tuple[list[str], dict[str, Any]]] = []

    def __call__(
        self, resolution: Any, phases: Mapping[str, Any], variables: Mapping[str, Any]
    ) -> list[str]:
        self.calls.append((list(phases), dict(variables)))
        return self.problems


def test_a_refused_plan_stores_nothing_and_advance_checks_the_phases_left(
    db_manager: DatabaseManager, project: str
) -> None:
    refusing = RecordingCheck(["a.j2@1:1:1: PT004 nope", "a.j2@1:2:1: PT004 again"])
    with pytest.raises(RenderRefused) as refused, db_manager.session() as session:
        Orchestrator(session, render_check=refusing).create_planning_session(
            project, "Login", variables={"extra": 1}
        )
    assert refused.value.problems == ("a.j2@1:1:1: PT004 nope", "a.j2@1:2:1: PT004 again")
    assert refusing.calls == [(["orchestrator", "analysis", "implementation"], {"extra": 1})]
    with db_manager.session() as session:
        assert session.scalars(select(OrchestrationSession)).all() == []

    passing = RecordingCheck([])
    with db_manager.session() as session:
        orchestrator = Orchestrator(session, render_check=passing)
        session_id = orchestrator.create_planning_session(project, "Login").id
    with db_manager.session() as session:
        orchestrator = Orchestrator(session, render_check=refusing)
        row = orchestrator.advance(session_id, "PLAN").session
        assert (row.status, row.phase, row.analysis_prompt) == ("failed", "analysis", None)
        assert row.status_reason == "the analysis render was refused: a.j2@1:1:1: PT004 nope"
        assert orchestrator.refused == refused.value.problems
    assert passing.calls[0][0] == ["orchestrator", "analysis", "implementation"]
    assert refusing.calls[-1][0] == ["analysis", "implementation"]
