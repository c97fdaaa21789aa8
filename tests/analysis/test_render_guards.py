"""Checks that keep "checked means renders": PT017 (an element of a list that may be empty),
PT018 (an optional value used where it may be None), optional header names, and the
`is not defined` idiom that must not raise PT003. Exact ranges, both directions."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from prompt_tool.analysis.introspect import contract_from_dataclass
from prompt_tool.analysis.workspace import AnalysisConfig
from prompt_tool.core.templating import TemplateEngine, TemplateRenderError

GUARD_CODES = {"PT002", "PT003", "PT011", "PT017", "PT018"}


@dataclass(frozen=True)
class Ticket:
    """A ticket an optional field may hold."""

    title: str
    labels: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class TicketContext:
    """A contract with optional fields, as a project's own contract may have."""

    ticket: Ticket | None
    notes: list[str] | None
    items: list[str]


OPTIONAL_CONFIG = AnalysisConfig(
    contracts={"orchestrator": contract_from_dataclass("orchestrator", TicketContext)},
    phase="orchestrator",
)

EMPTY_LIST_FINDINGS = [
    pytest.param("analysis", "{{ files[0].path }}", "files[0]", id="index-zero"),
    pytest.param("analysis", "{{ files[-1].path }}", "files[-1]", id="negative-index"),
    pytest.param("analysis", "{{ (files|first).path }}", "files|first", id="first"),
    pytest.param("analysis", "{{ files | last }}", "files | last", id="last-spaced"),
    pytest.param(
        "implementation",
        "{{ session.previous_outputs[0].summary }}",
        "session.previous_outputs[0]",
        id="nested-list",
    ),
    pytest.param(
        "orchestrator",
        "{{ feature.acceptance_criteria|first }}",
        "feature.acceptance_criteria|first",
        id="criteria-first",
    ),
    pytest.param("orchestrator", "{{ feature.name[0] }}", "feature.name[0]", id="string-index"),
    pytest.param(
        "analysis",
        "{{ (files|sort(attribute='path'))[0] }}",
        "files|sort(attribute='path'))[0]",
        id="size-keeping-filter",
    ),
    pytest.param(
        "analysis",
        "{% if feature %}{{ files[0] }}{% endif %}",
        "files[0]",
        id="unrelated-guard",
    ),
    pytest.param(
        "analysis",
        "{% if files %}{% else %}{{ files[0] }}{% endif %}",
        "files[0]",
        id="else-of-guard",
    ),
    pytest.param(
        "analysis",
        "{% for f in files %}{% endfor %}{{ files|first }}",
        "files|first",
        id="after-the-loop",
    ),
    pytest.param(
        "analysis",
        "{{ files|min }} ",
        "files|min",
        id="min",
    ),
]


@pytest.mark.parametrize(("phase", "source", "needle"), EMPTY_LIST_FINDINGS)
def test_unguarded_element_of_possibly_empty_list(
    analyse: Any, expect: Any, found: Any, phase: str, source: str, needle: str
) -> None:
    result = [found(d) for d in analyse(source, phase=phase) if d.code in GUARD_CODES]
    assert result == [expect(source, "PT017", needle)]


def test_range_spans_lines(analyse: Any, found: Any) -> None:
    (diagnostic,) = analyse("Intro\n  {{ files[\n 0 ] }}", phase="analysis")
    assert (found(diagnostic).start, found(diagnostic).end) == ((1, 5), (2, 4))


def test_empty_list_message_names_the_guard(analyse: Any) -> None:
    (diagnostic,) = analyse("{{ files[0].path }}", phase="analysis")
    assert diagnostic.severity.name == "WARNING"
    assert "`files[0]` is undefined when `files` is empty" in diagnostic.message
    assert "{% if files %}" in diagnostic.message


