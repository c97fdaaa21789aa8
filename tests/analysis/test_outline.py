"""Outline symbols and folding ranges from the lexer, tolerant of half-typed templates."""

from __future__ import annotations

from prompt_tool.analysis.diagnostics import Position, Span
from prompt_tool.analysis.outline import Fold, FoldKind, SymbolKind, outline

TEMPLATE = """{% extends "base.j2" %}
{# a comment
   on two lines #}
{% block body %}
  {% set greeting = "hi" %}
  {% for item in items %}
    {{ item }}
  {% endfor %}
  {% macro field(name, value="") %}
    {{ name }}={{ value }}
  {% endmacro %}
{% endblock %}
{% set footer %}
bye
{% endset %}
"""


def test_blocks_macros_and_sets_nest_as_written() -> None:
    symbols = outline(TEMPLATE).symbols

    assert [(s.name, s.kind) for s in symbols] == [
        ("body", SymbolKind.BLOCK),
        ("footer", SymbolKind.VARIABLE),
    ]
    body = symbols[0]
    assert body.span == Span(Position(3, 0), Position(11, 14))
    assert body.name_span == Span(Position(3, 9), Position(3, 13))
    assert [(c.name, c.kind, c.detail) for c in body.children] == [
        ("greeting", SymbolKind.VARIABLE, ""),
        ("field", SymbolKind.MACRO, "field(name, value)"),
    ]
    assert body.children[1].name_span == Span(Position(8, 11), Position(8, 16))


def test_paired_tags_and_long_comments_fold() -> None:
    assert outline(TEMPLATE).folds == (
        Fold(1, 2, FoldKind.COMMENT),
        Fold(3, 10, FoldKind.REGION),
        Fold(5, 6, FoldKind.REGION),
        Fold(8, 9, FoldKind.REGION),
        Fold(12, 13, FoldKind.REGION),
    )


def test_an_unclosed_block_still_has_a_symbol() -> None:
    symbols = outline("{% block a %}\n{% macro m() %}\n{{ x").symbols

    assert [(s.name, [c.name for c in s.children]) for s in symbols] == [("a", ["m"])]


def test_a_stray_end_tag_is_ignored() -> None:
    assert outline("{% endblock %}{% set x = 1 %}").symbols[0].name == "x"


def test_namespace_attribute_assignment_is_not_a_new_name() -> None:
    names = [s.name for s in outline("{% set ns.count = 1 %}{% set a, b = 1, 2 %}").symbols]

    assert names == ["a", "b"]
