"""Eight real processes per writing command, on SQLite and PostgreSQL: all wait, none is lost.

Each command runs in its own process (forked, so that start-up is cheap), eight at once. On
SQLite a writing command takes the write lock before its first read (BEGIN IMMEDIATE) and
waits out the busy timeout; on PostgreSQL row and advisory locks serialise what must be.
"""

from __future__ import annotations

import itertools
import json
import multiprocessing
import os
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import CliResult, cli_environment

PROCESSES = 8
RunCli = Callable[..., Any]


def invoke_in_child(args: Sequence[str], database_url: str, cwd: Path) -> CliResult:
    """One command in a forked child process: the CLI as a user runs it, minus interpreter start-up."""
    from typer.testing import CliRunner

    from prompt_tool.cli import app

    os.chdir(cwd)
    result = CliRunner().invoke(app, list(args), env=cli_environment(database_url))
    return CliResult(result.exit_code, result.stdout, result.stderr)


@pytest.fixture
def run_parallel(
    database_url: str, tmp_path: Path
) -> Iterator[Callable[[Sequence[Sequence[str]]], list[CliResult]]]:
    """Run each argument list in its own process, all at once; their results in order.

    The processes are forked from one that has imported the CLI already, so eight of them
    start in milliseconds instead of seconds and really do overlap.
    """
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(max_workers=PROCESSES, mp_context=context) as pool:

        def run(commands: Sequence[Sequence[str]]) -> list[CliResult]:
            futures = [
                pool.submit(invoke_in_child, command, database_url, tmp_path)
                for command in commands
            ]
            return [future.result(timeout=120) for future in futures]

        yield run


def assert_all_succeeded(results: list[CliResult]) -> None:
    failures = [result.stderr for result in results if result.exit_code != 0]
    assert failures == []


@pytest.fixture
def shop(run_cli: RunCli) -> str:
    assert run_cli("projects", "create", "shop").exit_code == 0
    return "shop"


def test_projects_create(run_parallel: Any, run_cli: RunCli) -> None:
    assert_all_succeeded(run_parallel([["projects", "create", f"p{i}"] for i in range(PROCESSES)]))
    listed = json.loads(run_cli("projects", "list", "--json").stdout)
    assert sorted(project["name"] for project in listed) == [f"p{i}" for i in range(PROCESSES)]


def test_projects_delete(run_parallel: Any, run_cli: RunCli) -> None:
    for i in range(PROCESSES):
        assert run_cli("projects", "create", f"p{i}").exit_code == 0
    assert_all_succeeded(
        run_parallel([["projects", "delete", f"p{i}", "--yes"] for i in range(PROCESSES)])
    )
    assert json.loads(run_cli("projects", "list", "--json").stdout) == []


def test_projects_create_of_one_name_has_one_winner(run_parallel: Any) -> None:
    results = run_parallel([["projects", "create", "dup"]] * PROCESSES)
    assert sorted(result.exit_code for result in results) == [0] + [1] * (PROCESSES - 1)
    for result in results:
        if result.exit_code:
            assert result.stderr == "error: project 'dup' already exists\n"


def test_projects_set_var_and_unset_var_lose_nothing(
    run_parallel: Any, run_cli: RunCli, shop: str
) -> None:
    assert_all_succeeded(
        run_parallel([["projects", "set-var", shop, f"k{i}", str(i)] for i in range(PROCESSES)])
    )
    variables = json.loads(run_cli("projects", "show", shop, "--json").stdout)["variables"]
    assert variables == {f"k{i}": i for i in range(PROCESSES)}
    assert_all_succeeded(
        run_parallel([["projects", "unset-var", shop, f"k{i}"] for i in range(PROCESSES)])
    )
    assert json.loads(run_cli("projects", "show", shop, "--json").stdout)["variables"] == {}