EMPTY_LIST_CLEAN = [
    pytest.param("{% if files %}{{ files[0].path }}{% endif %}", id="if-guard"),
    pytest.param("{% if files|length > 0 %}{{ files[-1].path }}{% endif %}", id="length-gt-0"),
    pytest.param("{% if files|length >= 1 %}{{ files|first }}{% endif %}", id="length-ge-1"),
    pytest.param("{% if files|length %}{{ files|last }}{% endif %}", id="length-truthy"),
    pytest.param("{% if files|length == 0 %}none{% else %}{{ files[0] }}{% endif %}", id="eq-0"),
    pytest.param("{% if not files %}none{% else %}{{ files[0] }}{% endif %}", id="not-else"),
    pytest.param("{% if not files %}none{% elif files[0].path %}x{% endif %}", id="elif"),
    pytest.param("{{ files[0].path if files else 'none' }}", id="condexpr"),
    pytest.param("{{ files and files[0].path }}", id="and"),
    pytest.param("{{ not files or files[0].path }}", id="or"),
    pytest.param("{{ files[0]|default('none') }}", id="default-on-index"),
    pytest.param("{{ files|first|default('none') }}", id="default-on-first"),
    pytest.param("{{ files|first is defined }}", id="is-defined"),
    pytest.param("{% for f in files %}{{ files[0].path }}{% endfor %}", id="inside-loop"),
    pytest.param("{{ files[:3]|length }}", id="slice"),
    pytest.param("{% if files is defined %}{{ files|length }}{% endif %}", id="defined-list"),
    pytest.param("{{ [1, 2][0] }}{{ range(3)|first }}", id="literal-and-range"),
    pytest.param("{% set x = files %}{{ vars['key'] }}", id="mapping-key"),
    pytest.param("{% if files[0] is defined %}{{ files[0].path }}{% endif %}", id="defined-item"),
]


@pytest.mark.parametrize("source", EMPTY_LIST_CLEAN)
def test_guarded_elements_are_clean(analyse: Any, source: str) -> None:
    assert [d for d in analyse(source, phase="analysis") if d.code in GUARD_CODES] == []


@pytest.mark.parametrize(
    "source",
    [item.values[1] for item in EMPTY_LIST_FINDINGS if item.values[0] == "analysis"],
)
def test_flagged_sources_really_fail_on_an_empty_list(source: str) -> None:
    """The warning is not noise: each flagged template fails to render with `files=[]`."""
    with pytest.raises(TemplateRenderError):
        TemplateEngine().render_string(source, {"files": [], "feature": True})


@pytest.mark.parametrize("source", EMPTY_LIST_CLEAN)
def test_clean_sources_render_on_an_empty_list(source: str) -> None:
    TemplateEngine().render_string(source, {"files": [], "vars": {"key": 1}})


NONE_FINDINGS = [
    pytest.param("{{ ticket.title }}", "ticket.title", id="attribute"),
    pytest.param("{{ ticket['title'] }}", "ticket['title']", id="item"),
    pytest.param("{% for n in notes %}{{ n }}{% endfor %}", "notes", id="iterate"),
    pytest.param("{{ notes|join(', ') }}", "notes|join", id="join"),
    pytest.param("{{ notes|length }}", "notes|length", id="length"),
    pytest.param(
        "{% if ticket is defined %}{{ ticket.title }}{% endif %}",
        "ticket.title",
        id="defined-is-not-enough",
    ),
    pytest.param("{% if items %}{{ ticket.labels }}{% endif %}", "ticket.labels", id="other-guard"),
    pytest.param(
        "{{ (ticket|default('-')).title }}",
        "ticket|default('-')).title",
        id="default-keeps-none",
    ),
    pytest.param(
        "{% if ticket.title %}{{ ticket.labels }}{% endif %}",
        "ticket.title",
        id="the-test-itself-reads-it",
    ),
]


