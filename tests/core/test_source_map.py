"""The source map: every output line traced to the exact template and line that wrote it."""

from __future__ import annotations

from typing import Any

import pytest
from jinja2 import nodes
from jinja2.compiler import CodeGenerator, Frame

from prompt_tool.core.source_map import (
    Chunk,
    Origin,
    TracedRender,
    instrument,
    line_sources,
    split_output_lines,
)
from prompt_tool.core.templating import TemplateEngine, TemplateRenderError

PARTIAL = "partial 1\n{{ 'two\\nlines' }}\npartial 3 {{ n }}\n"
BASE = "base 1\n{% block body %}base default\n{% endblock %}\nbase 4\n"
MACROS = "{% macro shout(word) %}\n{{ word | upper }}!\n{% endmacro %}\n"


def mapped(templates: dict[str, str], context: dict[str, Any]) -> list[tuple[str, str, int]]:
    """(output line, template, 1-based line) for `main.j2`, after checking the text is exact."""
    plain = TemplateEngine(templates).render("main.j2", context)
    engine = TemplateEngine(templates)
    instrument(engine.environment)
    trace = TracedRender()
    text = engine.render_traced("main.j2", context, trace)
    assert text == plain
    found = []
    for line, origin in zip(split_output_lines(text), trace.line_origins(), strict=True):
        assert origin is not None, line
        found.append((line, origin.template, origin.line))
    return found


@pytest.mark.parametrize(
    ("main", "others", "expected"),
    [
        pytest.param(
            "one\ntwo\nthree",
            {},
            [("one", "main.j2", 1), ("two", "main.j2", 2), ("three", "main.j2", 3)],
            id="static-text-moves-down",
        ),
        pytest.param(
            "{% if n %}\ninside a\ninside b\n{% endif %}\nafter",
            {},
            [("inside a", "main.j2", 2), ("inside b", "main.j2", 3), ("after", "main.j2", 5)],
            id="text-after-a-trimmed-tag",
        ),
        pytest.param(
            "top\n{% include 'partial.j2' %}\nbottom",
            {"partial.j2": PARTIAL},
            [
                ("top", "main.j2", 1),
                ("partial 1", "partial.j2", 1),
                ("two", "partial.j2", 2),
                ("lines", "partial.j2", 2),
                ("partial 3 1", "partial.j2", 3),
                ("bottom", "main.j2", 3),
            ],
            id="include-with-context",
        ),
        pytest.param(
            "{% for i in [1, 2] %}\nitem {{ i }}\n{% include 'inner.j2' %}\n{% endfor %}\nend",
            {"inner.j2": "inner {{ i }}\n"},
            [
                ("item 1", "main.j2", 2),
                ("inner 1", "inner.j2", 1),
                ("item 2", "main.j2", 2),
                ("inner 2", "inner.j2", 1),
                ("end", "main.j2", 5),
            ],
            id="include-in-a-loop",
        ),
        pytest.param(
            "{% extends 'base.j2' %}\n{% block body %}\nchild 3\n{{ super() }}{% endblock %}",
            {"base.j2": BASE},
            [
                ("base 1", "base.j2", 1),
                ("child 3", "main.j2", 3),
                ("base default", "main.j2", 4),
                ("base 4", "base.j2", 4),
                ("", "base.j2", 5),
            ],
            id="extends-blocks-and-super",
        ),
        pytest.param(
            "{% import 'macros.j2' as m %}\nsay {{ m.shout('hi') }}\n{% filter upper %}\nquiet\n"
            "{% endfilter %}\nlast",
            {"macros.j2": MACROS},
            [
                ("say HI!", "main.j2", 2),
                ("", "main.j2", 2),
                ("QUIET", "main.j2", 3),
                ("last", "main.j2", 6),
            ],
            id="macro-and-filter-output-belong-to-their-call",
        ),
        pytest.param(
            "head\n{% include 'plain.j2' without context %}\ntail",
            {"plain.j2": "plain 1\nplain 2\n"},
            [
                ("head", "main.j2", 1),
                ("plain 1", "main.j2", 2),
                ("plain 2", "main.j2", 2),
                ("tail", "main.j2", 3),
            ],
            id="include-without-context-is-the-include-line",
        ),
        pytest.param(
            "{% include 'inner.j2' %}\n{% include 'plain.j2' without context %}\ntail",
            {"inner.j2": "inner\n", "plain.j2": "plain 1\nplain 2\n"},
            [
                ("inner", "inner.j2", 1),
                ("plain 1", "main.j2", 2),
                ("plain 2", "main.j2", 2),
                ("tail", "main.j2", 3),
            ],
            id="include-without-context-after-one-with-context",
        ),
        pytest.param(
            "value: {{ text }}\nnext",
            {},
            [
                ("value: a", "main.j2", 1),
                ("b", "main.j2", 1),
                ("c", "main.j2", 1),
                ("next", "main.j2", 2),
            ],
            id="value-with-every-line-break-kind",
        ),
        pytest.param(
            "   {{ n }}\n",
            {},
            [("   1", "main.j2", 1), ("", "main.j2", 2)],
            id="indent-then-value",
        ),
    ],
)
def test_each_output_line_names_its_template_line(
    main: str, others: dict[str, str], expected: list[tuple[str, str, int]]
) -> None:
    found = mapped({"main.j2": main, **others}, {"n": 1, "text": "a\r\nb\rc"})
    assert found == expected


