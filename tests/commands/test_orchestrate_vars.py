"""`orchestrate plan` / `retry` check `vars.*` against the project's variables before rendering.

The templates are published globally (no project, so `vars` is an open mapping there and
publish accepts them); the session's project decides whether they would render.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

RunCli = Callable[..., Any]

NOT_SET = (
    "{#- prompt-tool: phase=analysis -#}\nAnalyse {{ feature.name }}\nUse {{ vars.not_set }}\n"
)
UPPER = "{#- prompt-tool: phase=analysis -#}\nAnalyse {{ feature.name }}\n{{ vars.max_files.upper() }}\n"
IN_PARTIAL = '{#- prompt-tool: phase=analysis -#}\nAnalyse\n{% include "partials/extra.j2" %}\n'
PARTIAL = "{#- prompt-tool: phase=partial -#}\nExtra {{ vars.not_set }}\n"
NOT_SET_LINE = (
    "orchestration_analysis_default@1:3:13: PT004 `ProjectVariables` has no attribute `not_set`"
)
UPPER_LINE = "orchestration_analysis_default@1:3:19: PT004 `int` has no attribute `upper`"
PARTIAL_LINE = "partials/extra.j2@1:2:15: PT004 `ProjectVariables` has no attribute `not_set`"


def publish(run_cli: RunCli, folder: Path, analysis: str, partial: str | None = None) -> None:
    (folder / "partials").mkdir(parents=True)
    (folder / "analysis.j2").write_text(analysis, encoding="utf-8")
    if partial is not None:
        (folder / "partials" / "extra.j2").write_text(partial, encoding="utf-8")
    result = run_cli("templates", "publish", str(folder), "--label", "production")
    assert result.exit_code == 0, result.stderr


def sessions(run_cli: RunCli) -> list[dict[str, Any]]:
    listed: list[dict[str, Any]] = json.loads(run_cli("orchestrate", "list", "--json").stdout)
    return listed


@pytest.fixture
def shop(run_cli: RunCli) -> str:
    assert run_cli("projects", "create", "shop").exit_code == 0
    assert run_cli("projects", "set-var", "shop", "max_files", "3").exit_code == 0
    return "shop"


@pytest.mark.parametrize(
    ("analysis", "partial", "expected"),
    [
        pytest.param(NOT_SET, None, NOT_SET_LINE, id="unknown-variable"),
        pytest.param(UPPER, None, UPPER_LINE, id="int-variable-upper"),
        pytest.param(IN_PARTIAL, PARTIAL, PARTIAL_LINE, id="unknown-variable-in-include"),
    ],
)
def test_plan_refuses_a_template_the_project_variables_cannot_render(
    run_cli: RunCli, shop: str, tmp_path: Path, analysis: str, partial: str | None, expected: str
) -> None:
    publish(run_cli, tmp_path / "templates", analysis, partial)
    result = run_cli("orchestrate", "plan", shop, "Login")
    assert result.exit_code == 1
    [line] = result.stderr.splitlines()
    assert line.startswith(f"error: {expected}"), result.stderr
    assert "Traceback" not in result.stderr and result.stdout == ""
    assert sessions(run_cli) == []


@pytest.mark.parametrize(
    ("analysis", "variable", "value", "rendered"),
    [
        pytest.param(NOT_SET, "not_set", '"tabs"', "Use tabs", id="variable-defined"),
        pytest.param(UPPER, "max_files", '"many"', "MANY", id="variable-is-a-string"),
    ],
)
def test_plan_renders_when_the_project_defines_the_variable(
    run_cli: RunCli,
    shop: str,
    tmp_path: Path,
    analysis: str,
    variable: str,
    value: str,
    rendered: str,
) -> None:
    publish(run_cli, tmp_path / "templates", analysis)
    assert run_cli("projects", "set-var", shop, variable, value).exit_code == 0
    planned = run_cli("orchestrate", "plan", shop, "Login", "--json")
    assert planned.exit_code == 0, planned.stderr
    session_id = json.loads(planned.stdout)["id"]
    (tmp_path / "plan.txt").write_text("1. do it\n", encoding="utf-8")
    advanced = run_cli(
        "orchestrate", "advance", str(session_id), "--output-file", str(tmp_path / "plan.txt")
    )
    assert advanced.exit_code == 0, advanced.stderr
    assert rendered in advanced.stdout


def test_a_session_var_overrides_the_project_for_the_check(
    run_cli: RunCli, shop: str, tmp_path: Path
) -> None:
    publish(run_cli, tmp_path / "templates", NOT_SET)
    planned = run_cli("orchestrate", "plan", shop, "Login", "--var", "not_set=spaces")
    assert planned.exit_code == 0, planned.stderr
    assert [item["status"] for item in sessions(run_cli)] == ["active"]


def test_retry_re_resolving_a_refused_template_fails_the_session(
    run_cli: RunCli, shop: str, tmp_path: Path
) -> None:
    """The same rule as a failed render: `failed`, the first diagnostic as the reason."""
    planned = run_cli("orchestrate", "plan", shop, "Login", "--json")
    assert planned.exit_code == 0, planned.stderr
    session_id = json.loads(planned.stdout)["id"]
    publish(run_cli, tmp_path / "templates", NOT_SET.replace("Use", "{{ vars.gone }} Use"))

    retried = run_cli("orchestrate", "retry", str(session_id), "--re-resolve")
    assert retried.exit_code == 1
    lines = retried.stderr.splitlines()
    assert len(lines) == 2, retried.stderr
    assert lines[0].startswith("error: orchestration_analysis_default@2:3:29: PT004"), lines
    assert "has no attribute `not_set`" in lines[0]
    assert lines[1].startswith(f"error: session {session_id} failed: the orchestrator render")
    assert "orchestration_analysis_default@2:3:9: PT004" in lines[1] and "`gone`" in lines[1]
    data = json.loads(run_cli("orchestrate", "show", str(session_id), "--json").stdout)
    assert (data["status"], data["phase"]) == ("failed", "orchestrator")
    assert data["status_reason"].startswith(
        "the orchestrator render was refused: orchestration_analysis_default@2:3:9: PT004"
    )
    assert data["prompts"]["orchestrator"] is None
