"""Literal template names in include/extends/import/from tags, with the span of the name."""

from __future__ import annotations

import pytest

from prompt_tool.analysis.diagnostics import Position, Span
from prompt_tool.analysis.template_links import reference_at, template_references


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        pytest.param('{% extends "base.j2" %}', [("extends", "base.j2", 12)], id="extends"),
        pytest.param(
            "{% include 'a.j2' ignore missing with context %}",
            [("include", "a.j2", 12)],
            id="include-with-modifiers",
        ),
        pytest.param(
            '{% include ["a.j2", "b.j2"] %}',
            [("include", "a.j2", 13), ("include", "b.j2", 21)],
            id="include-list",
        ),
        pytest.param(
            '{% import "m.j2" as m %}{% from "f.j2" import x as y %}',
            [("import", "m.j2", 11), ("from", "f.j2", 33)],
            id="import-and-from",
        ),
        pytest.param("{% include name %}", [], id="dynamic-name-is-not-a-link"),
    ],
)
def test_references(source: str, expected: list[tuple[str, str, int]]) -> None:
    found = template_references(source)

    assert [(r.tag, r.name, r.span.start.column) for r in found] == expected
    for reference in found:
        assert reference.span.end.column - reference.span.start.column == len(reference.name)


def test_reference_at_finds_the_name_under_the_cursor() -> None:
    found = template_references('{% include "a.j2" %}\n{% include "b.j2" %}')

    hit = reference_at(found, Position(1, 13))

    assert hit is not None and hit.name == "b.j2"
    assert hit.span == Span(Position(1, 12), Position(1, 16))
    assert reference_at(found, Position(1, 2)) is None
