"""Incremental re-parsing gives exactly what a whole parse gives, and reuses what it can."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jinja2 import nodes

from prompt_tool.analysis.incremental import parse_edited, supports_incremental
from prompt_tool.analysis.parsing import ParsedTemplate, parse_template
from prompt_tool.analysis.workspace import Workspace
from prompt_tool.core.templating import TemplateEngine

ENVIRONMENT = TemplateEngine().environment
DEFAULTS = Path(__file__).parents[2] / "prompt_tool" / "defaults"
DENSE = "\n".join(
    [
        *(f'{{% include "partials/part{index}.j2" %}}' for index in range(5)),
        "{# prompt-tool: disable=PT002 #}",
        "{% for item in items %}- {{ item.name | upper }}: {{ item.description }}{% endfor %}",
        "  {%- if feature.is_urgent %}Answer briefly.{% else %}Answer in detail.{% endif %}",
        "The project {{ project.name }} uses {{ project.language | default('python') }}.",
        "{% set total = items | length %}{% macro row(a, b=1) %}{{ a }}{{ b }}{% endmacro %}",
        "{% raw %}{{ not parsed }}{% endraw %}{{ row(total) }}",
        "{% block body scoped %}{{ super() }}{% endblock %}",
        "Plain prose explaining the task to the model, without any template syntax at all.",
        "{% if items | length > 1 and total >= 2 %}many{% endif %}",
        "{% set text %}x{% endset %}{{ text }}{% for a, b in pairs if a %}{% break %}{% endfor %}",
    ]
)
SNIPPETS = [
    "{% if x %}",
    "{% endif %}",
    "{{ x }",
    "{{ y.z | upper }}",
    "{%- set a = 1 -%}",
    "\n",
    " ",
    "x",
    "{# c #}",
    "{#",
    "#}",
    "{% for i in items %}{{ i }}{% endfor %}",
    "{% include 'a.j2' %}",
    "}}",
    "{{",
    "{%",
    "%}",
    "'",
    "{% raw %}",
    "{% endraw %}",
    "  {% if a %}b{% else %}c{% endif %}\n",
    "{% macro m(a) %}{{ a }}{% endmacro %}",
    "(",
    "{% break %}",
    "",
]


def _defaults() -> list[tuple[str, str]]:
    """The built-in templates under their own names (so that their phase contracts apply)."""
    return [
        (path.relative_to(DEFAULTS).as_posix(), path.read_text())
        for path in sorted(DEFAULTS.rglob("*.j2"))
    ]


def _bases() -> list[str]:
    assert any(DEFAULTS.rglob("*.j2")), DEFAULTS
    return [DENSE, *(path.read_text() for path in sorted(DEFAULTS.rglob("*.j2")))]


def _tree(node: Any) -> Any:
    if isinstance(node, nodes.Node):
        fields = tuple((name, _tree(getattr(node, name, None))) for name in node.fields)
        return type(node).__name__, getattr(node, "lineno", None), fields
    if isinstance(node, list | tuple):
        return [_tree(item) for item in node]
    return node


def _state(parsed: ParsedTemplate) -> dict[str, Any]:
    """Everything later passes read from a parse, in comparable form."""
    tokens = parsed.tokens
    error = parsed.syntax_error
    return {
        "items": tokens.items,
        "tags": tokens.tags,
        "chunks": parsed.chunks,
        "comments": [(c.kind, c.value, c.offset, c.end, c.line) for c in tokens.comments],
        "regions": sorted(
            (key, region.keyword, region.opened, region.closed)
            for key, region in tokens.regions.items()
        ),
        "unclosed": [(region.keyword, region.opened) for region in tokens.unclosed],
        "ast": _tree(parsed.ast) if parsed.ast is not None else None,
        "error": (error.message, error.lineno, parsed.syntax_span) if error else None,
        "includes": [
            (ref.kind, ref.names, ref.span, ref.is_conditional) for ref in parsed.includes
        ],
        "macros": parsed.macros,
        "blocks": parsed.blocks,
        "toplevel": parsed.toplevel_names,
        "header": (parsed.header.phase, parsed.header.variables),
        "suppressed": parsed.suppressions,
    }


def _edit(text: str, start: int, length: int, snippet: str) -> str:
    start = min(start, len(text))
    return text[:start] + snippet + text[start + length :]


edits = st.lists(
    st.tuples(
        st.integers(min_value=0, max_value=4000),
        st.sampled_from([0, 0, 1, 2, 5, 20]),
        st.sampled_from(SNIPPETS),
    ),
    min_size=1,
    max_size=8,
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(base=st.sampled_from(_bases()), steps=edits)
def test_every_edit_parses_as_a_whole_parse_would(base: str, steps: list[tuple[int, int, str]]):
    previous = parse_template(ENVIRONMENT, "t.j2", base)
    text = base
    for start, length, snippet in steps:
        text = _edit(text, start, length, snippet)
        edited = parse_edited(ENVIRONMENT, previous, text)
        assert _state(edited) == _state(parse_template(ENVIRONMENT, "t.j2", text))
        previous = edited


def test_a_local_edit_keeps_the_other_statements_nodes():
    old = parse_template(ENVIRONMENT, "t.j2", DENSE)
    assert old.ast is not None
    text = DENSE.replace("Answer briefly.", "Answer {{ tone }} briefly.")
    new = parse_edited(ENVIRONMENT, old, text)
    assert new.ast is not None
    assert new.ast.body[0] is old.ast.body[0]
    assert new.ast.body[-1] is not old.ast.body[-1]  # moved: a copy with new token indices
    assert _state(new) == _state(parse_template(ENVIRONMENT, "t.j2", text))


def test_an_edit_that_keeps_the_token_count_reuses_later_nodes_as_they_are():
    old = parse_template(ENVIRONMENT, "t.j2", DENSE)
    assert old.ast is not None
    new = parse_edited(ENVIRONMENT, old, DENSE.replace("part2", "part7"))
    assert new.ast is not None
    assert new.ast.body[-1] is old.ast.body[-1]


def test_a_broken_edit_keeps_its_base_so_the_repair_is_local_again():
    old = parse_template(ENVIRONMENT, "t.j2", DENSE)
    broken = parse_edited(ENVIRONMENT, old, DENSE.replace("{{ project.name }}", "{{ x }"))
    assert broken.ast is None and broken.syntax_error is not None
    assert broken.base is old
    repaired = parse_edited(ENVIRONMENT, broken, DENSE)
    assert repaired.ast is not None and old.ast is not None
    assert repaired.ast.body[0] is old.ast.body[0]
    assert repaired.base is None


def test_an_unbalanced_edit_falls_back_to_the_whole_parse_and_its_error():
    old = parse_template(ENVIRONMENT, "t.j2", DENSE)
    text = DENSE.replace("Plain prose", "{% if open %}Plain prose")
    edited = parse_edited(ENVIRONMENT, old, text)
    whole = parse_template(ENVIRONMENT, "t.j2", text)
    assert edited.syntax_error is not None and whole.syntax_error is not None
    assert edited.syntax_span == whole.syntax_span
    assert edited.syntax_error.message == whole.syntax_error.message


def test_environments_with_unknown_extensions_always_parse_whole():
    engine = TemplateEngine(extensions=("jinja2.ext.i18n",))
    assert not supports_incremental(engine.environment)
    old = parse_template(engine.environment, "t.j2", DENSE)
    assert old.ast is not None
    new = parse_edited(engine.environment, old, DENSE.replace("briefly", "shortly"))
    assert new.ast is not None
    assert new.ast.body[0] is not old.ast.body[0]


@pytest.mark.parametrize("position", [0, len(DENSE) // 2, len(DENSE)])
def test_workspace_diagnostics_after_edits_match_a_fresh_workspace(position: int):
    texts = [_edit(DENSE, position, 0, snippet) for snippet in ("{{ y.z | uper }}", "{{ x }", "")]
    edited = Workspace()
    edited.set_document("t.j2", DENSE)
    for text in texts:
        edited.set_document("t.j2", text)
        fresh = Workspace()
        fresh.set_document("t.j2", text)
        assert edited.diagnostics("t.j2") == fresh.diagnostics("t.j2")


def _binding(binding: Any) -> tuple[Any, ...]:
    return (binding.name, binding.type.name, binding.origin, binding.span, binding.is_certain)


def _analysis_state(analysis: Any) -> dict[str, Any]:
    """A checker run's whole output in comparable form: types by name (two workspaces build
    their own type objects), frames by their chain of kinds."""
    return {
        "diagnostics": analysis.diagnostics,
        "references": [(r.name, r.span, r.type.name, r.is_defined) for r in analysis.references],
        "attributes": [
            (a.span, a.owner.name, a.attribute, a.type.name, a.exists) for a in analysis.attributes
        ],
        "frames": [
            (
                [item.kind for item in frame.chain()],
                frame.region,
                {name: _binding(binding) for name, binding in frame.bindings.items()},
                [_binding(binding) for binding in frame.history],
                frame.lost,
                frame.late,
            )
            for frame in analysis.frames
        ],
        "chained_to_root": all(f.chain()[0] is analysis.frames[0] for f in analysis.frames),
        "include_scopes": [
            {name: _binding(binding) for name, binding in scope.items()}
            for scope in analysis.include_scopes.values()
        ],
        "marks": len(analysis.marks),
    }


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    base=st.sampled_from([("orchestrator.j2", DENSE), ("notes.j2", DENSE), *_defaults()]),
    steps=edits,
)
def test_a_resumed_analysis_equals_a_whole_one(
    base: tuple[str, str], steps: list[tuple[int, int, str]]
):
    name, text = base
    edited = Workspace()
    edited.set_document(name, text)
    edited.diagnostics(name)
    for start, length, snippet in steps:
        text = _edit(text, start, length, snippet)
        edited.set_document(name, text)
        fresh = Workspace()
        fresh.set_document(name, text)
        assert edited.diagnostics(name) == fresh.diagnostics(name)
        model, whole = edited.document(name), fresh.document(name)
        assert model is not None and whole is not None
        if whole.analysis is not None:
            assert model.analysis is not None
            assert _analysis_state(model.analysis) == _analysis_state(whole.analysis)


def test_an_edit_near_the_end_resumes_the_checker_after_the_statements_before_it():
    workspace = Workspace()
    workspace.set_document("t.j2", DENSE)
    before = workspace.document("t.j2")
    workspace.set_document("t.j2", DENSE + "{{ extra }}")
    after = workspace.document("t.j2")
    assert before is not None and before.analysis is not None
    assert after is not None and after.analysis is not None
    # The references of the shared statements are the earlier run's own objects.
    assert after.analysis.references[0] is before.analysis.references[0]
    assert after.analysis.references[-1].name == "extra"
