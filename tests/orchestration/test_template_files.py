"""How files map to stored names and phases, and back (export), table-driven."""

from __future__ import annotations

from pathlib import Path

import pytest

from prompt_tool.analysis.parsing import read_header
from prompt_tool.checking.publish import collect_files
from prompt_tool.checking.settings import ProjectSettings
from prompt_tool.core.errors import ValidationError
from prompt_tool.core.templating import TemplateEngine
from prompt_tool.orchestration.template_files import (
    TemplateFile,
    file_name_for,
    name_problem,
    spec_for,
    strip_export_line,
)


@pytest.mark.parametrize(
    ("include_name", "source", "name", "phase"),
    [
        pytest.param(
            "analysis.j2", "x", "orchestration_analysis_default", "analysis", id="phase-file"
        ),
        pytest.param(
            "deep.analysis.j2", "x", "orchestration_analysis_deep", "analysis", id="segment"
        ),
        pytest.param(
            "analysis/deep.j2", "x", "orchestration_analysis_deep", "analysis", id="folder"
        ),
        pytest.param("partials/context.j2", "x", "partials/context.j2", "partial", id="partial"),
        pytest.param(
            "mine.j2",
            "{#- prompt-tool: phase=implementation -#}\nx",
            "orchestration_implementation_mine",
            "implementation",
            id="header",
        ),
        pytest.param(
            "analysis.j2",
            "{#- prompt-tool: phase=orchestrator, feature_type=bugfix -#}",
            "orchestration_orchestrator_analysis",
            "orchestrator",
            id="header-beats-path",
        ),
    ],
)
def test_file_to_stored_name_and_back(
    include_name: str, source: str, name: str, phase: str
) -> None:
    spec = spec_for(TemplateFile(Path(include_name), include_name, source), None)
    assert (spec.name, spec.phase) == (name, phase)
    back = file_name_for(spec.name, spec.phase)
    again = spec_for(TemplateFile(Path(back), back, source), None)
    assert (again.name, again.phase) == (name, phase)


@pytest.mark.parametrize(
    ("include_name", "source", "feature_type", "message"),
    [
        pytest.param("notes.j2", "x", None, "no phase", id="no-phase"),
        pytest.param(
            "a.j2", "{#- prompt-tool: phase=review -#}", None, "unknown phase", id="bad-phase"
        ),
        pytest.param(
            "analysis.j2",
            "{#- prompt-tool: feature_type=bugfix -#}",
            "feature",
            "feature_type=bugfix",
            id="feature-type-clash",
        ),
    ],
)
def test_unmappable_files_are_refused(
    include_name: str, source: str, feature_type: str | None, message: str
) -> None:
    with pytest.raises(ValidationError, match=message):
        spec_for(TemplateFile(Path(include_name), include_name, source), feature_type)


def test_header_feature_type_sets_the_scope() -> None:
    source = "{#- prompt-tool: phase=analysis, feature_type=bugfix -#}\n"
    assert read_header(TemplateEngine().environment, source).feature_type == "bugfix"
    spec = spec_for(TemplateFile(Path("a.j2"), "a.j2", source), None)
    assert spec.feature_type == "bugfix"


def test_export_line_is_stripped_only_at_the_top() -> None:
    body = "{{ x }}\n"
    assert strip_export_line("{#- exported by prompt-tool: n v1 -#}\n" + body) == body
    assert strip_export_line(body + "{#- exported by prompt-tool: n -#}\n") == body + (
        "{#- exported by prompt-tool: n -#}\n"
    )


@pytest.mark.parametrize(
    ("name", "problem"),
    [
        pytest.param("partials/a.j2", None, id="relative-path"),
        pytest.param("partials/é-ü.j2", None, id="non-ascii-letters"),
        pytest.param("", "is empty", id="empty"),
        pytest.param("x" * 256, "longer than 255", id="too-long"),
        pytest.param("/etc/x.j2", "absolute path", id="absolute"),
        pytest.param("a\\b.j2", "backslash", id="backslash"),
        pytest.param("../x.j2", "`..` segment", id="dotdot"),
        pytest.param("a//b.j2", "empty, `.` or `..` segment", id="empty-segment"),
        pytest.param("./a.j2", "`.` or `..` segment", id="dot"),
        pytest.param("a\nb.j2", "U+000A", id="newline"),
        pytest.param("a\x1b[31m.j2", "U+001B", id="ansi-escape"),
        pytest.param("a\u202eb.j2", "U+202E", id="bidi-override"),
        pytest.param("a\u2028b.j2", "U+2028", id="line-separator"),
        pytest.param("a\u200bb.j2", "U+200B", id="zero-width-space"),
    ],
)
def test_template_names_are_safe_relative_paths(name: str, problem: str | None) -> None:
    found = name_problem(name)
    assert (found is None) if problem is None else (found is not None and problem in found)


def test_publish_refuses_a_file_name_with_a_control_character(tmp_path: Path) -> None:
    path = tmp_path / "partials" / "a\x1b[31m.j2"
    path.parent.mkdir()
    path.write_text("x", encoding="utf-8")
    [file] = collect_files([tmp_path], ProjectSettings(tmp_path))
    with pytest.raises(ValidationError, match="U\\+001B") as caught:
        spec_for(file, None)
    assert "\x1b" not in str(caught.value) and "\n" not in str(caught.value)
