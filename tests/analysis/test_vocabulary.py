"""PT005/PT006: filters and tests come from the rendering TemplateEngine plus config extras."""

from __future__ import annotations

from typing import Any

import pytest

from prompt_tool.analysis.workspace import AnalysisConfig


@pytest.mark.parametrize(
    "source",
    [
        pytest.param("{{ feature.name | upper | indent_block(2) }}", id="builtin-and-custom"),
        pytest.param("{{ feature.acceptance_criteria | bullet_list }}", id="bullet_list"),
        pytest.param("{% filter upper %}x{% endfilter %}", id="filter-block"),
        pytest.param(
            "{% if feature.name is string and 3 is divisibleby(3) %}{% endif %}", id="tests"
        ),
        pytest.param("{% set x | trim %} a {% endset %}{{ x }}", id="set-block-filter"),
    ],
)
def test_known_filters_and_tests(analyse: Any, source: str) -> None:
    assert analyse(source) == []


@pytest.mark.parametrize(
    ("source", "code", "needle", "suggested"),
    [
        pytest.param("{{ feature.name | uper }}", "PT005", "uper", "upper", id="filter"),
        pytest.param(
            "{% filter uper %}x{% endfilter %}", "PT005", "uper", "upper", id="filter-block"
        ),
        pytest.param("{{ 1 if feature is strng }}", "PT006", "strng", "string", id="test"),
        pytest.param(
            "{{ 1 if feature is not defind }}", "PT006", "defind", "defined", id="not-test"
        ),
    ],
)
def test_unknown_filter_or_test(
    analyse: Any, expect: Any, found: Any, source: str, code: str, needle: str, suggested: str
) -> None:
    result = analyse(source)
    assert [found(d) for d in result] == [expect(source, code, needle)]
    assert result[0].fix is not None and result[0].fix.replacement == suggested


def test_config_extras_are_accepted(analyse: Any) -> None:
    source = "{{ feature.name | slugify }}{{ 1 if feature is shiny }}"
    config = AnalysisConfig(
        phase="orchestrator", extra_filters=frozenset({"slugify"}), extra_tests=frozenset({"shiny"})
    )
    assert analyse(source, config=config) == []
    assert [d.code for d in analyse(source)] == ["PT005", "PT006"]


def test_analyser_vocabulary_is_the_engines() -> None:
    from prompt_tool.analysis.workspace import Workspace
    from prompt_tool.core.templating import TemplateEngine

    engine = TemplateEngine()
    workspace = Workspace()
    assert workspace.vocabulary.filters == engine.filter_names()
    assert workspace.vocabulary.tests == engine.test_names()
    assert workspace.globals == engine.global_names()
