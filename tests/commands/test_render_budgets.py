"""Render budgets from the command line: publish stays fast, an oversized render is not stored.

A render over budget fails its session (kept, with the one-line reason, so that `retry` can
try again once the template is fixed); the oversized text itself is never stored.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

RunCli = Callable[..., Any]  # returns conftest.CliResult(exit_code, stdout, stderr)


@pytest.fixture
def shop(run_cli: RunCli) -> str:
    assert run_cli("projects", "create", "shop").exit_code == 0
    return "shop"


def publish(run_cli: RunCli, folder: Path, name: str, source: str) -> None:
    path = folder / name
    path.write_text(source, encoding="utf-8")
    result = run_cli("templates", "publish", str(path), "--project", "shop")
    assert result.exit_code == 0, result.stderr


def sessions(run_cli: RunCli) -> list[Any]:
    listed = run_cli("orchestrate", "list", "--json")
    assert listed.exit_code == 0, listed.stderr
    found: list[Any] = json.loads(listed.stdout)
    return found


def show(run_cli: RunCli, session_id: int) -> dict[str, Any]:
    shown = run_cli("orchestrate", "show", str(session_id), "--json")
    assert shown.exit_code == 0, shown.stderr
    data: dict[str, Any] = json.loads(shown.stdout)
    return data


def assert_failed_without_prompt(run_cli: RunCli, phase: str, reason: str) -> None:
    [listed] = sessions(run_cli)
    shown = show(run_cli, listed["id"])
    assert (shown["status"], shown["phase"]) == ("failed", phase)
    assert shown["prompts"][phase] is None
    assert "render budget exceeded" in shown["status_reason"] and reason in shown["status_reason"]


def test_publishing_a_constant_power_tower_does_not_evaluate_it(
    run_installed: RunCli, database_url: str, tmp_path: Path
) -> None:
    """`{{ 9**(9**9) }}` used to run for over 15 minutes at publish, holding the write lock."""
    template = tmp_path / "analysis.j2"
    template.write_text("{{ 9**(9**9) }}{{ 9**(9**5) }}{{ 'a'|center(1000000000) }}\n")
    result = run_installed("templates", "publish", str(template), url=database_url)
    assert result.exit_code == 0, result.stderr
    assert "created" in result.stdout


@pytest.mark.parametrize(
    ("source", "reason"),
    [
        pytest.param("{{ 9**(9**9) }}", "digits", id="power-tower"),
        pytest.param(
            "{% for i in range(100000) %}{{ 'x' * 1000 }}{% endfor %}",
            "output over 4,000,000 characters",
            id="100-MB-prompt",
        ),
        pytest.param(
            "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}",
            "loop iterations",
            id="nested-loops",
        ),
    ],
)
def test_a_plan_over_budget_is_one_error_and_stores_nothing(
    run_cli: RunCli, shop: str, tmp_path: Path, source: str, reason: str
) -> None:
    publish(run_cli, tmp_path, "orchestrator.j2", f"# Plan\n{source}\n")
    result = run_cli("orchestrate", "plan", "shop", "Login")
    assert result.exit_code == 1
    [line] = result.stderr.splitlines()
    assert line.startswith("error: ") and "render budget exceeded" in line and reason in line
    assert_failed_without_prompt(run_cli, "orchestrator", reason)


def test_an_advance_over_budget_stores_no_prompt(
    run_cli: RunCli, shop: str, tmp_path: Path
) -> None:
    publish(run_cli, tmp_path, "analysis.j2", "{{ 'x' * 10**9 }}\n")
    planned = run_cli("orchestrate", "plan", "shop", "Login", "--json")
    assert planned.exit_code == 0, planned.stderr
    session_id = json.loads(planned.stdout)["id"]
    output = tmp_path / "plan.md"
    output.write_text("the plan\n", encoding="utf-8")
    result = run_cli("orchestrate", "advance", str(session_id), "--output-file", str(output))
    assert result.exit_code == 1
    assert "render budget exceeded" in result.stderr
    assert_failed_without_prompt(run_cli, "analysis", "output over")


def test_the_budget_comes_from_pyproject(
    run_cli: RunCli, shop: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.prompt-tool.render]\nmax_output_chars = 100\n")
    monkeypatch.chdir(tmp_path)
    result = run_cli("orchestrate", "plan", "shop", "Login")
    assert result.exit_code == 1 and "output over 100 characters" in result.stderr
    assert_failed_without_prompt(run_cli, "orchestrator", "output over 100 characters")


@pytest.mark.parametrize(
    ("table", "message"),
    [
        pytest.param("max_output_chars = -1", "must be a positive number", id="negative"),
        pytest.param("max_iterations = 1.5", "must be a whole number", id="fraction"),
        pytest.param("max_minutes = 1", "unknown setting 'max_minutes'", id="unknown"),
    ],
)
def test_a_bad_budget_setting_is_one_error_before_anything_is_stored(
    run_cli: RunCli,
    shop: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    table: str,
    message: str,
) -> None:
    (tmp_path / "pyproject.toml").write_text(f"[tool.prompt-tool.render]\n{table}\n")
    monkeypatch.chdir(tmp_path)
    result = run_cli("orchestrate", "plan", "shop", "Login")
    assert result.exit_code == 1
    [line] = result.stderr.splitlines()
    assert line.startswith("error: ") and message in line
    assert sessions(run_cli) == []


@pytest.mark.parametrize(
    ("budget", "source", "reason"),
    [
        pytest.param("", "{{ 'x' * 10**9 }}", "output over 4,000,000", id="default-budget"),
        pytest.param("max_output_chars = 5", "Hello, world\n", "output over 5 ", id="configured"),
    ],
)
def test_the_preview_renders_under_the_budget(
    run_cli: RunCli,
    shop: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    budget: str,
    source: str,
    reason: str,
) -> None:
    (tmp_path / "pyproject.toml").write_text(f"[tool.prompt-tool.render]\n{budget}\n")
    (tmp_path / "analysis.j2").write_text(source, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    result = run_cli("templates", "render", "analysis.j2", "--sample", "--project", "shop")
    assert result.exit_code == 1
    [line] = result.stderr.splitlines()
    assert line.startswith("error: ") and "render budget exceeded" in line and reason in line
