"""`prompt-tool orchestrate` on both backends, with a real Python script as the runner."""

from __future__ import annotations

import json
import shlex
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

RunCli = Callable[..., Any]  # returns conftest.CliResult(exit_code, stdout, stderr)

RUNNER_SCRIPT = """\
import sys, time
prompt = sys.stdin.read()
mode = sys.argv[1]
if mode == "fail":
    print("model overloaded", file=sys.stderr)
    sys.exit(3)
if mode == "hang":
    time.sleep(60)
heading = next(line for line in prompt.splitlines() if line.startswith("# "))
print(f"OUTPUT-OF {heading[2:]} ({len(prompt)} chars)")
"""


@pytest.fixture
def runner(tmp_path: Path) -> Callable[[str], str]:
    """`runner(mode)`: a command line that runs the script: ok, fail or hang."""
    script = tmp_path / "runner.py"
    script.write_text(RUNNER_SCRIPT, encoding="utf-8")
    return lambda mode: f"{shlex.quote(sys.executable)} {shlex.quote(str(script))} {mode}"


def show(run_cli: RunCli, session_id: int) -> dict[str, Any]:
    result = run_cli("orchestrate", "show", str(session_id), "--json")
    assert result.exit_code == 0, result.stderr
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def plan(run_cli: RunCli, *extra: str) -> int:
    result = run_cli("orchestrate", "plan", "shop", "Login", "--json", *extra)
    assert result.exit_code == 0, result.stderr
    session_id: int = json.loads(result.stdout)["id"]
    return session_id


@pytest.fixture
def shop(run_cli: RunCli) -> str:
    assert run_cli("projects", "create", "shop", "--description", "The storefront").exit_code == 0
    assert run_cli("projects", "set-var", "shop", "language", "python").exit_code == 0
    return "shop"


def test_a_full_session_with_the_runner(
    run_cli: RunCli, shop: str, runner: Callable[[str], str]
) -> None:
    session_id = plan(
        run_cli,
        "--feature-type",
        "feature",
        "--description",
        "Let users sign in",
        "--criterion",
        "SSO works",
        "--var",
        "reviewer=ana",
        "--run",
        "--runner",
        runner("ok"),
    )
    first = show(run_cli, session_id)
    assert first["phase"] == "orchestrator"
    assert "SSO works" in first["prompts"]["orchestrator"]
    assert "reviewer: ana" in first["prompts"]["orchestrator"]
    assert "language: python" in first["prompts"]["orchestrator"]

    advanced = run_cli("orchestrate", "advance", str(session_id))
    assert advanced.exit_code == 0, advanced.stderr
    assert "OUTPUT-OF Plan the work" in advanced.stdout
    for _ in range(2):
        result = run_cli(
            "orchestrate", "advance", str(session_id), "--run", "--runner", runner("ok")
        )
        assert result.exit_code == 0, result.stderr

    done = show(run_cli, session_id)
    assert done["status"] == "completed"
    assert "OUTPUT-OF Analyse the code base" in done["prompts"]["implementation"]
    executions = done["executions"]
    assert [e["phase"] for e in executions] == ["orchestrator", "analysis", "implementation"]
    assert all(e["exit_status"] == 0 and e["duration_ms"] is not None for e in executions)
    assert [e["input"] for e in executions] == [done["prompts"][e["phase"]] for e in executions]
    assert [e["prompt_id"] for e in executions] == [
        done["versions"][phase]["id"] for phase in ("orchestrator", "analysis", "implementation")
    ]
    listed = json.loads(run_cli("orchestrate", "list", "--status", "completed", "--json").stdout)
    assert [item["id"] for item in listed] == [session_id]
    partial = done["templates"]["partials/project_context.j2@production"]
    assert (partial["version"], partial["scope"]) == (1, {"project": None, "feature_type": None})
    assert set(done["templates"]) == set(done["template_versions"])
    text = run_cli("orchestrate", "show", str(session_id))
    assert text.exit_code == 0 and "completed" in text.stdout and "Executions: 3" in text.stdout
    assert "renders partials/project_context.j2@production as v1 (global)" in text.stdout


