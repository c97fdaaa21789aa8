"""PT002/PT003/PT011: undefined names under Jinja's real scoping, exact ranges."""

from __future__ import annotations

from typing import Any

import pytest

from prompt_tool.analysis.workspace import AnalysisConfig

CLEAN = [
    pytest.param("{{ feature.name }} {{ project.description }}", id="contract"),
    pytest.param("{% set x = 1 %}{{ x }}", id="set"),
    pytest.param("{% set x %}text{% endset %}{{ x }}", id="block-set"),
    pytest.param("{% for a, b in vars.items() %}{{ a }}{{ b }}{% endfor %}", id="tuple-unpacking"),
    pytest.param(
        "{% for f in feature.acceptance_criteria %}{{ loop.index }} {{ f }}"
        "{% else %}none{% endfor %}",
        id="for-loop-and-else",
    ),
    pytest.param("{% for x in range(3) if x %}{{ x }}{% endfor %}", id="for-filter-test"),
    pytest.param("{% with a = 1, b = 2 %}{{ a + b }}{% endwith %}", id="with"),
    pytest.param(
        "{% macro m(a, b=1) %}{{ a }}{{ b }}{{ varargs }}{{ kwargs }}{{ caller() }}"
        "{% endmacro %}{{ m(1) }}",
        id="macro-args-varargs-kwargs-caller",
    ),
    pytest.param(
        "{% macro m() %}{{ caller(1) }}{% endmacro %}{% call(item) m() %}{{ item }}{% endcall %}",
        id="call-block-args",
    ),
    pytest.param("{% import 'lib.j2' as lib %}{{ lib.x() }}", id="import"),
    pytest.param("{% from 'lib.j2' import a, b as c %}{{ a() }}{{ c() }}", id="from-import"),
    pytest.param("{% block body %}{{ super() }}{{ self.body() }}{% endblock %}", id="self-super"),
    pytest.param("{% macro m() %}{{ later }}{% endmacro %}{% set later = 1 %}", id="macro-late"),
    pytest.param(
        "{% macro m(a, b=a, c=feature.name) %}{{ b }}{{ c }}{% endmacro %}", id="macro-defaults"
    ),
    pytest.param(
        "{% set ns = namespace(found=false) %}{% for f in feature.acceptance_criteria %}"
        "{% set ns.found = true %}{% endfor %}{{ ns.found }}",
        id="namespace-in-loop",
    ),
    pytest.param(
        "{% if x is defined %}{{ x }}{% endif %}{{ y | default('') }}", id="guarded-names"
    ),
    pytest.param("{{ x if x is defined else 'none' }}", id="guarded-condexpr"),
    pytest.param("{% if c is defined and c %}{{ c }}{% endif %}", id="guarded-and"),
    pytest.param(
        "{% if feature %}{% set m = 1 %}{% else %}{% set m = 2 %}{% endif %}{{ m }}",
        id="set-in-every-branch",
    ),
    pytest.param("{% for x in range(3) %}{% break %}{% continue %}{% endfor %}", id="loopcontrols"),
    pytest.param("{{ range(3) | list }}{{ dict(a=1) }}{{ namespace() }}", id="globals"),
]


@pytest.mark.parametrize("source", CLEAN)
def test_no_undefined_names(analyse: Any, source: str) -> None:
    files = {"t.j2": source, "lib.j2": "{% macro x() %}{% endmacro %}"}
    assert [d for d in analyse(files) if d.code in {"PT002", "PT003", "PT011"}] == []


FINDINGS = [
    pytest.param("{{ featur }}", "PT002", "featur", 0, id="typo"),
    pytest.param("{% for f in files %}{% endfor %}", "PT002", "files", 0, id="not-in-phase"),
    pytest.param(
        "{% for x in range(2) %}{% endfor %}{{ x }}", "PT002", "x", 1, id="loop-target-after"
    ),
    pytest.param(
        "{% with alpha = 1 %}{% endwith %}{{ alpha }}", "PT002", "alpha", 1, id="with-after"
    ),
    pytest.param(
        "{% macro m(arg) %}{% endmacro %}{{ arg }}", "PT002", "arg", 1, id="macro-arg-outside"
    ),
    pytest.param("{{ loop.index }}", "PT002", "loop", 0, id="loop-outside-for"),
    pytest.param(
        "{% macro m(first=second, second=1) %}{% endmacro %}",
        "PT002",
        "second",
        0,
        id="default-before-its-argument",
    ),
    pytest.param(
        "{% with alpha = 1, beta = alpha %}{% endwith %}",
        "PT002",
        "alpha",
        1,
        id="with-values-see-outer-scope",
    ),
    pytest.param(
        "{% for x in range(1) %}{% for inner in range(2) %}{% endfor %}{{ inner }}{% endfor %}",
        "PT002",
        "inner",
        1,
        id="inner-loop-var-after-inner-loop",
    ),
    pytest.param(
        "{% for x in range(2) %}{% if x %}{% set last = x %}{% endif %}{% endfor %}{{ last }}",
        "PT011",
        "last",
        1,
        id="loop-assignment-in-branch-lost",
    ),
    pytest.param(
        "{% for x in range(2) %}{% block b %}{{ x }}{% endblock %}{% endfor %}",
        "PT002",
        "x",
        1,
        id="unscoped-block-hides-loop-var",
    ),
    pytest.param(
        "{% if feature %}{% set m = 1 %}{% endif %}{{ m }}", "PT003", "m", 1, id="possibly"
    ),
    pytest.param(
        "{% if feature %}{% set m = 1 %}{% elif project %}{% set m = 2 %}{% endif %}{{ m }}",
        "PT003",
        "m",
        2,
        id="possibly-no-else",
    ),
    pytest.param(
        "{% set found = false %}{% for c in feature.acceptance_criteria %}"
        "{% set found = true %}{% endfor %}{{ found }}",
        "PT011",
        "found",
        2,
        id="loop-assignment-lost",
    ),
    pytest.param(
        "{% for c in feature.acceptance_criteria %}{% set last = c %}{% endfor %}\n{{ last }}",
        "PT011",
        "last",
        1,
        id="loop-assignment-never-defined",
    ),
]


