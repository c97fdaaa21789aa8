"""Renaming inside one template: each kind of binding, each refusal, capture detection."""

from __future__ import annotations

import pytest

from prompt_tool.analysis.diagnostics import Position, Span
from prompt_tool.analysis.renaming import (
    Dependants,
    RenameRefused,
    rename_edits,
    rename_target,
    renamed_template_names,
)
from tests.analysis.conftest import model_of
from tests.analysis.conftest import word_span as span


def edits(source: str, name: str, cursor: int, new_name: str = "renamed") -> tuple[Span, ...]:
    return rename_edits(model_of(source), source, span(source, name, cursor).start, new_name)


TWO_LOOPS = "{% for item in a %}{{ item }}{% endfor %}\n{% for item in b %}{{ item }}{% endfor %}"
MACRO = '{% macro field(name) %}{{ name }}{% endmacro %}{{ field("a") }}{{ field("b") }}'
ACCUMULATED = "{% set total = 0 %}{% set total = total + 1 %}{{ total }}"
WITH = "{% with y = 1 %}{{ y }}{% endwith %}{{ y }}"
SHADOWED = '{% set item = "-" %}{% for item in items %}{{ item }}{% endfor %}{{ item }}'


@pytest.mark.parametrize(
    ("source", "name", "cursor", "expected"),
    [
        pytest.param(TWO_LOOPS, "item", 1, (0, 1), id="loop-variable-from-a-read"),
        pytest.param(TWO_LOOPS, "item", 2, (2, 3), id="second-loop-from-its-target"),
        pytest.param(MACRO, "field", 0, (0, 1, 2), id="macro-name"),
        pytest.param(MACRO, "field", 2, (0, 1, 2), id="macro-from-a-call"),
        pytest.param(MACRO, "name", 0, (0, 1), id="macro-argument"),
        pytest.param(ACCUMULATED, "total", 2, (0, 1, 2, 3), id="set-variable-reassigned"),
        pytest.param(WITH, "y", 1, (0, 1), id="with-variable-not-the-read-outside"),
        pytest.param(SHADOWED, "item", 0, (0, 3), id="set-not-the-shadowing-loop"),
        pytest.param(SHADOWED, "item", 2, (1, 2), id="loop-not-the-shadowed-set"),
    ],
)
def test_rename_covers_exactly_the_binding_and_its_reads(
    source: str, name: str, cursor: int, expected: tuple[int, ...]
) -> None:
    assert edits(source, name, cursor) == tuple(span(source, name, n) for n in expected)


def test_the_target_is_the_name_under_the_cursor() -> None:
    source = ACCUMULATED
    inside = span(source, "total", 2)
    target = rename_target(model_of(source), source, Position(0, inside.start.column + 2))

    assert (target.name, target.span) == ("total", inside)


@pytest.mark.parametrize(
    ("source", "position", "message"),
    [
        pytest.param("{{ user }}", Position(0, 4), "not bound in this template", id="contract"),
        pytest.param("{{ range(3) }}", Position(0, 4), "not bound in this template", id="global"),
        pytest.param("{{ x | upper }}", Position(0, 9), "`upper` is a filter", id="filter"),
        pytest.param("{{ x is odd }}", Position(0, 10), "`odd` is a test", id="test"),
        pytest.param(
            "{% set x = 1 %}{% if x and x %}{% endif %}",
            Position(0, 25),
            "`and` is a keyword",
            id="keyword",
        ),
        pytest.param("text {{ 1 }}", Position(0, 2), "no variable or macro", id="not-a-name"),
        pytest.param(
            "{% set x = 1 %}{{ x }}{% if %}", Position(0, 7), "does not parse", id="no-parse"
        ),
    ],
)
def test_rename_is_refused_with_a_reason(source: str, position: Position, message: str) -> None:
    with pytest.raises(RenameRefused, match=message):
        rename_target(model_of(source), source, position)


@pytest.mark.parametrize(
    ("new_name", "message"),
    [
        pytest.param("2x", "not a valid Jinja name", id="not-an-identifier"),
        pytest.param("a-b", "not a valid Jinja name", id="dash"),
        pytest.param("and", "keyword", id="operator"),
        pytest.param("endfor", "keyword", id="tag"),
        pytest.param("true", "keyword", id="constant"),
    ],
)
def test_the_new_name_must_be_a_free_identifier(new_name: str, message: str) -> None:
    with pytest.raises(RenameRefused, match=message):
        edits(ACCUMULATED, "total", 0, new_name)


