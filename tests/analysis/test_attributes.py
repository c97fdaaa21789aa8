"""PT004: unknown attributes on typed contract variables and loop variables, with fixes."""

from __future__ import annotations

from typing import Any

import pytest

CLEAN = [
    pytest.param("{{ feature.name }}{{ feature.acceptance_criteria | length }}", id="fields"),
    pytest.param("{{ feature.name.upper() }}{{ project.name.split('-') }}", id="str-methods"),
    pytest.param("{% for f in files %}{{ f.path }} {{ loop.index }}{% endfor %}", id="loop-var"),
    pytest.param("{{ feature.nmae | default('') }}", id="default-guard"),
    pytest.param("{{ feature.nmae | d('x') }}", id="d-guard"),
    pytest.param("{% if feature.nmae is defined %}{{ feature.nmae.x }}{% endif %}", id="defined"),
    pytest.param(
        "{% if feature.nmae is undefined %}-{% else %}{{ feature.nmae }}{% endif %}",
        id="undefined-else",
    ),
    pytest.param(
        "{{ vars.anything }}{% if session.previous_outputs %}"
        "{{ session.previous_outputs[0].summary }}{% endif %}",
        id="dict-index",
    ),
    pytest.param(
        "{% if files %}{% set f = files | first %}{{ f.language }}{% endif %}",
        id="filter-element",
    ),
    pytest.param("{% for o in session.previous_outputs %}{{ o.summary }}{% endfor %}", id="nested"),
]


@pytest.mark.parametrize("source", CLEAN)
def test_known_attributes_are_clean(analyse: Any, source: str) -> None:
    assert analyse(source, phase="analysis") == []


FINDINGS = [
    pytest.param("{{ feature.nmae }}", "nmae", "name", id="contract-field"),
    pytest.param("{% for f in files %}{{ f.pth }}{% endfor %}", "pth", "path", id="loop-var-field"),
    pytest.param(
        "{{ loop_free }}{% for f in files %}{{ loop.indx }}{% endfor %}", "indx", "index", id="loop"
    ),
    pytest.param("{{ session.previous_outputs[0].sumary }}", "sumary", "summary", id="list-item"),
    pytest.param("{{ feature.name.uper() }}", "uper", "upper", id="str-method"),
    pytest.param("{{ feature['nmae'] }}", "'nmae'", "'name'", id="getitem-const"),
]


@pytest.mark.parametrize(("source", "needle", "suggested"), FINDINGS)
def test_unknown_attribute_at_its_token_with_fix(
    analyse: Any, expect: Any, found: Any, source: str, needle: str, suggested: str
) -> None:
    result = [d for d in analyse(source, phase="analysis") if d.code == "PT004"]
    assert [found(d) for d in result] == [expect(source, "PT004", needle)]
    (diagnostic,) = result
    assert diagnostic.fix is not None
    assert diagnostic.fix.replacement == suggested
    assert f"did you mean `{suggested.strip(chr(39))}`" in diagnostic.message


def test_list_has_no_length_attribute(analyse: Any, expect: Any, found: Any) -> None:
    source = "{{ files.length }}"
    assert [found(d) for d in analyse(source, phase="analysis")] == [
        expect(source, "PT004", "length")
    ]


def test_project_variables_extend_the_contract(analyse: Any) -> None:
    from prompt_tool.analysis.contracts import (
        contract_for_phase,
        contract_with_project_variables,
    )
    from prompt_tool.analysis.workspace import AnalysisConfig

    extended = contract_with_project_variables(
        contract_for_phase("orchestrator"), {"repo_url": "https://x", "retries": 3}
    )
    config = AnalysisConfig(phase="orchestrator", contracts={"orchestrator": extended})
    source = (
        "{{ vars.repo_url }} {{ vars.retries + 1 }} {{ vars.repo_ulr }}"
        "{% for key, value in vars.items() %}{{ key }}{% endfor %}"
    )
    result = analyse(source, config=config)
    assert [(d.code, d.fix.replacement if d.fix else None) for d in result] == [
        ("PT004", "repo_url")
    ]
