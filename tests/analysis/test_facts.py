"""What the store records of a template comes from the analyser: variables and references."""

from __future__ import annotations

import pytest

from prompt_tool.analysis.facts import TemplateFacts, read_template_facts


@pytest.mark.parametrize(
    ("source", "variables", "references"),
    [
        pytest.param(
            '{{ feature.name | bullet_list }}{% include "partials/a.j2@3" %}',
            ["feature"],
            ["partials/a.j2@3"],
            id="product-filter-and-pin",
        ),
        pytest.param(
            "{% set x = 1 %}{{ x }}{% for f in files %}{{ f }}{% endfor %}",
            ["files"],
            [],
            id="assigned-and-loop-names-are-not-inputs",
        ),
        pytest.param(
            "{{ x | project_only_filter }}", ["x"], [], id="unknown-filter-still-records-names"
        ),
        pytest.param(
            "{% macro m(a) %}{{ a }}{{ b }}{% endmacro %}{% from 'p.j2' import x %}{{ x() }}",
            ["b"],
            ["p.j2"],
            id="macro-arguments-and-imports",
        ),
        pytest.param("{% if %}", [], [], id="syntax-error"),
    ],
)
def test_template_facts(source: str, variables: list[str], references: list[str]) -> None:
    assert read_template_facts(source) == TemplateFacts(tuple(variables), tuple(references))