def test_the_runner_comes_from_pyproject(
    run_cli: RunCli,
    shop: str,
    runner: Callable[[str], str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    project_dir = tmp_path / "checkout"
    (project_dir / "sub").mkdir(parents=True)
    (project_dir / "pyproject.toml").write_text(
        f"[tool.prompt-tool]\nrunner = {json.dumps(runner('ok'))}\nrunner_timeout = 30\n",
        encoding="utf-8",
    )
    monkeypatch.chdir(project_dir / "sub")
    session_id = plan(run_cli, "--run")
    [execution] = show(run_cli, session_id)["executions"]
    assert execution["output"].startswith("OUTPUT-OF Plan the work")


@pytest.mark.parametrize(
    ("mode", "extra", "message", "status"),
    [
        pytest.param("fail", [], "exited with status 3", 3, id="failing"),
        pytest.param("hang", ["--runner-timeout", "0.5"], "timed out", 124, id="hanging"),
    ],
)
def test_a_failed_run_is_recorded_and_keeps_the_session(
    run_cli: RunCli,
    shop: str,
    runner: Callable[[str], str],
    mode: str,
    extra: list[str],
    message: str,
    status: int,
) -> None:
    session_id = plan(run_cli)
    result = run_cli(
        "orchestrate", "advance", str(session_id), "--run", "--runner", runner(mode), *extra
    )
    assert result.exit_code == 1
    assert message in result.stderr and result.stderr.count("\n") == 1
    assert f"session {session_id} stays at orchestrator" in result.stderr
    data = show(run_cli, session_id)
    assert (data["status"], data["phase"]) == ("active", "orchestrator")
    [execution] = data["executions"]
    assert execution["exit_status"] == status
    if mode == "fail":
        assert "model overloaded" in execution["output"]
    retry = run_cli("orchestrate", "advance", str(session_id), "--run", "--runner", runner("ok"))
    assert retry.exit_code == 0, retry.stderr
    assert show(run_cli, session_id)["phase"] == "analysis"


def test_an_output_file_advances_the_session(run_cli: RunCli, shop: str, tmp_path: Path) -> None:
    session_id = plan(run_cli)
    output = tmp_path / "plan.md"
    output.write_text("HAND-WRITTEN PLAN\n", encoding="utf-8")
    result = run_cli("orchestrate", "advance", str(session_id), "--output-file", str(output))
    assert result.exit_code == 0, result.stderr
    assert "HAND-WRITTEN PLAN" in result.stdout
    [execution] = show(run_cli, session_id)["executions"]
    assert (execution["output"], execution["exit_status"], execution["duration_ms"]) == (
        "HAND-WRITTEN PLAN\n",
        0,
        None,
    )


@pytest.mark.parametrize(
    ("args", "exit_code", "message"),
    [
        pytest.param(["plan", "nope", "x"], 1, "project 'nope' does not exist", id="project"),
        pytest.param(["plan", "shop", "x", "--var", "1a=2"], 2, "--var '1a=2'", id="var-name"),
        pytest.param(["plan", "shop", "x", "--var", "noval"], 2, "NAME=VALUE", id="var-form"),
        pytest.param(["advance", "4242"], 1, "no orchestration session 4242", id="session"),
        pytest.param(["show", "4242"], 1, "no orchestration session 4242", id="show"),
        pytest.param(["export", "4242", "x.json"], 1, "no orchestration session", id="export"),
        pytest.param(["plan", "shop", "x", "--run"], 2, "--run needs a command", id="no-runner"),
        pytest.param(
            ["advance", "1", "--run", "--output-file", "f"], 2, "exclude each other", id="both"
        ),
        pytest.param(
            ["advance", "1", "--output-file", "/nonexistent/out.md"],
            2,
            "--output-file /nonexistent/out.md: cannot read",
            id="output-file",
        ),
        pytest.param(["import", "/nonexistent/s.json"], 1, "s.json: cannot read", id="import"),
        pytest.param(
            ["show", str(10**20)], 1, f"no orchestration session {10**20}", id="huge-session-id"
        ),
        pytest.param(["retry", "2147483648"], 1, "no orchestration session", id="retry-unknown"),
        pytest.param(["cancel", "0"], 1, "no orchestration session 0", id="cancel-unknown"),
    ],
)
def test_errors_are_one_line(
    run_cli: RunCli,
    shop: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    args: list[str],
    exit_code: int,
    message: str,
) -> None:
    monkeypatch.chdir(tmp_path)
    result = run_cli("orchestrate", *args)
    assert result.exit_code == exit_code
    assert result.stderr.startswith("error: ") and message in result.stderr
    assert result.stderr.count("\n") == 1
    assert json.loads(run_cli("orchestrate", "list", "--json").stdout) == []


def test_advancing_a_completed_session_is_refused(
    run_cli: RunCli, shop: str, tmp_path: Path
) -> None:
    session_id = plan(run_cli)
    for phase in ("plan", "analysis", "diff"):
        output = tmp_path / f"{phase}.txt"
        output.write_text(f"{phase} done", encoding="utf-8")
        result = run_cli("orchestrate", "advance", str(session_id), "--output-file", str(output))
        assert result.exit_code == 0, result.stderr
    assert "session completed" in result.stdout
    refused = run_cli("orchestrate", "advance", str(session_id), "--output-file", str(output))
    assert refused.exit_code == 1
    assert refused.stderr == f"error: session {session_id} is completed: it cannot advance\n"
    assert len(show(run_cli, session_id)["executions"]) == 3


def test_the_installed_script_plans_and_advances(
    run_cli: RunCli, run_installed: RunCli, shop: str, database_url: str, tmp_path: Path
) -> None:
    planned = run_installed("orchestrate", "plan", "shop", "Login", "--json", url=database_url)
    assert planned.exit_code == 0, planned.stderr
    session_id = json.loads(planned.stdout)["id"]
    output = tmp_path / "plan.md"
    output.write_text("INSTALLED PLAN", encoding="utf-8")
    advanced = run_installed(
        "orchestrate", "advance", str(session_id), "--output-file", str(output), url=database_url
    )
    assert advanced.exit_code == 0, advanced.stderr
    assert "INSTALLED PLAN" in advanced.stdout
    assert show(run_cli, session_id)["phase"] == "analysis"


def test_a_legacy_session_shows_and_advances(
    run_cli: RunCli, shop: str, db_manager: Any, tmp_path: Path
) -> None:
    from sqlalchemy import text

    with db_manager.session() as session:
        session.execute(
            text(
                "INSERT INTO orchestration_sessions (project_id, feature_name, status, phase,"
                " orchestrator_template, analysis_template, implementation_template,"
                " variant_assignments) SELECT id, 'old', 'active', 'orchestrator',"
                " 'OLD PLAN {{ feature.name }}', 'OLD ANALYSE {{ plan.content }}',"
                " 'OLD DO', '{}' FROM projects WHERE name = 'shop'"
            )
        )
        legacy_id = session.execute(text("SELECT max(id) FROM orchestration_sessions")).scalar()
    shown = run_cli("orchestrate", "show", str(legacy_id))
    assert shown.exit_code == 0, shown.stderr
    assert "orchestrator: legacy text" in shown.stdout
    output = tmp_path / "plan.md"
    output.write_text("LEGACY OUTPUT", encoding="utf-8")
    advanced = run_cli("orchestrate", "advance", str(legacy_id), "--output-file", str(output))
    assert advanced.exit_code == 0, advanced.stderr
    assert "OLD ANALYSE LEGACY OUTPUT" in advanced.stdout
    data = show(run_cli, legacy_id)
    assert data["prompts"]["orchestrator"] == "OLD PLAN old"
    assert data["phase"] == "analysis"


BROKEN_ANALYSIS = (
    "{#- prompt-tool: phase=analysis -#}\n"
    "Analyse {{ feature.name }}: {{ 100 // (feature.acceptance_criteria | length) }}\n"
)
FIXED_ANALYSIS = (
    "{#- prompt-tool: phase=analysis -#}\n"
    "Fixed {{ feature.name }}, attempt {{ session.attempt }}, {{ files | length }} file(s)\n"
)


def publish_analysis(run_cli: RunCli, folder: Path, content: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "analysis.j2").write_text(content, encoding="utf-8")
    result = run_cli("templates", "publish", str(folder), "--label", "production")
    assert result.exit_code == 0, result.stderr


def test_a_failed_render_is_retried_from_a_published_fix(
    run_cli: RunCli, shop: str, tmp_path: Path
) -> None:
    """The analysis render fails; after publishing a fix, `retry --re-resolve` renders it."""
    publish_analysis(run_cli, tmp_path / "broken", BROKEN_ANALYSIS)
    source = tmp_path / "cart.py"
    source.write_text("def total(items):\n    return sum(items)\n", encoding="utf-8")
    session_id = plan(run_cli, "--file", str(source))
    (tmp_path / "plan.txt").write_text("1. add coupons\n", encoding="utf-8")

    failed = run_cli(
        "orchestrate", "advance", str(session_id), "--output-file", str(tmp_path / "plan.txt")
    )
    assert failed.exit_code == 1
    assert failed.stderr.count("\n") == 1
    assert f"error: session {session_id} failed: the analysis render failed:" in failed.stderr
    assert "ZeroDivisionError" in failed.stderr and "retry" in failed.stderr
    data = show(run_cli, session_id)
    assert (data["status"], data["phase"]) == ("failed", "analysis")
    assert data["status_reason"].startswith("the analysis render failed:")
    assert data["prompts"]["analysis"] is None
    text = run_cli("orchestrate", "show", str(session_id)).stdout
    assert "— failed, phase analysis" in text and "reason: the analysis render failed" in text

    refused = run_cli("orchestrate", "advance", str(session_id), "--output-file", str(source))
    assert refused.exit_code == 1 and "retry" in refused.stderr
    same = run_cli("orchestrate", "retry", str(session_id))
    assert same.exit_code == 1 and "ZeroDivisionError" in same.stderr

    publish_analysis(run_cli, tmp_path / "fixed", FIXED_ANALYSIS)
    retried = run_cli("orchestrate", "retry", str(session_id), "--re-resolve")
    assert retried.exit_code == 0, retried.stderr
    assert "Fixed Login, attempt 3, 1 file(s)" in retried.stdout
    data = show(run_cli, session_id)
    assert (data["status"], data["status_reason"], data["phase"]) == ("active", None, "analysis")
    assert data["versions"]["analysis"]["version"] == 2
    assert data["versions"]["orchestrator"]["version"] == 1
    assert data["render_inputs"]["attempts"] == {"analysis": 3}
    assert data["render_inputs"]["retries"] == [
        {"phase": "analysis", "re_resolve": False},
        {"phase": "analysis", "re_resolve": True},
    ]
    [stored] = data["render_inputs"]["files"]
    assert stored["language"] == "python" and stored["content"].startswith("def total")

    (tmp_path / "analysis.txt").write_text("cart.py: total()\n", encoding="utf-8")
    advanced = run_cli(
        "orchestrate", "advance", str(session_id), "--output-file", str(tmp_path / "analysis.txt")
    )
    assert advanced.exit_code == 0, advanced.stderr
    assert "cart.py` (python, 40 bytes)" in advanced.stdout, advanced.stdout
    assert "```python\ndef total(items):" in advanced.stdout


def test_cancel_stops_a_session_for_good(run_cli: RunCli, shop: str, tmp_path: Path) -> None:
    session_id = plan(run_cli)
    cancelled = run_cli("orchestrate", "cancel", str(session_id), "--reason", "not needed")
    assert cancelled.exit_code == 0, cancelled.stderr
    data = show(run_cli, session_id)
    assert (data["status"], data["status_reason"]) == ("cancelled", "not needed")
    listed = run_cli("orchestrate", "list", "--status", "cancelled", "--json")
    assert [row["id"] for row in json.loads(listed.stdout)] == [session_id]
    for args in (("advance", str(session_id)), ("retry", str(session_id))):
        refused = run_cli("orchestrate", *args)
        assert refused.exit_code == 1
        assert refused.stderr == f"error: session {session_id} is cancelled" + (
            ": it cannot advance\n" if args[0] == "advance" else ": there is nothing to retry\n"
        )
    again = run_cli("orchestrate", "cancel", str(session_id))
    assert again.stderr == f"error: session {session_id} is cancelled already\n"


@pytest.mark.parametrize(
    ("make", "message"),
    [
        pytest.param(lambda p: p / "missing.py", "cannot read", id="missing"),
        pytest.param(lambda p: p, "cannot read", id="a-folder"),
        pytest.param(
            lambda p: (p / "blob.bin", (p / "blob.bin").write_bytes(b"\xff\xfe\x00"))[0],
            "not UTF-8 text",
            id="binary",
        ),
    ],
)
def test_a_bad_file_is_one_line_and_stores_nothing(
    run_cli: RunCli, shop: str, tmp_path: Path, make: Callable[[Path], Path], message: str
) -> None:
    path = make(tmp_path)
    result = run_cli("orchestrate", "plan", "shop", "Login", "--file", str(path))
    assert result.exit_code == 2
    assert result.stderr.startswith(f"error: --file {path}: {message}")
    assert result.stderr.count("\n") == 1
    assert json.loads(run_cli("orchestrate", "list", "--json").stdout) == []
