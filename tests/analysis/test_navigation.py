"""Defined names, definitions, uses and the call around the cursor."""

from __future__ import annotations

from prompt_tool.analysis.diagnostics import Position, Span
from prompt_tool.analysis.navigation import (
    Call,
    NameKind,
    block_names,
    call_at,
    defined_names,
    definition_of,
    name_at,
    uses_of,
)

SOURCE = """{% from "f.j2" import input, label as lbl %}{% import "m.j2" as m %}
{% macro field(name, value="") %}{{ name }}{% endmacro %}
{% set a, ns.b = 1, 2 %}{% for k, v in items %}{{ field(k, v) }}{% endfor %}
{% block body %}{{ field(a, """


def test_every_kind_of_definition_is_found() -> None:
    found = [(d.name, d.kind) for d in defined_names(SOURCE)]

    assert found == [
        ("input", NameKind.IMPORT),
        ("lbl", NameKind.IMPORT),
        ("m", NameKind.IMPORT),
        ("field", NameKind.MACRO),
        ("name", NameKind.ARGUMENT),
        ("value", NameKind.ARGUMENT),
        ("a", NameKind.VARIABLE),
        ("k", NameKind.LOOP_VARIABLE),
        ("v", NameKind.LOOP_VARIABLE),
        ("body", NameKind.BLOCK),
    ]
    assert defined_names(SOURCE)[3].parameters == ("name", "value")


def test_definition_and_uses_of_the_name_under_the_cursor() -> None:
    token = name_at(SOURCE, Position(3, 20))

    assert token is not None and token.value == "field"
    definition = definition_of(SOURCE, "field", Position(3, 20))
    assert definition is not None and definition.span == Span.at(1, 9, 5)
    assert uses_of(SOURCE, "field") == [Span.at(1, 9, 5), Span.at(2, 50, 5), Span.at(3, 19, 5)]


def test_filters_and_attributes_are_not_names() -> None:
    assert name_at("{{ a.b | upper }}", Position(0, 5)) is None
    assert name_at("{{ a.b | upper }}", Position(0, 11)) is None


def test_the_call_around_the_cursor_counts_arguments_at_its_own_depth() -> None:
    assert call_at(SOURCE, Position(3, 28)) == Call("field", 1)
    assert call_at("{{ f(a, [1, 2], g(3), ", Position(0, 22)) == Call("f", 3)
    assert call_at("{{ f(a) }} text", Position(0, 15)) is None


def test_block_names_include_nested_blocks() -> None:
    source = "{% block a %}{% block b %}{% endblock %}{% endblock %}"

    assert block_names(source) == ["a", "b"]
