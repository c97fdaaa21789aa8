"""The lint service on real files: discovery, loader names, config, contracts, exit status."""

from __future__ import annotations

import importlib.util
import textwrap
from pathlib import Path

import pytest

from prompt_tool.analysis.diagnostics import Diagnostic, Severity, Span
from prompt_tool.analysis.sources import MappingSource
from prompt_tool.analysis.typeinfo import Kind
from prompt_tool.checking.lint import (
    LintResult,
    StdinDocument,
    glob_matches,
    plan_lint,
    run_lint,
)
from prompt_tool.checking.settings import load_settings, parse_settings
from prompt_tool.core.errors import ConfigError, UsageError

# The checks beyond syntax errors come with the analyser (issue 3, branch `analysis`);
# until it is merged, the tests that need them are expected to fail, strictly.
ANALYSER_PENDING = importlib.util.find_spec("prompt_tool.analysis.checks") is None

BROKEN = "line one\n{{ x }\n"

MODELS = '''
from dataclasses import dataclass, field
from typing import TypedDict

from pydantic import BaseModel


@dataclass
class Issue:
    title: str
    """The issue title."""
    labels: list[str] = field(default_factory=list)


class IssueContext(TypedDict):
    issue: Issue
    comments: list[str]


class ReleaseContext(BaseModel):
    version: str
    issues: list[Issue]
'''

PYPROJECT = """
[tool.prompt-tool.lint]
roots = ["prompts"]

[tool.prompt-tool.contracts]
"prompts/issue/*.j2" = "myapp.models:IssueContext"
"prompts/release/**/*.j2" = "myapp.models:ReleaseContext"
globals = { today = "str" }
"""


def _write(root: Path, files: dict[str, str | bytes]) -> None:
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(textwrap.dedent(content))


@pytest.fixture
def project(tmp_path: Path) -> Path:
    _write(
        tmp_path,
        {
            "pyproject.toml": PYPROJECT,
            "src/myapp/__init__.py": "",
            "src/myapp/models.py": MODELS,
            "prompts/issue/triage.j2": "{{ issue.title }} {{ comments | length }} {{ today }}",
            "prompts/issue/typo.j2": "{{ issue.titel }}",
            "prompts/release/notes/v1.j2": "{% for i in issues %}{{ i.title }}{% endfor %}",
            "prompts/other.j2": "{% include 'issue/triage.j2' %}",
        },
    )
    return tmp_path


def test_syntax_error_found_with_file_path_and_exact_line(tmp_path: Path) -> None:
    _write(tmp_path, {"ok.j2": "{{ a }}", "bad.j2": BROKEN})
    result = run_lint([tmp_path], parse_settings({}, None, tmp_path))
    assert result.files_checked == 2
    (found,) = result.diagnostics
    assert (found.code, found.path, found.span.start.line) == ("PT001", str(tmp_path / "bad.j2"), 1)
    assert result.exit_code == 1


def test_invalid_utf8_is_pt014_and_the_other_files_are_still_linted(tmp_path: Path) -> None:
    _write(tmp_path, {"a.j2": b"ok\n\xff\xfe", "b.j2": BROKEN})
    result = run_lint([tmp_path], parse_settings({}, None, tmp_path))
    assert [(d.code, Path(d.path).name, d.span.start.line) for d in result.diagnostics] == [
        ("PT014", "a.j2", 1),
        ("PT001", "b.j2", 1),
    ]
    assert result.diagnostics[0].span == Span.at(1, 0)


def test_disabled_codes_from_config_are_not_reported(tmp_path: Path) -> None:
    _write(tmp_path, {"bad.j2": BROKEN})
    settings = parse_settings({"lint": {"disable": ["syntax-error"]}}, None, tmp_path)
    result = run_lint([tmp_path], settings)
    assert result.diagnostics == ()
    assert result.exit_code == 0


@pytest.mark.xfail(
    ANALYSER_PENDING,
    strict=True,
    reason="suppression comments are read by the analyser (issue 3, branch analysis)",
)
def test_suppression_comment_silences_its_line(tmp_path: Path) -> None:
    loop = "{% set n = 0 %}{% for i in [1] %}{% set n = i %}{% endfor %}\n"
    _write(
        tmp_path,
        {
            "quiet.j2": loop + "{{ n }} {# prompt-tool: disable=PT011 #}\n",
            "loud.j2": loop + "{{ n }}\n",
        },
    )
    result = run_lint([tmp_path], parse_settings({}, None, tmp_path))
    assert [(d.code, Path(d.path).name) for d in result.diagnostics] == [("PT011", "loud.j2")]


