"""Lint, publish and the language server give the same answer on one project, both backends.

One fixture tree: a filter declared in `[tool.prompt-tool.contracts] filters`, a `.jinja`
template, an include only the database holds, a project with stored variables
(`vars.not_set`, and `.upper()` on an integer), a partial checked through two includers.
`templates lint --format json`, `templates publish --dry-run --json` and a pull diagnostic
from `python -m lsp_server` over stdio must report the same (code, file, range) set.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from lsprotocol import types

from prompt_tool.db.db_utils import DatabaseManager
from prompt_tool.orchestration.project_manager import ProjectManager
from prompt_tool.orchestration.template_manager import OrchestrationTemplateManager
from tests.conftest import CliResult

Finding = tuple[str, str, tuple[int, int, int, int]]

PYPROJECT = """\
[tool.prompt-tool]
project = "shop"

[tool.prompt-tool.lint]
roots = ["prompts"]

[tool.prompt-tool.contracts]
filters = ["shout"]
"""
TREE = {
    "prompts/analysis.jinja": (
        "{{ feature.name | shout }}\n"
        "{{ feature.acceptance_criteria | bullet_list }}\n"
        '{% include "partials/context.j2" %}\n'
        '{% include "partials/published_only.j2" %}\n'
        "{{ vars.max_files }} {{ vars.not_set }} {{ vars.max_files.upper() }}\n"
        "{{ feature.title }} {{ missing_name | shouted }}\n"
    ),
    "prompts/orchestrator.j2": (
        '{{ project.name | shout }}\n{% include "partials/context.j2" %}\n{% include "nowhere.j2" %}\n'
    ),
    "prompts/partials/context.j2": "{{ project.name }} {{ plan.summary }} {{ feature.nme }}\n",
}
EXPECTED_CODES = {"PT002", "PT004", "PT005", "PT007"}
"""At least these must be among the findings, or the test compares empty answers."""


@pytest.fixture
def project_tree(tmp_path: Path, database_url: str) -> Path:
    root = tmp_path / "project"
    for name, content in {"pyproject.toml": PYPROJECT, **TREE}.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(content, encoding="utf-8")
    manager = DatabaseManager(database_url)
    try:
        with manager.session() as session:
            ProjectManager(session).create("shop", "A shop")
            ProjectManager(session).set_var("shop", "max_files", "3")
            OrchestrationTemplateManager(session).create_orchestration_template(
                "partials/published_only.j2", "partial", "{{ project.description }}\n"
            )
    finally:
        manager.dispose()
    return root


def from_json(diagnostics: list[dict[str, object]], root: Path) -> set[Finding]:
    found = set()
    for item in diagnostics:
        span = item["range"]
        assert isinstance(span, dict)
        start, end = span["start"], span["end"]
        path = Path(str(item["path"]))
        relative = (path if path.is_absolute() else root / path).relative_to(root).as_posix()
        found.add(
            (
                str(item["code"]),
                relative,
                (start["line"], start["column"], end["line"], end["column"]),
            )
        )
    return found


def run_in(
    root: Path, run_cli: Callable[..., CliResult], monkeypatch: pytest.MonkeyPatch, *args: str
) -> CliResult:
    monkeypatch.chdir(root)
    return run_cli(*args)


async def test_lint_publish_and_the_language_server_agree(
    project_tree: Path,
    database_url: str,
    run_cli: Callable[..., CliResult],
    monkeypatch: pytest.MonkeyPatch,
    lsp,  # type: ignore[no-untyped-def]
) -> None:
    lint = run_in(
        project_tree, run_cli, monkeypatch, "templates", "lint", "prompts", "--format", "json"
    )
    publish = run_in(
        project_tree,
        run_cli,
        monkeypatch,
        "templates",
        "publish",
        "prompts",
        "--project",
        "shop",
        "--dry-run",
        "--json",
    )
    assert lint.exit_code == 1, lint.stderr
    assert publish.exit_code != 0 and "publish refused" in publish.stderr
    linted = from_json(json.loads(lint.stdout)["diagnostics"], project_tree)
    published = from_json(json.loads(publish.stdout)["diagnostics"], project_tree)

    await lsp.initialize(
        project_tree, lsp.pull_capabilities(), {"promptTool": {"databaseUrl": database_url}}
    )
    pulled: set[Finding] = set()
    for name, text in TREE.items():
        uri = lsp.open(project_tree / name, text)
        report = await lsp.client.text_document_diagnostic_async(
            types.DocumentDiagnosticParams(types.TextDocumentIdentifier(uri))
        )
        for item in report.items:
            start, end = item.range.start, item.range.end
            span = (start.line + 1, start.character + 1, end.line + 1, end.character + 1)
            pulled.add((str(item.code), name, span))

    assert {code for code, _path, _span in linted} >= EXPECTED_CODES
    starts = {(code, path, span[:2]) for code, path, span in linted}
    assert ("PT004", "prompts/analysis.jinja", (5, 30)) in starts  # vars.not_set
    assert ("PT004", "prompts/analysis.jinja", (5, 59)) in starts  # .upper() of an int
    assert not any(code == "PT007" and "analysis" in path for code, path, _ in linted), (
        "the include only the database holds must resolve"
    )
    assert not any(code == "PT005" and span[:2] == (1, 19) for code, _, span in linted), (
        "the declared filter `shout` must be known"
    )
    assert linted == published
    assert linted == pulled