@pytest.mark.parametrize(("source", "code", "needle", "nth"), FINDINGS)
def test_finding_at_exact_token(
    analyse: Any, expect: Any, found: Any, source: str, code: str, needle: str, nth: int
) -> None:
    result = [found(d) for d in analyse(source) if d.code in {"PT002", "PT003", "PT011"}]
    assert result == [expect(source, code, needle, nth)]


def test_undefined_offers_did_you_mean_fix(analyse: Any) -> None:
    (diagnostic,) = analyse("{{ featur.name }}")
    assert diagnostic.fix is not None
    assert diagnostic.fix.replacement == "feature"
    assert diagnostic.fix.span == diagnostic.span
    assert "did you mean `feature`" in diagnostic.message


def test_set_in_included_template_does_not_leak(analyse: Any, expect: Any, found: Any) -> None:
    source = "{% include 'inner.j2' %}{{ secret }}"
    files = {"t.j2": source, "inner.j2": "{% set secret = 1 %}"}
    assert [found(d) for d in analyse(files)] == [expect(source, "PT002", "secret")]


def test_possibly_undefined_points_at_assignment(analyse: Any) -> None:
    source = "{% if feature %}{% set m = 1 %}{% endif %}{{ m }}"
    (diagnostic,) = analyse(source)
    assert diagnostic.severity.name == "WARNING"
    assert [(r.span.start.column, r.span.end.column) for r in diagnostic.related] == [(23, 24)]


def test_loop_assignment_message_explains_jinja_scoping(analyse: Any) -> None:
    source = "{% set n = 0 %}{% for c in feature.acceptance_criteria %}{% set n = n + 1 %}{% endfor %}{{ n }}"
    (diagnostic,) = analyse(source)
    assert diagnostic.code == "PT011"
    assert "namespace" in diagnostic.message


def test_without_contract_unknown_names_are_accepted(analyse: Any) -> None:
    source = "{{ anything }}{% if c %}{% set m = 1 %}{% endif %}{{ m }}"
    result = analyse(source, config=AnalysisConfig(use_builtin_contracts=False))
    assert [d.code for d in result] == ["PT003"]


def test_extra_globals_are_defined(analyse: Any) -> None:
    source = "{{ raise_exception('x') }}{{ strftime_now('%Y') }}"
    config = AnalysisConfig(
        phase="orchestrator", extra_globals=frozenset({"raise_exception", "strftime_now"})
    )
    assert analyse(source, config=config) == []
    assert {d.message.split("`")[1] for d in analyse(source)} == {"raise_exception", "strftime_now"}


def test_positions_with_stripped_block_whitespace(analyse: Any, expect: Any, found: Any) -> None:
    source = "Intro\n    {% if feature %}\n  {{ unknown }}\n    {% endif %}\n\t{{ other }}"
    assert [found(d) for d in analyse(source)] == [
        expect(source, "PT002", "unknown"),
        expect(source, "PT002", "other"),
    ]


def test_multiline_positions(analyse: Any, expect: Any, found: Any) -> None:
    source = "Intro line\n\n  {{ feature.name }}\n   {%- if unknown_flag -%}\n x{% endif %}"
    assert [found(d) for d in analyse(source)] == [expect(source, "PT002", "unknown_flag")]


def test_positions_after_raw_comments_unicode_and_trimming(
    analyse: Any, expect: Any, found: Any
) -> None:
    source = (
        "{%- raw -%} {{ not_checked }} {%- endraw -%}  {{ after_raw }}\n"
        "{#- comment {{ x }} -#}  ✨ 日本語 {{ unicode_col }}\n"
        "{%- if feature -%}   {{- trimmed -}}   {%- endif %}"
    )
    assert [found(d) for d in analyse(source)] == [
        expect(source, "PT002", "after_raw"),
        expect(source, "PT002", "unicode_col"),
        expect(source, "PT002", "trimmed"),
    ]
