"""Scope-aware definition and uses: the binding a read sees, not the name's last spelling."""

from __future__ import annotations

import pytest

from prompt_tool.analysis.diagnostics import Position, Span
from prompt_tool.analysis.name_resolution import (
    Resolution,
    definition_at,
    resolve_at,
    uses_at,
)
from tests.analysis.conftest import model_of
from tests.analysis.conftest import word_span as span


def resolved(source: str, name: str, nth: int) -> Resolution:
    found = resolve_at(model_of(source), span(source, name, nth).start)
    assert found is not None
    return found


def spans(source: str, name: str, *occurrences: int) -> tuple[Span, ...]:
    return tuple(span(source, name, n) for n in occurrences)


TWO_LOOPS = "{% for item in a %}{{ item }}{% endfor %}\n{% for item in b %}{{ item }}{% endfor %}"
MACRO_SET = "{% set x = 1 %}\n{% macro m() %}{% set x = 2 %}{{ x }}{% endmacro %}\n{{ x }}{{ m() }}"
SHADOWED = '{% set item = "-" %}{% for item in items %}{{ item }}{% endfor %}{{ item }}'
ARGUMENT = '{% set name = "x" %}{% macro hi(name) %}{{ name }}{% endmacro %}{{ hi(name) }}'
ACCUMULATED = "{% set total = 0 %}{% set total = total + 1 %}{{ total }}"
NESTED = "{% for x in xs %}{% for x in x.kids %}{{ x }}{% endfor %}{{ x }}{% endfor %}"
FILTERED = "{% for u in users if u.active %}{{ u }}{% endfor %}{{ u }}"
LATE = "{% macro m() %}{{ x }}{% endmacro %}{% set x = 1 %}"
CALLER = "{% macro l() %}{{ caller(1) }}{% endmacro %}{% call(user) l() %}{{ user }}{% endcall %}"
BLOCK_SET = '{% set x = "a" %}{% set x %}{{ x }}b{% endset %}{{ x }}'


@pytest.mark.parametrize(
    ("source", "name", "cursor", "definition"),
    [
        pytest.param(TWO_LOOPS, "item", 3, 2, id="second-loop-read"),
        pytest.param(TWO_LOOPS, "item", 1, 0, id="first-loop-read"),
        pytest.param(MACRO_SET, "x", 2, 1, id="read-in-macro-sees-its-set"),
        pytest.param(MACRO_SET, "x", 3, 0, id="top-level-read-sees-top-level-set"),
        pytest.param(SHADOWED, "item", 2, 1, id="loop-target-shadows-set"),
        pytest.param(SHADOWED, "item", 3, 0, id="after-the-loop-the-set-again"),
        pytest.param(ARGUMENT, "name", 2, 1, id="macro-argument"),
        pytest.param(ARGUMENT, "name", 3, 0, id="call-argument-is-the-set"),
        pytest.param(ACCUMULATED, "total", 2, 0, id="right-side-reads-previous-set"),
        pytest.param(ACCUMULATED, "total", 3, 1, id="nearest-preceding-set"),
        pytest.param(NESTED, "x", 2, 0, id="inner-loop-iterable-is-outer-target"),
        pytest.param(NESTED, "x", 3, 1, id="inner-read-is-inner-target"),
        pytest.param(NESTED, "x", 4, 0, id="after-inner-loop-outer-target"),
        pytest.param(FILTERED, "u", 2, 0, id="loop-filter-sees-target"),
        pytest.param(BLOCK_SET, "x", 2, 0, id="block-set-body-reads-previous"),
        pytest.param(BLOCK_SET, "x", 3, 1, id="after-endset-block-set"),
        pytest.param(LATE, "x", 0, 1, id="macro-sees-a-later-top-level-set"),
        pytest.param(CALLER, "user", 1, 0, id="call-block-argument"),
    ],
)
def test_definition_is_the_binding_in_scope(
    source: str, name: str, cursor: int, definition: int
) -> None:
    found = resolved(source, name, cursor).definition

    assert found is not None
    assert found.span == span(source, name, definition)