def test_stdin_replaces_the_file_of_the_same_name(tmp_path: Path) -> None:
    _write(tmp_path, {"t.j2": "{{ fine }}", "u.j2": "{{ fine }}"})
    stdin = StdinDocument(BROKEN.encode(), tmp_path / "t.j2")
    result = run_lint([tmp_path], parse_settings({}, None, tmp_path), stdin=stdin)
    assert result.files_checked == 2
    assert [Path(d.path).name for d in result.diagnostics] == ["t.j2"]


def test_stdin_alone_needs_no_paths(tmp_path: Path) -> None:
    stdin = StdinDocument(b"{{ ok }}", tmp_path / "new.j2")
    result = run_lint([], parse_settings({}, None, tmp_path), stdin=stdin)
    assert (result.files_checked, result.diagnostics) == (1, ())


def _result(*severities: Severity, strict: bool) -> LintResult:
    found = tuple(Diagnostic("PT001", s, "m", "a.j2", Span.at(0, 0)) for s in severities)
    return LintResult(found, 1, strict)


@pytest.mark.parametrize(
    ("severities", "strict", "exit_code"),
    [
        pytest.param((), False, 0, id="clean"),
        pytest.param((Severity.ERROR,), False, 1, id="error"),
        pytest.param((Severity.WARNING,), False, 0, id="warning"),
        pytest.param((Severity.WARNING,), True, 1, id="warning-strict"),
        pytest.param((Severity.HINT, Severity.INFORMATION), True, 0, id="hints-never-fail"),
    ],
)
def test_exit_codes(severities: tuple[Severity, ...], strict: bool, exit_code: int) -> None:
    assert _result(*severities, strict=strict).exit_code == exit_code


def test_strict_from_config(tmp_path: Path) -> None:
    _write(tmp_path, {"a.j2": "{{ a }}"})
    settings = parse_settings({"lint": {"strict": True}}, None, tmp_path)
    assert run_lint([tmp_path], settings).is_strict


