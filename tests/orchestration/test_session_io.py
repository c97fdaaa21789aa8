"""Session export/import: SQLite ⇄ PostgreSQL round trips, re-linking by hash, bad files."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from prompt_tool.checking.publish import PublishChecker
from prompt_tool.checking.settings import ProjectSettings
from prompt_tool.cli import app
from prompt_tool.core.errors import ValidationError
from prompt_tool.db.db_utils import DatabaseManager
from prompt_tool.db.models import Prompt
from prompt_tool.orchestration.orchestrator import Orchestrator
from prompt_tool.orchestration.project_manager import ProjectManager
from prompt_tool.orchestration.session_io import import_session
from prompt_tool.orchestration.template_manager import OrchestrationTemplateManager

CHECKER = PublishChecker(ProjectSettings(Path.cwd()))
"""The checks `orchestrate import` runs: the checking service's, with default settings."""

PARTIAL = "partials/project_context.j2"


def cli(url: str, *args: str) -> str:
    result = CliRunner().invoke(app, list(args), env={"PROMPT_TOOL_DATABASE_URL": url})
    assert result.exit_code == 0, result.stderr
    return result.stdout


@pytest.fixture(params=["sqlite-to-postgresql", "postgresql-to-sqlite"])
def source_and_target(
    request: pytest.FixtureRequest, sqlite_database_url: str
) -> Iterator[tuple[str, str]]:
    postgres = str(request.getfixturevalue("postgres_database_url"))
    if request.param == "sqlite-to-postgresql":
        yield sqlite_database_url, postgres
    else:
        yield postgres, sqlite_database_url


def started_session(url: str) -> int:
    """A session in the analysis phase whose project uses a customised partial."""
    manager = DatabaseManager(url)
    try:
        with manager.session() as session:
            ProjectManager(session).create("shop", "The storefront")
            OrchestrationTemplateManager(session).create_orchestration_template(
                PARTIAL, "partial", "SHOP CONTEXT {{ project.name }}", "shop"
            )
            row = Orchestrator(session).create_planning_session(
                "shop", "Login", acceptance_criteria=["SSO"], variables={"tone": "dry"}
            )
            Orchestrator(session).advance(row.id, "THE PLAN")
            return row.id
    finally:
        manager.dispose()


def comparable(shown: dict[str, Any]) -> dict[str, Any]:
    keep = ("project", "feature", "status", "phase", "prompts", "render_inputs")
    data = {key: shown[key] for key in keep}
    data["versions"] = {
        phase: (v["name"], v["version"]) for phase, v in shown["versions"].items() if v
    }
    data["executions"] = [(e["phase"], e["input"], e["output"]) for e in shown["executions"]]
    return data


def prompt_count(url: str) -> int:
    manager = DatabaseManager(url)
    try:
        with manager.session() as session:
            return int(session.scalar(select(func.count()).select_from(Prompt)) or 0)
    finally:
        manager.dispose()


@pytest.mark.postgres
def test_round_trip_between_backends(source_and_target: tuple[str, str], tmp_path: Path) -> None:
    source, target = source_and_target
    session_id = started_session(source)
    exported = tmp_path / "session.json"
    cli(source, "orchestrate", "export", str(session_id), str(exported))
    original = json.loads(cli(source, "orchestrate", "show", str(session_id), "--json"))

    imported_line = cli(target, "orchestrate", "import", str(exported))
    new_id = int(imported_line.rsplit(" ", 1)[1].rstrip(".\n"))
    copy = json.loads(cli(target, "orchestrate", "show", str(new_id), "--json"))
    assert comparable(copy) == comparable(original)
    assert "SHOP CONTEXT shop" in copy["prompts"]["orchestrator"]

    versions_after_first = prompt_count(target)
    cli(target, "orchestrate", "import", str(exported))
    assert prompt_count(target) == versions_after_first, "a second import re-links by hash"

    manager = DatabaseManager(target)
    try:
        with manager.session() as session:
            orchestrator = Orchestrator(session)
            row = orchestrator.sessions.get(new_id)
            assert orchestrator.render_phase(row, "analysis") == row.analysis_prompt
            result = orchestrator.advance(new_id, "THE ANALYSIS")
            assert "THE PLAN" in (result.session.implementation_prompt or "")
    finally:
        manager.dispose()