@pytest.mark.parametrize(
    ("source", "name", "cursor", "definitions", "uses"),
    [
        pytest.param(TWO_LOOPS, "item", 0, (0,), (1,), id="first-loop-target"),
        pytest.param(TWO_LOOPS, "item", 3, (2,), (3,), id="second-loop-read"),
        pytest.param(MACRO_SET, "x", 0, (0,), (3,), id="top-level-set"),
        pytest.param(MACRO_SET, "x", 1, (1,), (2,), id="set-in-macro"),
        pytest.param(SHADOWED, "item", 1, (1,), (2,), id="loop-target"),
        pytest.param(SHADOWED, "item", 0, (0,), (3,), id="shadowed-set"),
        pytest.param(ARGUMENT, "name", 1, (1,), (2,), id="macro-argument"),
        pytest.param(ARGUMENT, "name", 3, (0,), (3,), id="set-read-as-call-argument"),
        pytest.param(ACCUMULATED, "total", 3, (0, 1), (2, 3), id="reassigned-is-one-variable"),
        pytest.param(FILTERED, "u", 0, (0,), (1, 2), id="loop-target-with-filter"),
    ],
)
def test_uses_are_those_bound_to_the_same_variable(
    source: str,
    name: str,
    cursor: int,
    definitions: tuple[int, ...],
    uses: tuple[int, ...],
) -> None:
    found = resolved(source, name, cursor)

    assert found.definitions == spans(source, name, *definitions)
    assert found.uses == spans(source, name, *uses)


def test_a_contract_variable_has_no_definition_and_excludes_the_loop_target() -> None:
    source = "{{ user }}{% for user in users %}{{ user }}{% endfor %}{{ user }}"

    found = resolved(source, "user", 0)

    assert found.definition is None
    assert found.definitions == ()
    assert found.uses == spans(source, "user", 0, 3)


def test_loop_variable_of_one_loop_is_not_the_other_loops() -> None:
    source = (
        "{% for a in x %}{{ loop.index }}{% endfor %}{% for b in y %}{{ loop.index }}{% endfor %}"
    )

    found = resolved(source, "loop", 0)

    assert found.uses == spans(source, "loop", 0)


@pytest.mark.parametrize(
    "source",
    [
        pytest.param("{% for item in items %}{{ item }", id="half-typed"),
        pytest.param("plain text", id="no-name-under-cursor"),
    ],
)
def test_no_answer_without_a_parse_or_a_name(source: str) -> None:
    assert resolve_at(model_of(source), Position(0, 17)) is None


def test_sets_in_every_branch_are_one_variable() -> None:
    source = "{% if a %}{% set x = 1 %}{% else %}{% set x = 2 %}{% endif %}{{ x }}"

    found = resolved(source, "x", 2)

    assert found.definition is not None and found.definition.span == span(source, "x", 1)
    assert found.definitions == spans(source, "x", 0, 1)


@pytest.mark.parametrize(
    ("current", "definition", "uses"),
    [
        pytest.param(True, 0, [0, 2], id="current-model-is-scoped"),
        pytest.param(False, 1, [0, 1, 2], id="stale-model-falls-back-to-names"),
    ],
)
def test_a_model_of_another_text_is_not_trusted(
    current: bool, definition: int, uses: list[int]
) -> None:
    source = "{% set v = 1 %}{% for v in vs %}{% endfor %}{{ v }}"
    model = model_of(source if current else "\n" + source)
    cursor = span(source, "v", 2).start

    assert definition_at(model, source, cursor) == span(source, "v", definition)
    assert uses_at(model, source, cursor, True) == [span(source, "v", n) for n in uses]


def test_a_from_import_alias_is_found_by_name() -> None:
    source = "{% from 'f.j2' import a %}{{ a }}"

    found = definition_at(model_of(source), source, span(source, "a", 1).start)

    assert found == span(source, "a", 0)


def test_a_global_has_no_definition_even_if_a_loop_spells_it() -> None:
    source = "{% for range in xs %}{% endfor %}{{ range(3) }}"

    assert definition_at(model_of(source), source, span(source, "range", 1).start) is None