@pytest.mark.parametrize(
    ("paths", "phase", "message"),
    [
        pytest.param([], None, "PATH: give at least one", id="no-paths"),
        pytest.param(["missing"], None, "PATH .*missing: no such file", id="missing"),
        pytest.param(["."], "review", "--phase: unknown phase 'review'", id="phase"),
    ],
)
def test_usage_errors(tmp_path: Path, paths: list[str], phase: str | None, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        run_lint([tmp_path / p for p in paths], parse_settings({}, None, tmp_path), phase=phase)


def test_configured_root_that_is_missing_is_a_config_error(tmp_path: Path) -> None:
    settings = parse_settings({"lint": {"roots": ["nope"]}}, tmp_path / "pyproject.toml", tmp_path)
    with pytest.raises(ConfigError, match=r"\[tool.prompt-tool.lint\] roots: .*nope"):
        run_lint([tmp_path], settings)


def test_names_are_relative_to_configured_roots(project: Path) -> None:
    plan = plan_lint([project / "prompts"], load_settings(project))
    assert plan.roots == (project / "prompts",)
    assert [d.name for d in plan.documents] == [
        "issue/triage.j2",
        "issue/typo.j2",
        "other.j2",
        "release/notes/v1.j2",
    ]


def test_default_roots_are_the_given_folders(tmp_path: Path) -> None:
    _write(tmp_path, {"p/a.j2": "", "q/sub/b.j2": ""})
    plan = plan_lint([tmp_path / "p", tmp_path / "q/sub/b.j2"], parse_settings({}, None, tmp_path))
    assert plan.roots == (tmp_path / "p", tmp_path / "q/sub")
    assert [d.name for d in plan.documents] == ["a.j2", "b.j2"]


def test_declared_contracts_reach_the_analyser_by_template_name(project: Path) -> None:
    plan = plan_lint([project / "prompts"], load_settings(project))
    assert plan.config_diagnostics == ()
    by_name = plan.config.contracts_by_glob
    assert set(by_name) == {"issue/triage.j2", "issue/typo.j2", "release/notes/v1.j2"}
    issue_context = by_name["issue/triage.j2"]
    assert set(issue_context.variables) == {"issue", "comments", "today"}
    issue = issue_context.variables["issue"].type
    assert issue.kind is Kind.OBJECT
    assert set(issue.fields) == {"title", "labels"}
    assert issue.fields["title"].doc == "The issue title."
    assert "titel" not in issue.fields
    release = by_name["release/notes/v1.j2"].variables["issues"].type
    assert release.element is issue_context.variables["issue"].type
    assert plan.config.extra_globals == {"today"}


def test_header_types_resolve_through_the_configured_resolver(project: Path) -> None:
    plan = plan_lint([project / "prompts"], load_settings(project))
    resolver = plan.config.type_resolver
    assert resolver is not None
    assert set(resolver.resolve("myapp.models:Issue").fields) == {"title", "labels"}


def test_correct_attribute_use_lints_clean(project: Path) -> None:
    result = run_lint([project / "prompts/issue/triage.j2"], load_settings(project))
    assert result.diagnostics == ()


@pytest.mark.xfail(
    ANALYSER_PENDING,
    strict=True,
    reason="needs the analyser's attribute check (issue 3, branch analysis); "
    "today's Workspace reports syntax errors only",
)
def test_misspelled_attribute_of_a_declared_contract_is_reported(project: Path) -> None:
    result = run_lint([project / "prompts"], load_settings(project))
    assert [(d.code, Path(d.path).name) for d in result.diagnostics] == [("PT004", "typo.j2")]


def test_unresolvable_contract_is_pt016_at_its_config_line(project: Path) -> None:
    text = (project / "pyproject.toml").read_text()
    (project / "pyproject.toml").write_text(text.replace("IssueContext", "IssueContxt"))
    result = run_lint([project / "prompts/other.j2"], load_settings(project))
    (found,) = result.diagnostics
    assert found.code == "PT016"
    assert found.path == str(project / "pyproject.toml")
    assert found.span == Span.at(5, 0, len('"prompts/issue/*.j2"'))
    assert "'prompts/issue/*.j2'" in found.message
    assert "defines no 'IssueContxt'" in found.message
    assert result.exit_code == 1


@pytest.mark.parametrize(
    ("pattern", "path", "matches"),
    [
        pytest.param("prompts/*.j2", "prompts/a.j2", True, id="star"),
        pytest.param("prompts/*.j2", "prompts/sub/a.j2", False, id="star-stays-in-folder"),
        pytest.param("prompts/**/*.j2", "prompts/a.j2", True, id="globstar-zero-folders"),
        pytest.param("prompts/**/*.j2", "prompts/x/y/a.j2", True, id="globstar-deep"),
        pytest.param("**/review.j2", "a/b/review.j2", True, id="leading-globstar"),
        pytest.param("a?.j2", "ab.j2", True, id="question"),
        pytest.param("a.j2", "a_j2", False, id="dot-is-literal"),
    ],
)
def test_glob_matches(pattern: str, path: str, matches: bool) -> None:
    assert glob_matches(pattern, path) is matches


def test_a_shadowed_name_is_still_linted_under_its_path(tmp_path: Path) -> None:
    _write(tmp_path, {"a/x.j2": "{{ fine }}", "b/x.j2": BROKEN})
    plan = plan_lint([tmp_path / "a", tmp_path / "b"], parse_settings({}, None, tmp_path))
    assert [d.name for d in plan.documents] == ["x.j2", (tmp_path / "b/x.j2").as_posix()]
    result = run_lint([tmp_path / "a", tmp_path / "b"], parse_settings({}, None, tmp_path))
    assert [(d.code, d.path) for d in result.diagnostics] == [("PT001", str(tmp_path / "b/x.j2"))]


def test_unloadable_jinja_extension_is_a_config_error(tmp_path: Path) -> None:
    _write(tmp_path, {"a.j2": ""})
    settings = parse_settings(
        {"contracts": {"extensions": ["no_such_module.Ext"]}}, tmp_path / "pyproject.toml", tmp_path
    )
    with pytest.raises(
        ConfigError, match=r"\[tool.prompt-tool.contracts\] extensions: cannot load"
    ):
        run_lint([tmp_path], settings)


def test_unresolvable_global_type_is_pt016(tmp_path: Path) -> None:
    _write(
        tmp_path,
        {
            "a.j2": "",
            "pyproject.toml": '[tool.prompt-tool.contracts]\nglobals = { now = "Clock" }\n',
        },
    )
    result = run_lint([tmp_path / "a.j2"], load_settings(tmp_path))
    (found,) = result.diagnostics
    assert (found.code, found.span) == ("PT016", Span.at(1, 12, 3))
    assert "globals 'now': unknown type 'Clock'" in found.message


@pytest.mark.xfail(
    ANALYSER_PENDING,
    strict=True,
    reason="missing-include check (PT007) comes with the analyser (issue 3, branch analysis)",
)
def test_includes_may_resolve_to_published_templates(tmp_path: Path) -> None:
    _write(tmp_path, {"a.j2": "{% include 'published.j2' %}"})
    settings = parse_settings({}, None, tmp_path)
    assert [d.code for d in run_lint([tmp_path], settings).diagnostics] == ["PT007"]
    published = MappingSource({"published.j2": "hello"})
    assert run_lint([tmp_path], settings, published=published).diagnostics == ()


ROOTS = '[tool.prompt-tool.lint]\nroots = ["prompts"]\n'
INCLUDER = {
    "prompts/orchestrator.j2": '{% include "partials/p.j2" %}\n',
    "prompts/partials/p.j2": "{{ plan.summary }}\n",
}


@pytest.mark.parametrize(
    "via_stdin", [pytest.param(False, id="file"), pytest.param(True, id="stdin")]
)
def test_a_partial_linted_alone_is_checked_against_its_includers_under_the_roots(
    tmp_path: Path, via_stdin: bool
) -> None:
    _write(tmp_path, {"pyproject.toml": ROOTS, **INCLUDER})
    settings = load_settings(tmp_path)
    partial = tmp_path / "prompts/partials/p.j2"
    if via_stdin:
        stdin = StdinDocument(b"{{ plan.summary }}\n", partial)
        result = run_lint([], settings, stdin=stdin)
    else:
        result = run_lint([partial], settings)
    assert result.files_checked == 1
    [found] = result.diagnostics
    assert (found.code, found.path, found.span.start.line) == ("PT002", str(partial), 0)
    assert "when included from `orchestrator.j2`" in found.message


def test_without_configured_roots_a_partial_alone_has_no_includer(tmp_path: Path) -> None:
    _write(tmp_path, INCLUDER)
    result = run_lint([tmp_path / "prompts/partials/p.j2"], load_settings(tmp_path))
    assert result.diagnostics == ()


@pytest.mark.parametrize(
    ("pyproject", "has_hint"),
    [pytest.param("", True, id="no-roots"), pytest.param(ROOTS, False, id="roots")],
)
def test_a_missing_include_says_when_no_roots_are_configured(
    tmp_path: Path, pyproject: str, has_hint: bool
) -> None:
    _write(tmp_path, {"pyproject.toml": pyproject, "prompts/a.j2": '{% include "nope.j2" %}'})
    [found] = run_lint([tmp_path / "prompts"], load_settings(tmp_path)).diagnostics
    assert found.code == "PT007"
    assert ("set `roots` in [tool.prompt-tool.lint]" in found.message) is has_hint


def test_a_contract_glob_that_matches_no_file_is_a_warning_at_its_line(project: Path) -> None:
    text = (project / "pyproject.toml").read_text()
    (project / "pyproject.toml").write_text(
        text.replace('"prompts/release/**/*.j2"', '"prompt/release/**/*.j2"')
    )
    result = run_lint([project / "prompts/other.j2"], load_settings(project))
    [found] = result.diagnostics
    assert (found.code, found.severity, found.path) == (
        "PT016",
        Severity.WARNING,
        str(project / "pyproject.toml"),
    )
    assert found.span.start.line == 6
    assert "'prompt/release/**/*.j2': matches no template file" in found.message
    assert result.exit_code == 0


EXTENSION = """
from jinja2.ext import Extension


class Yell(Extension):
    def __init__(self, environment):
        super().__init__(environment)
        environment.filters["yell"] = str.upper
"""


def test_a_jinja_extension_is_found_in_the_source_roots(tmp_path: Path) -> None:
    import sys

    _write(
        tmp_path,
        {
            "pyproject.toml": '[tool.prompt-tool.contracts]\nextensions = ["team_ext.Yell"]\n',
            "src/team_ext.py": EXTENSION,
            "a.j2": "{{ name | yell }}",
        },
    )
    before = list(sys.path)
    result = run_lint([tmp_path / "a.j2"], load_settings(tmp_path))
    assert result.diagnostics == ()
    assert sys.path == before


def test_a_sample_that_does_not_fit_is_pt019_at_its_value(tmp_path: Path) -> None:
    planning = '{\n  "project": {"name": "shop", "description": 7}\n}\n'
    _write(
        tmp_path,
        {
            "pyproject.toml": '[tool.prompt-tool.preview]\nsamples = ["fixtures/*.json"]\n',
            "prompts/plan.j2": "{{ feature.name }}",
            "prompts/samples/login.orchestrator.json": planning,
            "fixtures/big.analysis.json": "[]",
        },
    )
    settings = load_settings(tmp_path)
    result = run_lint([tmp_path / "prompts"], settings)
    assert result.files_checked == 3
    assert [(d.code, Path(d.path).name, d.span, d.message) for d in result.diagnostics] == [
        (
            "PT019",
            "login.orchestrator.json",
            Span.at(1, 45),
            "$.project.description: expected str, got integer (the orchestrator contract)",
        ),
        (
            "PT019",
            "big.analysis.json",
            Span.at(0, 0),
            "$: expected AnalysisContext (an object), got array (the analysis contract)",
        ),
    ]
    assert result.exit_code == 1
    single = run_lint([tmp_path / "prompts" / "plan.j2"], settings)
    assert (single.files_checked, single.diagnostics) == (1, ())