def test_a_changed_version_is_stored_as_a_new_version_of_its_scope(
    db_manager: DatabaseManager, tmp_path: Path
) -> None:
    url = db_manager.url
    session_id = started_session(url)
    exported = tmp_path / "session.json"
    cli(url, "orchestrate", "export", str(session_id), str(exported))
    document = json.loads(exported.read_text(encoding="utf-8"))
    [partial] = [v for v in document["prompt_versions"] if v["name"] == PARTIAL]
    assert partial["scope"] == {"project": "shop", "feature_type": None}
    partial["content"] = "EDITED ELSEWHERE {{ project.name }}"
    partial["content_hash"] = hashlib.sha256(partial["content"].encode()).hexdigest()
    exported.write_text(json.dumps(document), encoding="utf-8")

    with db_manager.session() as session:
        row = import_session(session, exported, CHECKER)
        stored = session.get(Prompt, row.template_versions[f"{PARTIAL}@production"])
        assert stored is not None and stored.project is not None
        assert (stored.project.name, stored.version) == ("shop", 2)
        assert stored.content == "EDITED ELSEWHERE {{ project.name }}"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        pytest.param('{"format": ', r":1:12: invalid JSON: Expecting value", id="syntax"),
        pytest.param("[1, 2]", "not a prompt-tool session export", id="not-an-object"),
        pytest.param('{"format": "other"}', "not a prompt-tool session export", id="format"),
        pytest.param(
            '{"format": "prompt-tool-session", "format_version": 9}',
            "unsupported format_version 9",
            id="version",
        ),
        pytest.param(
            '{"format": "prompt-tool-session", "format_version": 1, "prompt_versions": []}',
            r"\$.session is missing",
            id="no-session",
        ),
        pytest.param(
            '{"format": "prompt-tool-session", "format_version": 1, "prompt_versions": [],'
            ' "session": {"status": "active", "phase": "analysis", "project": "p",'
            ' "versions": {}, "prompts": {}, "feature": "f", "template_versions": [1]}}',
            "session.template_versions must be an object",
            id="bad-versions",
        ),
    ],
)
def test_bad_files_name_the_file(
    db_manager: DatabaseManager, tmp_path: Path, content: str, message: str
) -> None:
    path = tmp_path / "bad.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ValidationError, match=message) as caught, db_manager.session() as session:
        import_session(session, path, CHECKER)
    assert str(caught.value).startswith(f"{path}:")
    assert "\n" not in str(caught.value)


def edit_version(which: str, **changes: Any) -> Callable[[dict[str, Any]], None]:
    """Change the exported version called `which`, keeping its content hash consistent."""

    def edit(document: dict[str, Any]) -> None:
        [version] = [v for v in document["prompt_versions"] if v["name"] == which]
        version.update(changes)
        version["content_hash"] = hashlib.sha256(version["content"].encode()).hexdigest()

    return edit


