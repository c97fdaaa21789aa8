"""Renaming: which spans change, and what is refused."""

from __future__ import annotations

import re

import pytest

from prompt_tool.analysis.diagnostics import Position
from prompt_tool.analysis.document import DocumentModel
from prompt_tool.analysis.renaming import (
    RenameRefused,
    check_new_name,
    rename_target,
    renamed_templates,
    template_name_edits,
)
from prompt_tool.analysis.workspace import Workspace

LOOPS = (
    "{% set item = 'top' %}\n"
    "{% for item in items %}{{ item.name }}{% endfor %}\n"
    "{% for item in items %}{{ item }}{% endfor %}\n"
    "{{ item }}\n"
)


def model_of(source: str, name: str = "t.j2") -> DocumentModel:
    workspace = Workspace()
    workspace.set_document(name, source)
    model = workspace.document(name)
    assert model is not None
    return model


def at(source: str, word: str, occurrence: int = 0) -> Position:
    """Where the `occurrence`-th whole word `word` starts."""
    index = [match.start() for match in re.finditer(rf"\b{word}\b", source)][occurrence]
    line = source.count("\n", 0, index)
    return Position(line, index - (source.rfind("\n", 0, index) + 1))


def texts(source: str, spans: tuple[object, ...]) -> list[tuple[int, int, int]]:
    return [(s.start.line, s.start.column, s.end.column) for s in spans]  # type: ignore[attr-defined]


def test_a_loop_variable_renames_only_within_its_own_loop() -> None:
    target = rename_target(model_of(LOOPS), LOOPS, at(LOOPS, "item", 2))
    assert target.name == "item"
    assert texts(LOOPS, target.spans) == [(1, 7, 11), (1, 26, 30)]


def test_the_top_level_set_renames_with_the_read_after_the_loops() -> None:
    target = rename_target(model_of(LOOPS), LOOPS, at(LOOPS, "item", 5))
    assert texts(LOOPS, target.spans) == [(0, 7, 11), (3, 3, 7)]


def test_a_macro_renames_with_its_calls_and_an_argument_within_the_macro() -> None:
    source = "{% macro row(a) %}{{ a }}{% endmacro %}{{ row(1) }}{{ row(a) }}"
    macro = rename_target(model_of(source), source, at(source, "row", 1))
    argument = rename_target(model_of(source), source, at(source, "a", 1))
    assert texts(source, macro.spans) == [(0, 9, 12), (0, 42, 45), (0, 54, 57)]
    assert texts(source, argument.spans) == [(0, 13, 14), (0, 21, 22)]


@pytest.mark.parametrize(
    ("source", "needle", "reason"),
    [
        pytest.param("{{ items }}", "items", "not defined in this template", id="context"),
        pytest.param("{{ range(3) }}", "range", "not defined in this template", id="global"),
        pytest.param(
            "{% for x in items %}{{ loop.index }}{% endfor %}",
            "loop",
            "not defined in this template",
            id="jinja-loop",
        ),
        pytest.param("{{ x | upper }}", "upper", "no variable or macro here", id="filter"),
        pytest.param("Plain text", "text", "no variable or macro here", id="text"),
    ],
)
def test_names_the_template_does_not_define_are_refused(
    source: str, needle: str, reason: str
) -> None:
    with pytest.raises(RenameRefused, match=reason):
        rename_target(model_of(source), source, at(source, needle))


def test_a_template_that_does_not_parse_is_refused() -> None:
    good = "{% set x = 1 %}{{ x }}"
    broken = good + "{{ x }"
    with pytest.raises(RenameRefused, match="does not parse"):
        rename_target(model_of(good), broken, at(broken, "x"))


@pytest.mark.parametrize(
    ("new_name", "reason"),
    [
        pytest.param("2x", "not a name", id="not-identifier"),
        pytest.param("for", "not a name", id="keyword"),
        pytest.param("loop", "not a name", id="jinja-name"),
        pytest.param("items", "already visible on line 1", id="capture-context"),
        pytest.param("range", "already visible on line 1", id="capture-global"),
    ],
)
def test_new_names_that_would_change_the_meaning_are_refused(new_name: str, reason: str) -> None:
    model = model_of(LOOPS)
    target = rename_target(model, LOOPS, at(LOOPS, "item"))
    with pytest.raises(RenameRefused, match=reason):
        check_new_name(model, target, new_name)


def test_a_fresh_name_is_accepted() -> None:
    model = model_of(LOOPS)
    target = rename_target(model, LOOPS, at(LOOPS, "item"))
    check_new_name(model, target, "label")


def test_template_names_follow_a_file_rename_and_keep_their_pins() -> None:
    source = (
        '{% include "partials/a.j2" %}{% include "partials/a.j2@production" %}'
        '{% import "partials/ab.j2" as m %}'
    )
    edits = template_name_edits(source, {"partials/a.j2": "shared/b.j2"})
    assert [(e.span.start.column, e.span.end.column, e.text) for e in edits] == [
        (12, 25, "shared/b.j2"),
        (41, 65, "shared/b.j2@production"),
    ]


def test_a_folder_rename_renames_every_template_under_it() -> None:
    names = ["partials/a.j2", "partials/deep/b.j2", "partialsx/c.j2", "main.j2"]
    assert renamed_templates(names, "partials", "shared") == {
        "partials/a.j2": "shared/a.j2",
        "partials/deep/b.j2": "shared/deep/b.j2",
    }
