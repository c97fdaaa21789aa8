"""PT001: syntax errors at the offending token, not the whole line."""

from __future__ import annotations

from typing import Any

import pytest
from jinja2 import nodes
from jinja2.ext import Extension
from jinja2.parser import Parser

from prompt_tool.analysis.workspace import AnalysisConfig, Workspace
from prompt_tool.core.templating import TemplateEngine


@pytest.mark.parametrize(
    ("source", "needle", "nth"),
    [
        pytest.param("{{ a b }}", "b", 0, id="unexpected-token"),
        pytest.param("text\n{% frobnicate %}", "frobnicate", 0, id="unknown-tag"),
        pytest.param('{{ "abc }}', '"', 0, id="unterminated-string"),
        pytest.param(
            "{% for x in y %}\n  {% if x %}\n{% endfor %}", "endfor", 0, id="mismatched-end"
        ),
        pytest.param("line\n{% for x in items %}\n{{ x }}", "for", 0, id="unclosed-block"),
        pytest.param("{{ feature | }}", "}}", 0, id="missing-filter-name"),
    ],
)
def test_syntax_error_column(
    analyse: Any, expect: Any, found: Any, source: str, needle: str, nth: int
) -> None:
    assert [found(d) for d in analyse(source)] == [expect(source, "PT001", needle, nth)]


def test_valid_template_has_no_syntax_error(analyse: Any) -> None:
    assert analyse("{% for x in feature.acceptance_criteria %}{{ x }}{% endfor %}") == []


def test_crlf_sources_keep_columns(analyse: Any) -> None:
    result = analyse("ok\r\n  {{ a b }}\r\n")
    assert [(d.code, d.span.start.line, d.span.start.column) for d in result] == [("PT001", 1, 7)]


class Broken(Extension):
    """A project extension with a bug in its parse method."""

    tags = {"broken"}  # noqa: RUF012

    def parse(self, parser: Parser) -> nodes.Node:
        raise ValueError("extension bug")


def test_extension_crash_in_parser_is_a_finding() -> None:
    workspace = Workspace(AnalysisConfig(extensions=(f"{__name__}.Broken",)))
    workspace.set_document("t.j2", "ok\n{% broken %}")
    (diagnostic,) = workspace.diagnostics("t.j2")
    assert diagnostic.code == "PT001"
    assert "ValueError: extension bug" in diagnostic.message


def test_unknown_tag_hints_at_extensions(analyse: Any) -> None:
    (diagnostic,) = analyse("{% trans %}hi{% endtrans %}")
    assert diagnostic.message == (
        "Encountered unknown tag 'trans'. If a Jinja extension provides it, configure that extension."
    )
    assert (
        analyse(
            "{% trans %}hi{% endtrans %}", config=AnalysisConfig(extensions=("jinja2.ext.i18n",))
        )
        == []
    )


LOOP_CONTROLS = [
    pytest.param("a {% break %}", "break", id="top-level"),
    pytest.param("{% if 1 %}{% continue %}{% endif %}", "continue", id="in-an-if"),
    pytest.param(
        "{% for x in [1] %}{% macro m() %}{% break %}{% endmacro %}{% endfor %}",
        "break",
        id="in-a-macro-in-a-loop",
    ),
    pytest.param(
        "{% macro m() %}{{ caller() }}{% endmacro %}"
        "{% for x in [1] %}{% call m() %}{% continue %}{% endcall %}{% endfor %}",
        "continue",
        id="in-a-call-block-in-a-loop",
    ),
    pytest.param(
        "{% for x in [1] %}{% block b %}{% break %}{% endblock %}{% endfor %}",
        "break",
        id="in-a-block-in-a-loop",
    ),
    pytest.param("{% for x in [] %}{% else %}{% break %}{% endfor %}", "break", id="loop-else"),
]
LOOP_CONTROLS_IN_A_LOOP = [
    "{% for x in [1, 2] %}{% if x %}{% break %}{% endif %}{{ x }}{% endfor %}",
    "{% for x in [1] %}{% for y in [] %}{% else %}{% continue %}{% endfor %}{% endfor %}",
    "{% for x in [1] %}{% with y = x %}{% set z %}{% break %}{% endset %}{% endwith %}{% endfor %}",
    "{% for x in [1] %}{% filter upper %}{% break %}{% endfilter %}{% endfor %}",
    "{% for x in [[1]] recursive %}{% break %}{{ loop(x) }}{% endfor %}",
    "{% macro m() %}{% for x in [1] %}{% continue %}{% endfor %}{% endmacro %}{{ m() }}",
]


@pytest.mark.parametrize(("source", "word"), LOOP_CONTROLS)
def test_a_loop_control_outside_its_loop_is_an_error_as_it_cannot_render(
    analyse: Any, expect: Any, found: Any, source: str, word: str
) -> None:
    """Jinja accepts these and compiles them to Python that does not compile: checked means
    renders, so the check refuses exactly what the renderer cannot run."""
    assert [found(d) for d in analyse(source)] == [expect(source, "PT001", word, 0)]
    with pytest.raises(SyntaxError):
        TemplateEngine().render_string(source, {})


@pytest.mark.parametrize("source", LOOP_CONTROLS_IN_A_LOOP)
def test_a_loop_control_in_its_loop_is_fine_and_renders(analyse: Any, source: str) -> None:
    assert analyse(source) == []
    TemplateEngine().render_string(source, {})