def edit_session(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    """Set `session.<a>.<b>...` (integers index lists)."""

    def edit(document: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        target: Any = document["session"]
        for part in parents:
            target = target[int(part)] if part.isdigit() else target[part]
        target[int(last) if last.isdigit() else last] = value

    return edit


def nested(depth: int) -> Any:
    value: Any = "deep"
    for _ in range(depth):
        value = {"x": value}
    return value


HOSTILE = [
    pytest.param(
        edit_version(PARTIAL, phase="deploy"), r"unknown phase 'deploy'", id="wrong-phase"
    ),
    pytest.param(
        edit_version(PARTIAL, name="/abs/x.j2"), "is an absolute path", id="absolute-name"
    ),
    pytest.param(
        edit_version(PARTIAL, name="../../x.j2"),
        r"has an empty, `\.` or `\.\.` segment",
        id="dotdot",
    ),
    pytest.param(edit_version(PARTIAL, name="partials/a\n.j2"), "U\\+000A", id="newline-in-name"),
    pytest.param(
        edit_version(PARTIAL, name="partials/\x1b[31mred.j2"), "U\\+001B", id="ansi-in-name"
    ),
    pytest.param(
        edit_version(PARTIAL, name="partials/\u202eevil.j2"), "U\\+202E", id="bidi-in-name"
    ),
    pytest.param(
        edit_version("orchestration_analysis_default", name="orchestration_analysis_custom"),
        "already has the analysis template orchestration_analysis_default",
        id="second-template-for-a-phase",
    ),
    pytest.param(
        edit_version("orchestration_analysis_default", phase="implementation"),
        "a implementation template is named orchestration_implementation_",
        id="name-and-phase-disagree",
    ),
    pytest.param(
        edit_version("orchestration_analysis_default", content="Analyse {{ not_in_the_contract }}"),
        r"prompt_versions\[\d+\] \(orchestration_analysis_default\):1:\d+: PT\d+ ",
        id="fails-the-publish-checks",
    ),
    pytest.param(
        edit_session("executions.0.exit_status", 10**30),
        r"session.executions\[0\].exit_status must be an integer from",
        id="huge-exit-status",
    ),
    pytest.param(
        lambda document: document["prompt_versions"][0].update(id=10**30),
        r"prompt_versions\[0\].id must be an integer from 1 to 2147483647",
        id="huge-version-id",
    ),
    pytest.param(
        edit_session("render_inputs.variables", {"deep": nested(40)}),
        "session.render_inputs.*is nested deeper than 32 levels",
        id="nested-json",
    ),
    pytest.param(
        edit_session("render_inputs.files", [{"path": "a"}]),
        r"session.render_inputs.files\[0\] must have exactly",
        id="bad-files",
    ),
    pytest.param(
        edit_session("feature", "x" * 300), "session.feature is longer than 255", id="long-feature"
    ),
    pytest.param(
        edit_session("render_inputs.variables", {"1bad": 1}),
        "invalid variable name '1bad'",
        id="bad-variable-name",
    ),
]


def counts(db_manager: DatabaseManager) -> tuple[int, ...]:
    from prompt_tool.db.models import OrchestrationSession, Project

    with db_manager.session() as session:
        return tuple(
            int(session.scalar(select(func.count()).select_from(model)) or 0)
            for model in (Prompt, OrchestrationSession, Project)
        )


@pytest.mark.parametrize(("edit", "message"), HOSTILE)
def test_a_hostile_session_file_imports_nothing_and_says_why_in_one_line(
    db_manager: DatabaseManager,
    tmp_path: Path,
    edit: Callable[[dict[str, Any]], None],
    message: str,
) -> None:
    session_id = started_session(db_manager.url)
    exported = tmp_path / "session.json"
    cli(db_manager.url, "orchestrate", "export", str(session_id), str(exported))
    document = json.loads(exported.read_text(encoding="utf-8"))
    edit(document)
    exported.write_text(json.dumps(document), encoding="utf-8")
    before = counts(db_manager)

    result = CliRunner().invoke(
        app,
        ["orchestrate", "import", str(exported)],
        env={"PROMPT_TOOL_DATABASE_URL": db_manager.url},
    )

    assert result.exit_code == 1
    assert result.stderr.startswith(f"error: {exported}: ")
    assert result.stderr.count("\n") == 1
    assert re.search(message, result.stderr), result.stderr
    assert counts(db_manager) == before


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param("[" * 100_000 + "]" * 100_000, "JSON nested too deeply", id="deep-array"),
        pytest.param('{"format": ' + "9" * 5000 + "}", "invalid JSON", id="huge-integer-literal"),
    ],
)
def test_pathological_json_is_one_line(
    db_manager: DatabaseManager, tmp_path: Path, text: str, message: str
) -> None:
    path = tmp_path / "bad.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ValidationError, match=message) as caught, db_manager.session() as session:
        import_session(session, path, CHECKER)
    assert "\n" not in str(caught.value)