def test_templates_label_moves_form_one_chain(
    run_parallel: Any, run_cli: RunCli, tmp_path: Path
) -> None:
    template = tmp_path / "partials" / "rules.j2"
    template.parent.mkdir()
    for version in range(1, PROCESSES + 1):
        template.write_text(f"rule {version}\n", encoding="utf-8")
        published = run_cli("templates", "publish", str(tmp_path))
        assert published.exit_code == 0, published.stderr
    name = "partials/rules.j2"
    assert_all_succeeded(
        run_parallel(
            [["templates", "label", name, "production", str(v)] for v in range(1, PROCESSES + 1)]
        )
    )
    history = json.loads(run_cli("templates", "labels", name, "--json").stdout)
    assert len(history) == PROCESSES
    assert history[0]["from_version"] is None
    for before, after in itertools.pairwise(history):
        assert after["from_version"] == before["to_version"]
    assert_all_succeeded(run_parallel([["templates", "rollback", name]] * (PROCESSES - 1)))
    shown = json.loads(run_cli("templates", "show", name, "--label", "production", "--json").stdout)
    assert shown["version"] == history[0]["to_version"]


def test_orchestrate_plan_advance_import_complete_cancel(
    run_parallel: Any, run_cli: RunCli, shop: str, tmp_path: Path
) -> None:
    planned = run_parallel(
        [["orchestrate", "plan", shop, f"F{i}", "--json"] for i in range(PROCESSES)]
    )
    assert_all_succeeded(planned)
    ids = sorted(json.loads(result.stdout)["id"] for result in planned)
    assert len(set(ids)) == PROCESSES
    output = tmp_path / "plan.md"
    output.write_text("the plan\n", encoding="utf-8")
    assert_all_succeeded(
        run_parallel(
            [["orchestrate", "advance", str(i), "--output-file", str(output)] for i in ids]
        )
    )
    exported = tmp_path / "session.json"
    assert run_cli("orchestrate", "export", str(ids[0]), str(exported)).exit_code == 0
    assert_all_succeeded(run_parallel([["orchestrate", "import", str(exported)]] * PROCESSES))
    listed = json.loads(run_cli("orchestrate", "list", "--json").stdout)
    assert len(listed) == 2 * PROCESSES
    assert sorted(row["phase"] for row in listed if row["id"] in ids) == ["analysis"] * PROCESSES
    imported = [row["id"] for row in listed if row["id"] not in ids]
    assert_all_succeeded(
        run_parallel([["orchestrate", "complete", str(i), "--outcome", "success"] for i in ids])
    )
    assert_all_succeeded(run_parallel([["orchestrate", "cancel", str(i)] for i in imported]))
    statuses = {
        row["id"]: row["status"]
        for row in json.loads(run_cli("orchestrate", "list", "--json").stdout)
    }
    assert sorted(statuses[i] for i in ids) == ["completed"] * PROCESSES
    assert sorted(statuses[i] for i in imported) == ["cancelled"] * PROCESSES


def test_templates_publish_of_one_phase_under_different_names_has_one_winner(
    run_parallel: Any, run_cli: RunCli, shop: str, tmp_path: Path
) -> None:
    """Eight files, eight names, one phase, one scope: the first publish wins and every other
    meets the one-template-per-phase rule, never the database's unique index."""
    folders = []
    for i in range(PROCESSES):
        folder = tmp_path / f"f{i}"
        folder.mkdir()
        (folder / f"orchestration_analysis_v{i}.j2").write_text(
            "{#- prompt-tool: phase=analysis -#}\n# {{ feature.name }}\n", encoding="utf-8"
        )
        folders.append(["templates", "publish", str(folder), "-p", shop])
    results = run_parallel(folders)
    assert sorted(result.exit_code for result in results)[0] == 0
    winners = [result for result in results if result.exit_code == 0]
    assert len(winners) == 1, [result.stderr for result in results]
    for result in results:
        if result.exit_code:
            assert "a scope holds one template per phase" in result.stderr, result.stderr
            assert "UNIQUE" not in result.stderr and "duplicate key" not in result.stderr
    shown = json.loads(run_cli("templates", "resolve", "-p", shop, "--json").stdout)
    analysis = shown["phases"]["analysis"]
    assert analysis["slot"] == "project" and analysis["version"] == 1
    assert analysis["name"].endswith(tuple(f"_analysis_v{i}" for i in range(PROCESSES)))