@pytest.mark.parametrize(
    ("source", "name", "cursor", "new_name", "message"),
    [
        pytest.param(
            "{% set a = 1 %}{% set b = 2 %}{{ a }}{{ b }}",
            "a",
            0,
            "b",
            "`b` is already defined",
            id="same-frame-binding",
        ),
        pytest.param(
            "{% for x in xs %}{{ x }}{{ user }}{% endfor %}",
            "x",
            1,
            "user",
            "already defined|shadow",
            id="contract-variable-read-in-the-loop",
        ),
        pytest.param(
            "{% set a = 1 %}{% for x in xs %}{{ x }}{{ a }}{% endfor %}",
            "x",
            0,
            "a",
            "`a` is already defined",
            id="outer-set-seen-by-the-loop-body",
        ),
        pytest.param(
            "{% set a = 1 %}{{ a }}{{ range(a) }}", "a", 0, "range", "already defined", id="global"
        ),
    ],
)
def test_a_name_already_in_scope_is_a_capture(
    source: str, name: str, cursor: int, new_name: str, message: str
) -> None:
    with pytest.raises(RenameRefused, match=message):
        edits(source, name, cursor, new_name)


def test_a_name_bound_only_elsewhere_is_no_capture() -> None:
    source = TWO_LOOPS

    assert edits(source, "item", 0, "item") == (span(source, "item", 0), span(source, "item", 1))
    assert edits(source, "item", 2, "entry") == (span(source, "item", 2), span(source, "item", 3))


def test_renamed_template_names_keep_the_pin_and_skip_other_names() -> None:
    source = (
        '{% include "a.j2" %}{% extends "a.j2@3" %}\n'
        '{% from "a.j2" import m %}{% import "b.j2" as b %}{{ "a.j2" }}'
    )

    found = renamed_template_names(source, {"a.j2": "shared/x.j2"})

    assert [(item.span, item.text) for item in found] == [
        (Span(Position(0, 12), Position(0, 16)), "shared/x.j2"),
        (Span(Position(0, 32), Position(0, 38)), "shared/x.j2@3"),
        (Span(Position(1, 9), Position(1, 13)), "shared/x.j2"),
    ]


BLOCKS = "{% block task %}T{% endblock task %}{% block tail %}{{ self.task() }}{% endblock %}"


@pytest.mark.parametrize("cursor", [0, 1, 2], ids=["block-tag", "endblock-tag", "self-call"])
def test_a_block_renames_its_tags_and_self_calls(cursor: int) -> None:
    assert edits(BLOCKS, "task", cursor) == spans_of(BLOCKS, "task", 0, 1, 2)


@pytest.mark.parametrize(
    ("source", "extenders", "new_name", "message"),
    [
        pytest.param(BLOCKS, ("child.j2",), "job", "`child.j2` extends this", id="extended"),
        pytest.param(
            '{% extends "base.j2" %}' + BLOCKS, (), "job", "extends another", id="extends"
        ),
        pytest.param(BLOCKS, (), "tail", "block `tail` already exists", id="capture"),
    ],
)
def test_a_block_rename_is_refused_where_it_would_break_an_override(
    source: str, extenders: tuple[str, ...], new_name: str, message: str
) -> None:
    position = span(source, "task", 0).start
    with pytest.raises(RenameRefused, match=message):
        rename_edits(model_of(source), source, position, new_name, Dependants(extenders))


def spans_of(source: str, name: str, *occurrences: int) -> tuple[Span, ...]:
    return tuple(span(source, name, n) for n in occurrences)


def test_a_macro_argument_renames_the_keywords_callers_pass_it_by() -> None:
    source = (
        "{% macro field(name, size=1) %}{{ name }}{% endmacro %}"
        '{{ field(name="a", size=2) }}{{ field("b") }}{{ name }}'
        "{% call field(size=1, name=x(name=2)) %}{% endcall %}"
    )

    assert edits(source, "name", 0) == spans_of(source, "name", 0, 1, 2, 4)


@pytest.mark.parametrize(("name", "cursor"), [("field", 0), ("name", 0)], ids=["macro", "argument"])
def test_a_macro_of_an_imported_template_is_not_renamed(name: str, cursor: int) -> None:
    source = MACRO
    position = span(source, name, cursor).start

    with pytest.raises(RenameRefused, match=r"`lib\.j2` imports this template"):
        rename_target(model_of(source), source, position, Dependants(importers=("lib.j2",)))


def test_a_variable_of_an_imported_template_is_renamed() -> None:
    source = ACCUMULATED
    position = span(source, "total", 0).start

    target = rename_target(model_of(source), source, position, Dependants(importers=("lib.j2",)))

    assert target.spans == spans_of(source, "total", 0, 1, 2, 3)
