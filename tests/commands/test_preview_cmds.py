"""`prompt-tool templates render` on both backends: the orchestrator's text, files over versions."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from prompt_tool.defaults import __file__ as defaults_init

RunCli = Callable[..., Any]  # returns conftest.CliResult(exit_code, stdout, stderr)

ANALYSIS = """\
{#- prompt-tool: phase=analysis -#}
# Analysis of {{ feature.name }}
{% include "partials/facts.j2" %}
Plan: {{ plan.summary }}
"""
FACTS = "Project {{ project.name }} in {{ vars.language }}\n"


def write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def ok(result: Any) -> Any:
    assert result.exit_code == 0, result.stderr
    return result


@pytest.fixture
def shop(run_cli: RunCli) -> str:
    ok(run_cli("projects", "create", "shop", "--description", "The storefront"))
    ok(run_cli("projects", "set-var", "shop", "language", "python"))
    return "shop"


def stored_prompts(run_cli: RunCli, session_id: int) -> dict[str, str]:
    data = json.loads(ok(run_cli("orchestrate", "show", str(session_id), "--json")).stdout)
    prompts: dict[str, str] = data["prompts"]
    return prompts


def test_with_a_session_it_prints_what_plan_and_advance_rendered(
    run_cli: RunCli, shop: str, tmp_path: Path
) -> None:
    created = ok(
        run_cli(
            "orchestrate",
            "plan",
            shop,
            "Login",
            "--json",
            "--criterion",
            "SSO works",
            "--description",
            "Let users sign in",
            "--var",
            "reviewer=ana",
        )
    )
    session_id = json.loads(created.stdout)["id"]
    plan = ok(run_cli("templates", "render", "orchestrator", "--session", str(session_id)))
    assert plan.stdout == stored_prompts(run_cli, session_id)["orchestrator"]
    assert "characters, ~" in plan.stderr and f"with session {session_id}" in plan.stderr
    for phase, output in (("analysis", "The plan: step one"), ("implementation", "Findings")):
        (tmp_path / "out.md").write_text(output, encoding="utf-8")
        advance = ("orchestrate", "advance", str(session_id), "--output-file")
        ok(run_cli(*advance, str(tmp_path / "out.md")))
        shown = ok(run_cli("templates", "render", phase, "--session", str(session_id)))
        assert shown.stdout == stored_prompts(run_cli, session_id)[phase]
        assert output in shown.stdout


def test_a_file_takes_the_place_of_its_published_version(
    run_cli: RunCli, shop: str, tmp_path: Path
) -> None:
    published = write(tmp_path / "v1", {"analysis.j2": ANALYSIS, "partials/facts.j2": FACTS})
    ok(run_cli("templates", "publish", str(published), "--project", shop))
    work = write(
        tmp_path / "work",
        {"analysis.j2": ANALYSIS.replace("Plan:", "The plan:"), "partials/unused.j2": ""},
    )
    context = write_context(tmp_path, "analysis")
    shown = ok(
        run_cli(
            "templates",
            "render",
            str(work / "analysis.j2"),
            "--project",
            shop,
            "--context",
            str(context),
            "--json",
        )
    )
    data = json.loads(shown.stdout)
    assert data["text"] == "# Analysis of Login\nProject shop in python\nThe plan: short\n"
    assert [
        (m["template"], m["version"], m["file"], m["source_line"]) for m in data["source_map"]
    ] == [
        ("analysis.j2", None, str(work / "analysis.j2"), 2),
        ("partials/facts.j2", 1, None, 1),
        ("analysis.j2", None, str(work / "analysis.j2"), 4),
        ("analysis.j2", None, str(work / "analysis.j2"), 5),
    ]
    assert (data["phase"], data["characters"]) == ("analysis", len(data["text"]))
    write(work, {"partials/facts.j2": "Edited facts for {{ project.name }}\n"})
    edited = ok(
        run_cli(
            "templates", "render", str(work / "analysis.j2"), "-p", shop, "--context", str(context)
        )
    )
    assert "Edited facts for shop" in edited.stdout
    by_name = ok(run_cli("templates", "render", "analysis", "-p", shop, "--context", str(context)))
    assert by_name.stdout == "# Analysis of Login\nProject shop in python\nPlan: short\n"


def write_context(tmp_path: Path, phase: str, **changes: Any) -> Path:
    data: dict[str, Any] = {
        "project": {"name": "shop", "description": "d", "variables": {"language": "python"}},
        "feature": {"name": "Login", "type": "feature", "description": "Sign in"},
        "session": {"id": "1", "phase": phase},
        "plan": {"phase": "orchestrator", "summary": "short", "content": "long"},
        "vars": {"language": "python"},
    }
    data.update(changes)
    path = tmp_path / f"{phase}.json"
    path.write_text(json.dumps(data, indent=2), encoding="utf-8")
    return path


def test_a_context_that_does_not_fit_is_one_line_naming_where(
    run_cli: RunCli, shop: str, tmp_path: Path
) -> None:
    context = write_context(tmp_path, "analysis", files=[{"path": 3}])
    result = run_cli("templates", "render", "analysis", "--context", str(context))
    lines = context.read_text(encoding="utf-8").split("\n")
    line = next(n for n, text in enumerate(lines, 1) if '"path": 3' in text)
    column = lines[line - 1].index("3") + 1
    assert result.exit_code == 1
    assert result.stderr == (
        f"error: {context}:{line}:{column}: $.files[0].path: expected str, got integer\n"
    )
    assert result.stdout == ""


def test_a_render_failure_names_the_template_line(
    run_cli: RunCli, shop: str, tmp_path: Path
) -> None:
    work = write(tmp_path / "w", {"analysis.j2": "fine\n\n{{ feature.nmae }}\n"})
    context = write_context(tmp_path, "analysis")
    args = ("templates", "render", str(work / "analysis.j2"), "--context", str(context))
    result = run_cli(*args)
    assert result.exit_code == 1
    assert result.stderr.startswith(f"error: {work / 'analysis.j2'}:3: ")
    assert "nmae" in result.stderr and result.stderr.count("\n") == 1
    data = json.loads(run_cli(*args, "--json").stdout)
    assert (data["error"]["file"], data["error"]["source_line"]) == (str(work / "analysis.j2"), 3)


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        pytest.param(
            ("analysis",),
            2,
            "error: give exactly one context: --session N, --context FILE.json or --sample",
            id="no-context",
        ),
        pytest.param(
            ("analysis", "--session", "1", "--sample"),
            2,
            "error: give exactly one context: --session N, --context FILE.json or --sample"
            " (got --session and --sample)",
            id="two-contexts",
        ),
        pytest.param(
            ("partials/feature.j2", "--session", "1"),
            1,
            "error: no orchestration session 1",
            id="unknown-session",
        ),
        pytest.param(
            ("nothing", "--context", "ctx.json"),
            2,
            "error: --context ctx.json: cannot read: [Errno 2] No such file or directory:"
            " 'ctx.json'",
            id="unreadable-context",
        ),
    ],
)
def test_bad_arguments_are_one_line(
    run_cli: RunCli, args: tuple[str, ...], code: int, message: str
) -> None:
    result = run_cli("templates", "render", *args)
    assert (result.exit_code, result.stderr.strip()) == (code, message)


def test_a_partial_needs_a_phase(run_cli: RunCli, shop: str, tmp_path: Path) -> None:
    context = write_context(tmp_path, "analysis")
    args = ("templates", "render", "partials/feature.j2", "--context", str(context))
    result = run_cli(*args)
    assert result.exit_code == 2
    assert "partials/feature.j2 is a partial: give --phase" in result.stderr
    shown = ok(run_cli(*args, "--phase", "analysis"))
    assert shown.stdout.startswith("## The feature: Login")


def test_the_installed_script_prints_the_prompt_alone_on_stdout(
    run_installed: Callable[..., Any], database_url: str, tmp_path: Path
) -> None:
    context = write_context(tmp_path, "analysis")
    work = write(tmp_path / "w", {"analysis.j2": "Hello {{ feature.name }}\n"})
    result = run_installed(
        "templates",
        "render",
        str(work / "analysis.j2"),
        "--context",
        str(context),
        url=database_url,
    )
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "Hello Login\n"
    assert result.stderr.startswith("12 characters, ~4 tokens")


def test_a_generated_sample_is_the_same_for_a_seed_and_uses_the_project_variables(
    run_cli: RunCli, shop: str, tmp_path: Path
) -> None:
    work = write(tmp_path / "w", {"analysis.j2": "Lang {{ vars.language }}: {{ feature.name }}\n"})
    args = ("templates", "render", str(work / "analysis.j2"), "--sample", "-p", shop)
    first = ok(run_cli(*args, "--seed", "7"))
    assert first.stdout.startswith("Lang python: ")
    assert ok(run_cli(*args, "--seed", "7")).stdout == first.stdout
    assert "with a generated sample (seed 7)" in first.stderr
    seeds = {ok(run_cli(*args, "--seed", str(seed))).stdout for seed in range(4)}
    assert len(seeds) > 1


def test_a_session_in_an_experiment_renders_its_variant(
    run_cli: RunCli, shop: str, tmp_path: Path
) -> None:
    """A session assigned variant B rendered B's analysis version; its preview does too,
    unless another label asks for another resolution."""
    ok(run_cli("templates", "defaults", "install"))
    analysis = "orchestration_analysis_default"
    ok(run_cli("templates", "label", analysis, "production", "1"))
    shipped = (Path(defaults_init).parent / "analysis.j2").read_text(encoding="utf-8")
    write(tmp_path / "deep", {"analysis.j2": f"{shipped}\nThink twice.\n"})
    ok(run_cli("templates", "publish", str(tmp_path / "deep"), "-m", "deep"))
    experiment = ("experiments", "create", "deep", "--project", shop, "--variant")
    ok(run_cli(*experiment, "control:50", "--variant", f"B:50:analysis={analysis}@2"))
    ok(run_cli("experiments", "start", "deep"))
    plan = ("orchestrate", "plan", shop)
    sessions = (json.loads(ok(run_cli(*plan, f"F{n}", "--json")).stdout) for n in range(50))
    created = next(s for s in sessions if s["variant_assignments"]["deep"]["variant"] == "B")
    session_id = str(created["id"])
    (tmp_path / "plan.md").write_text("The plan", encoding="utf-8")
    ok(run_cli("orchestrate", "advance", session_id, "--output-file", str(tmp_path / "plan.md")))

    shown = ok(run_cli("templates", "render", "analysis", "--session", session_id))
    assert shown.stdout == stored_prompts(run_cli, int(session_id))["analysis"]
    assert "Think twice." in shown.stdout
    assert f"{analysis} v2 as analysis" in shown.stderr
    assert "(experiment deep, variant B)" in shown.stderr
    labelled = ok(
        run_cli("templates", "render", "analysis", "--session", session_id, "-l", "production")
    )
    assert "Think twice." in labelled.stdout and "variant B" in labelled.stderr
    ok(run_cli("templates", "label", analysis, "staging", "1"))
    staging = ok(
        run_cli("templates", "render", "analysis", "--session", session_id, "-l", "staging")
    )
    assert "Think twice." not in staging.stdout and "variant" not in staging.stderr


def install_plugin(site: Path, module: str, entry_points: str, body: str) -> None:
    """A real installed distribution (dist-info with entry points) on `site`."""
    site.mkdir(parents=True, exist_ok=True)
    (site / f"{module}.py").write_text(body, encoding="utf-8")
    info = site / f"{module}-1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: {module}\nVersion: 1.0\n", encoding="utf-8"
    )
    (info / "entry_points.txt").write_text(
        f"[prompt_tool.token_counters]\n{entry_points}", encoding="utf-8"
    )


def test_an_installed_token_counter_is_chosen_by_flag_or_pyproject(
    run_cli: RunCli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    site = tmp_path / "site"
    body = (
        "def words(text):\n    return len(text.split())\n\n"
        "class Chars:\n    name = 'chars (exact)'\n\n"
        "    def __call__(self, text):\n        return len(text)\n\n"
        "def broken(text):\n    return 'many'\n"
    )
    entries = (
        "wc_words = wc_plugin:words\nwc_chars = wc_plugin:Chars\nwc_broken = wc_plugin:broken\n"
    )
    install_plugin(site, "wc_plugin", entries, body)
    monkeypatch.syspath_prepend(str(site))
    work = write(tmp_path / "w", {"analysis.j2": "one two three {{ feature.name }}\n"})
    monkeypatch.chdir(work)
    args = ("templates", "render", "analysis.j2", "--sample")

    words = ok(run_cli(*args, "--token-counter", "wc_words", "--json"))
    data = json.loads(words.stdout)
    assert data["token_counter"] == "wc_words"
    assert data["tokens"] == len(data["text"].split())
    (work / "pyproject.toml").write_text(
        '[tool.prompt-tool.preview]\ntoken_counter = "wc_chars"\n', encoding="utf-8"
    )
    chars = ok(run_cli(*args))
    assert f"{len(chars.stdout)} characters, ~{len(chars.stdout)} tokens (chars (exact))" in (
        chars.stderr
    )
    assert "(wc_words)" in ok(run_cli(*args, "--token-counter", "wc_words")).stderr

    broken = run_cli(*args, "--token-counter", "wc_broken")
    assert broken.exit_code != 0 and broken.stdout == ""
    assert (
        broken.stderr == "error: token counter 'wc_broken' answered 'many', not a count of tokens\n"
    )
    missing = run_cli(*args, "--token-counter", "tiktoken")
    assert missing.exit_code != 0
    assert missing.stderr.startswith(
        "error: token counter 'tiktoken' is not installed (installed: "
    )
    assert "heuristic, wc_broken, wc_chars, wc_words" in missing.stderr
    (work / "pyproject.toml").write_text(
        "[tool.prompt-tool.preview]\ntoken_counter = 3\n", encoding="utf-8"
    )
    bad = run_cli(*args)
    assert (
        bad.exit_code != 0 and "token_counter" in bad.stderr and len(bad.stderr.splitlines()) == 1
    )