@pytest.mark.parametrize(("source", "needle"), NONE_FINDINGS)
def test_optional_value_used_unguarded(
    analyse: Any, expect: Any, found: Any, source: str, needle: str
) -> None:
    result = [found(d) for d in analyse(source, config=OPTIONAL_CONFIG) if d.code in GUARD_CODES]
    assert result == [expect(source, "PT018", needle)]
    with pytest.raises(TemplateRenderError):
        TemplateEngine().render_string(source, {"ticket": None, "notes": None, "items": ["a"]})


NONE_CLEAN = [
    pytest.param("{{ ticket }}{{ notes }}", id="printing-none-renders"),
    pytest.param("{% if ticket %}{{ ticket.title }}{% endif %}", id="if"),
    pytest.param("{% if ticket is not none %}{{ ticket.title }}{% endif %}", id="is-not-none"),
    pytest.param("{% if ticket is none %}-{% else %}{{ ticket.title }}{% endif %}", id="is-none"),
    pytest.param("{{ ticket.title if ticket else '-' }}", id="condexpr"),
    pytest.param("{{ ticket and ticket.title }}", id="and"),
    pytest.param("{% for n in notes or [] %}{{ n }}{% endfor %}", id="or-empty"),
    pytest.param("{% if notes %}{{ notes|join(', ') }}{% endif %}", id="guarded-join"),
    pytest.param("{{ ticket.title|default('-') }}", id="default-on-attribute"),
    pytest.param("{{ notes|default([], true)|length }}", id="default-boolean"),
    pytest.param("{{ notes|default([], boolean=true)|length }}", id="default-boolean-keyword"),
    pytest.param(
        "{% if ticket.title is defined %}{{ ticket.title }}{% endif %}", id="defined-attribute"
    ),
    pytest.param("{{ items|join(', ') }}", id="not-optional"),
]


@pytest.mark.parametrize("source", NONE_CLEAN)
def test_optional_value_guarded_is_clean(analyse: Any, source: str) -> None:
    assert [d for d in analyse(source, config=OPTIONAL_CONFIG) if d.code in GUARD_CODES] == []
    TemplateEngine().render_string(source, {"ticket": None, "notes": None, "items": []})


IDIOM_CLEAN = [
    pytest.param("{% if x is not defined %}{% set x = 1 %}{% endif %}{{ x }}", id="is-not-defined"),
    pytest.param("{% if x is undefined %}{% set x = 1 %}{% endif %}{{ x }}", id="is-undefined"),
    pytest.param("{% if not x is defined %}{% set x = 1 %}{% endif %}{{ x }}", id="not-x-defined"),
    pytest.param(
        "{% if x is not defined %}{% set x = 1 %}{% elif x > 3 %}{% set x = 3 %}{% endif %}{{ x }}",
        id="with-elif",
    ),
    pytest.param(
        "{% set x = none %}{% if x is none %}{% set x = 1 %}{% endif %}{{ x + 1 }}",
        id="is-none",
    ),
]


@pytest.mark.parametrize("source", IDIOM_CLEAN)
def test_default_assignment_idiom_is_not_possibly_undefined(analyse: Any, source: str) -> None:
    assert [d for d in analyse(source) if d.code in GUARD_CODES] == []
    assert TemplateEngine().render_string(source, {}).strip() != ""


IDIOM_FINDINGS = [
    pytest.param(
        "{% if x is defined %}{% set x = 1 %}{% endif %}{{ x }}", "x", 2, id="defined-not-negated"
    ),
    pytest.param(
        "{% if feature is not defined %}{% set x = 1 %}{% endif %}{{ x }}",
        "x",
        1,
        id="other-name-tested",
    ),
    pytest.param(
        "{% if x is not defined and feature %}{% set x = 1 %}{% endif %}{{ x }}",
        "x",
        2,
        id="and-does-not-prove",
    ),
]


@pytest.mark.parametrize(("source", "needle", "nth"), IDIOM_FINDINGS)
def test_idiom_lookalikes_still_warn(
    analyse: Any, expect: Any, found: Any, source: str, needle: str, nth: int
) -> None:
    result = [found(d) for d in analyse(source) if d.code in GUARD_CODES]
    assert result == [expect(source, "PT003", needle, nth)]


