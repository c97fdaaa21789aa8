"""`prompt-tool experiments` and `orchestrate complete` as a user runs them, on both backends."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from prompt_tool.defaults import __file__ as defaults_init

RunCli = Callable[..., Any]  # returns conftest.CliResult(exit_code, stdout, stderr)
ANALYSIS = "orchestration_analysis_default"
MARKER = "Think twice about every file."
DEEP = f"B:50:analysis={ANALYSIS}@2"


def ok(run_cli: RunCli, *args: str) -> str:
    result = run_cli(*args)
    assert result.exit_code == 0, result.stderr
    output: str = result.stdout
    return output


@pytest.fixture
def shop(run_cli: RunCli, tmp_path: Path) -> str:
    """`webshop`: production analysis is v1 of the default, v2 ("deep") is published beside it."""
    ok(run_cli, "projects", "create", "webshop")
    ok(run_cli, "templates", "defaults", "install")
    ok(run_cli, "templates", "label", ANALYSIS, "production", "1")
    deep = tmp_path / "deep"
    deep.mkdir()
    shipped = (Path(defaults_init).parent / "analysis.j2").read_text(encoding="utf-8")
    (deep / "analysis.j2").write_text(f"{shipped}\n{MARKER}\n", encoding="utf-8")
    ok(run_cli, "templates", "publish", str(deep), "-m", "deep analysis")
    return "webshop"


def create(name: str, *variants: str, project: str = "webshop") -> list[str]:
    """`experiments create NAME --project PROJECT --variant V …`."""
    args = ["experiments", "create", name, "--project", project]
    for variant in variants:
        args += ["--variant", variant]
    return args


def plan(run_cli: RunCli, feature: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(
        ok(run_cli, "orchestrate", "plan", "webshop", feature, "--json")
    )
    return data


def test_an_experiment_from_creation_to_promotion(run_cli: RunCli, shop: str) -> None:
    created = json.loads(
        ok(run_cli, *create("deep", "control:50", DEEP), "--min-sample", "2", "--json")
    )
    assert [v["name"] for v in created["variants"]] == ["control", "B"]
    assert created["variants"][1]["strategy"]["analysis"]["version"] == 2
    assert created["status"] == "draft"
    assert ok(run_cli, "experiments", "start", "deep") == "Experiment deep is running.\n"

    variants: dict[str, list[int]] = {"control": [], "B": []}
    n = 0
    while min(len(ids) for ids in variants.values()) < 3:
        session = plan(run_cli, f"feature {n}")
        variants[session["variant_assignments"]["deep"]["variant"]].append(session["id"])
        n += 1
    for name, ids in variants.items():
        for index, session_id in enumerate(ids):
            outcome = "success" if name == "B" or index == 0 else "failure"
            done = ok(
                run_cli,
                "orchestrate",
                "complete",
                str(session_id),
                "--outcome",
                outcome,
                "--score",
                "4",
            )
            assert (
                done
                == f"Session {session_id}: {outcome} (completed); recorded for experiment deep.\n"
            )
    shown = ok(run_cli, "orchestrate", "show", str(variants["B"][0]))
    assert "experiment deep: variant B" in shown

    text = ok(run_cli, "experiments", "show", "deep")
    assert "control (control): weight 50 (50% of new units)" in text
    assert f"strategy: analysis={ANALYSIS}@2" in text
    assert "strategy: (production)" in text
    listed = ok(run_cli, "experiments", "list")
    assert listed.startswith("deep\twebshop\t-\trunning\tcontrol 50%, B 50%")

    report = json.loads(ok(run_cli, "experiments", "report", "deep", "--json"))
    control, deep = report["variants"]
    assert (control["units"], control["outcomes"], control["successes"]) == (
        len(variants["control"]),
        len(variants["control"]),
        1,
    )
    assert deep["successes"] == deep["outcomes"] == len(variants["B"])
    assert deep["vs_control"]["test"] == "fisher"
    assert deep["score"]["mean"] == 4.0
    text = ok(run_cli, "experiments", "report", "deep")
    assert "success rate with 95% interval, 0% to 100%:" in text
    chart = [line for line in text.splitlines() if line.startswith(("control |", "B       |"))]
    assert len(chart) == 2 and all("●" in line and "├" in line for line in chart)
    assert text.splitlines()[-1] == f"verdict: B: {deep['vs_control']['verdict']}"

    assert ok(run_cli, "experiments", "pause", "deep") == "Experiment deep is paused.\n"
    assert "variant_assignments" in plan(run_cli, "while paused")
    assert plan(run_cli, "while paused")["variant_assignments"] == {}
    concluded = ok(run_cli, "experiments", "conclude", "deep", "--promote", "B", "--author", "ana")
    assert concluded == (
        f"Experiment deep concluded; winner B.\n  analysis: production of {ANALYSIS} moved to v2\n"
    )
    history = ok(run_cli, "templates", "history", ANALYSIS)
    assert "v2" in history
    after = plan(run_cli, "after the experiment")
    assert after["versions"]["analysis"]["version"] == 2


def test_create_from_a_strategy_file(run_cli: RunCli, shop: str, tmp_path: Path) -> None:
    strategy = tmp_path / "strategy.toml"
    strategy.write_text(
        '[[variant]]\nname = "control"\nweight = 80\n\n'
        f'[[variant]]\nname = "B"\nweight = 20\n[variant.strategy]\nanalysis = "{ANALYSIS}@2"\n',
        encoding="utf-8",
    )
    ok(run_cli, *create("deep"), "--file", str(strategy))
    shown = json.loads(ok(run_cli, "experiments", "show", "deep", "--json"))
    assert [(v["name"], v["traffic"]) for v in shown["variants"]] == [("control", 0.8), ("B", 0.2)]
    assert ok(run_cli, "experiments", "weight", "deep", "B", "50") == (
        "Experiment deep: variant B now weighs 50.\n"
    )


@pytest.mark.parametrize(
    ("args", "exit_code", "message"),
    [
        pytest.param(
            create("x", "a"),
            2,
            "error: --variant 'a': expected NAME:WEIGHT",
            id="variant-syntax",
        ),
        pytest.param(
            create("x", "a:1"),
            2,
            "error: an experiment needs at least two variants",
            id="one-variant",
        ),
        pytest.param(
            create("x", "a:1", "b:1", project="nope"),
            1,
            "error: project 'nope' does not exist",
            id="project",
        ),
        pytest.param(
            create("x", "a:1", "b:1:analysis=ghost@3"),
            1,
            "error: no published template 'ghost@3' for project 'webshop'",
            id="template",
        ),
        pytest.param(
            ("experiments", "start", "ghost"), 1, "error: no experiment 'ghost'", id="unknown"
        ),
        pytest.param(
            ("experiments", "report", "ghost", "--json"),
            1,
            "error: no experiment 'ghost'",
            id="report",
        ),
        pytest.param(
            ("orchestrate", "complete", "1", "--outcome", "meh"),
            2,
            "error: --outcome 'meh': use success or failure",
            id="outcome",
        ),
        pytest.param(
            ("orchestrate", "complete", "99", "--outcome", "success"),
            1,
            "error: no orchestration session 99",
            id="session",
        ),
    ],
)
def test_errors_are_one_line(
    run_cli: RunCli, shop: str, args: tuple[str, ...], exit_code: int, message: str
) -> None:
    result = run_cli(*args)
    assert result.exit_code == exit_code, result.stderr
    assert result.stderr.startswith(message) and result.stderr.count("\n") == 1, result.stderr
    assert ok(run_cli, "experiments", "list") == "No experiments.\n"


def test_file_errors_name_the_file(run_cli: RunCli, shop: str, tmp_path: Path) -> None:
    strategy = tmp_path / "strategy.toml"
    strategy.write_text("[[variant]\n", encoding="utf-8")
    result = run_cli(*create("x"), "--file", str(strategy))
    assert result.exit_code == 2
    assert result.stderr.startswith(f"error: {strategy}: ") and result.stderr.count("\n") == 1
    both = run_cli(*create("x", "a:1"), "--file", str(strategy))
    assert both.stderr == "error: --variant and --file exclude each other\n"


def test_a_second_running_experiment_is_refused(run_cli: RunCli, shop: str) -> None:
    for name in ("first", "second"):
        ok(run_cli, *create(name, "a:1", "b:1"))
    ok(run_cli, "experiments", "start", "first")
    refused = run_cli("experiments", "start", "second")
    assert refused.exit_code == 1
    assert refused.stderr == (
        "error: experiment 'first' already runs for project 'webshop' (any feature type):"
        " pause or stop it first\n"
    )


def test_the_installed_script_lists_experiments(
    run_installed: Callable[..., Any], database_url: str, run_cli: RunCli, shop: str
) -> None:
    ok(run_cli, *create("deep", "a:1", DEEP))
    result = run_installed("experiments", "list", "--json", url=database_url)
    assert result.exit_code == 0, result.stderr
    assert [e["name"] for e in json.loads(result.stdout)] == ["deep"]


def test_resolve_shows_the_running_experiment_that_replaces_its_choice(
    run_cli: RunCli, shop: str
) -> None:
    resolve = ("templates", "resolve", "-p", "webshop")
    assert "experiment" not in ok(run_cli, *resolve)
    assert json.loads(ok(run_cli, *resolve, "--json"))["experiment"] is None
    ok(run_cli, *create("deep", "control:3", DEEP.replace(":50:", ":1:")))
    ok(run_cli, "experiments", "start", "deep")
    shown = ok(run_cli, *resolve)
    assert "experiment deep is running: new sessions are split" in shown
    assert "control        75%  the resolution above" in shown
    assert f"B              25%  analysis → {ANALYSIS} v2" in shown
    data = json.loads(ok(run_cli, *resolve, "--json"))["experiment"]
    assert data["name"] == "deep" and [v["share"] for v in data["variants"]] == [0.75, 0.25]
    assert data["variants"][1]["strategy"] == {"analysis": {"name": ANALYSIS, "version": 2}}
    assert "experiment" not in ok(run_cli, *resolve, "-l", "staging")
    ok(run_cli, "experiments", "stop", "deep")
    assert "experiment" not in ok(run_cli, *resolve)
