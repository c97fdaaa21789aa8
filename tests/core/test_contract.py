"""The variable contract: dataclasses → render mapping and → analyser contract, in step."""

from __future__ import annotations

from dataclasses import fields

import pytest

from prompt_tool.analysis.contracts import contract_for_phase, contract_with_project_variables
from prompt_tool.analysis.typeinfo import Kind
from prompt_tool.core.contract import (
    CONTEXT_CLASSES,
    PHASES,
    AnalysisContext,
    FeatureInfo,
    FileInfo,
    PhaseOutput,
    ProjectInfo,
    SessionInfo,
    to_render_mapping,
)
from prompt_tool.core.errors import NotFoundError
from prompt_tool.core.templating import TemplateEngine


def sample_context() -> AnalysisContext:
    return AnalysisContext(
        project=ProjectInfo("shop", "An online shop", {"repo": "git@x"}),
        feature=FeatureInfo("Coupons", "feature", "Let users redeem coupons", ["code is unique"]),
        session=SessionInfo("s-1", "analysis"),
        plan=PhaseOutput("orchestrator", "Add a coupon table", "1. table\n2. endpoint"),
        files=[FileInfo("shop/cart.py", "python", 42, "def total(): ...", "computes totals")],
        vars={"repo": "git@x"},
    )


@pytest.mark.parametrize("phase", PHASES)
def test_contract_names_are_exactly_the_dataclass_fields(phase: str) -> None:
    contract = contract_for_phase(phase)
    assert list(contract.variables) == [item.name for item in fields(CONTEXT_CLASSES[phase])]
    assert all(info.doc for info in contract.variables.values())


def test_render_mapping_has_the_contract_names_and_renders() -> None:
    context = sample_context()
    mapping = to_render_mapping(context)
    assert set(mapping) == set(contract_for_phase("analysis").variables)
    assert mapping["feature"] is context.feature
    text = TemplateEngine().render_string(
        "{{ feature.name }}:{% for f in files %}{{ f.path }}{% endfor %}:{{ vars.repo }}", mapping
    )
    assert text == "Coupons:shop/cart.py:git@x"


def test_nested_types_reach_the_analyser() -> None:
    contract = contract_for_phase("implementation")
    files = contract.variables["files"].type
    assert files.kind == Kind.LIST and files.element is not None
    assert set(files.element.fields) == {"path", "language", "size", "content", "summary"}
    criteria = contract.variables["feature"].type.fields["acceptance_criteria"].type
    assert criteria.kind == Kind.LIST and criteria.element is not None
    assert criteria.element.kind == Kind.STR
    assert contract.variables["feature"].type.fields["name"].doc == "Short title of the feature."


def test_planning_has_no_files() -> None:
    assert "files" not in contract_for_phase("orchestrator").variables
    assert "files" in contract_for_phase("analysis").variables


def test_unknown_phase_is_a_domain_error() -> None:
    with pytest.raises(NotFoundError, match="unknown phase 'deploy'"):
        contract_for_phase("deploy")


def test_project_variables_close_vars() -> None:
    contract = contract_with_project_variables(contract_for_phase("analysis"), {"n": 3})
    variables = contract.variables["vars"].type
    assert variables.kind == Kind.OBJECT
    assert variables.fields["n"].type.kind == Kind.INT
    assert contract.variables["vars"].doc