HEADER = "{#- prompt-tool: vars ticket?: Any, note: str | None -#}\n"

HEADER_FINDINGS = [
    pytest.param("{{ ticket }}", "ticket", id="print"),
    pytest.param("{% if ticket %}x{% endif %}", "ticket", id="truth-test-fails-when-absent"),
    pytest.param("{{ ticket.title }}", "ticket", id="attribute"),
]


@pytest.mark.parametrize(("body", "needle"), HEADER_FINDINGS)
def test_optional_header_name_read_unguarded(
    analyse: Any, expect: Any, found: Any, body: str, needle: str
) -> None:
    source = HEADER + body
    result = analyse(source, config=AnalysisConfig(use_builtin_contracts=False))
    assert [found(d) for d in result] == [expect(source, "PT003", needle, 1)]
    assert "optional (declared `ticket?`)" in result[0].message
    with pytest.raises(TemplateRenderError):
        TemplateEngine().render_string(source, {"note": None})


HEADER_CLEAN = [
    pytest.param("{% if ticket is defined %}{{ ticket }}{% endif %}", id="is-defined"),
    pytest.param("{{ ticket|default('-') }}", id="default"),
    pytest.param("{% if ticket is defined and ticket %}{{ ticket }}{% endif %}", id="and"),
    pytest.param(
        "{% if ticket is not defined %}{% set ticket = '-' %}{% endif %}{{ ticket }}",
        id="default-assignment",
    ),
    pytest.param("{{ note }}{% if note %}{{ note.upper() }}{% endif %}", id="none-typed"),
]


@pytest.mark.parametrize("body", HEADER_CLEAN)
def test_optional_header_name_guarded(analyse: Any, body: str) -> None:
    source = HEADER + body
    assert analyse(source, config=AnalysisConfig(use_builtin_contracts=False)) == []
    TemplateEngine().render_string(source, {"note": None})


def test_optional_header_none_type_flags_unguarded_attribute(
    analyse: Any, expect: Any, found: Any
) -> None:
    source = HEADER + "{{ note.upper() }}"
    result = analyse(source, config=AnalysisConfig(use_builtin_contracts=False))
    assert [found(d) for d in result] == [expect(source, "PT018", "note.upper", 0)]


def test_optional_header_name_checked_through_a_partial(analyse: Any) -> None:
    """An includer's optional name stays optional inside the partial it includes."""
    files = {
        "t.j2": HEADER + "{% include 'partials/p.j2' %}",
        "partials/p.j2": "{{ ticket }}{{ note.upper() }}",
    }
    config = AnalysisConfig(use_builtin_contracts=False)
    result = analyse(files, name="partials/p.j2", config=config)
    assert sorted(d.code for d in result) == ["PT003", "PT018"]


PARTIAL = "partials/first.j2"


@pytest.mark.parametrize(
    ("includer", "codes"),
    [
        pytest.param("{% include 'partials/first.j2' %}", ["PT017"], id="unguarded-include"),
        pytest.param("{% if files %}{% include 'partials/first.j2' %}{% endif %}", [], id="if"),
        pytest.param(
            "{% for f in files %}{% include 'partials/first.j2' %}{% endfor %}", [], id="loop"
        ),
        pytest.param(
            "{% if files %}{% endif %}{% include 'partials/first.j2' %}",
            ["PT017"],
            id="guard-closed-before",
        ),
    ],
)
def test_guards_around_an_include_hold_in_the_partial(
    analyse: Any, includer: str, codes: list[str]
) -> None:
    files = {"analysis.j2": includer, PARTIAL: "{{ files[0].path }}"}
    result = analyse(files, name=PARTIAL, config=AnalysisConfig())
    assert [d.code for d in result] == codes