def test_a_line_made_of_several_templates_is_the_first_visible_one() -> None:
    templates = {"main.j2": "  {{ '' }}{% include 'word.j2' %} and more", "word.j2": "word"}
    engine = TemplateEngine(templates)
    instrument(engine.environment)
    trace = TracedRender()
    engine.render_traced("main.j2", {}, trace)
    assert trace.line_origins() == [Origin("word.j2", 1)]


def test_a_crlf_split_across_chunks_is_one_line_break() -> None:
    chunks = [Chunk("a\r", Origin("t", 1), False), Chunk("\nb", Origin("t", 2), False)]
    assert split_output_lines("a\r\nb") == ["a", "b"]
    assert line_sources(chunks) == [Origin("t", 1), Origin("t", 2)]


@pytest.mark.parametrize(
    ("templates", "failed_at"),
    [
        pytest.param(
            {"main.j2": "ok\n{% include 'bad.j2' %}\n", "bad.j2": "fine\n{{ 1 // n }}\n"},
            Origin("bad.j2", 2),
            id="in-an-include",
        ),
        pytest.param(
            {
                "main.j2": "{% extends 'base.j2' %}{% block b %}\n\n{{ missing.x }}{% endblock %}",
                "base.j2": "{% block b %}{% endblock %}",
            },
            Origin("main.j2", 3),
            id="in-a-block-of-the-child",
        ),
    ],
)
def test_a_failure_is_located_at_its_template_line(
    templates: dict[str, str], failed_at: Origin
) -> None:
    engine = TemplateEngine(templates)
    instrument(engine.environment)
    trace = TracedRender()
    with pytest.raises(TemplateRenderError):
        engine.render_traced("main.j2", {"n": 0}, trace)
    assert trace.failed_at == failed_at


def test_instrumenting_keeps_the_environments_own_code_generator() -> None:
    class Counting(CodeGenerator):
        loops = 0

        def visit_For(self, node: nodes.For, frame: Frame) -> None:
            Counting.loops += 1
            super().visit_For(node, frame)

    engine = TemplateEngine({"main.j2": "{% for i in [1] %}{{ i }}{% endfor %}"})
    engine.environment.code_generator_class = Counting
    instrument(engine.environment)
    instrument(engine.environment)
    generator = engine.environment.code_generator_class
    assert issubclass(generator, Counting) and generator.__mro__.count(Counting) == 1
    trace = TracedRender()
    assert engine.render_traced("main.j2", {}, trace) == "1"
    assert Counting.loops == 1
