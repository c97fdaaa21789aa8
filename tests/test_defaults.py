"""The shipped default templates lint clean against the contract and render for real."""

from __future__ import annotations

import pytest

from prompt_tool.analysis.workspace import AnalysisConfig, Workspace
from prompt_tool.core.contract import (
    AnalysisContext,
    FeatureInfo,
    FileInfo,
    ImplementationContext,
    PhaseContext,
    PhaseOutput,
    PlanningContext,
    ProjectInfo,
    SessionInfo,
    to_render_mapping,
)
from prompt_tool.core.templating import TemplateEngine
from prompt_tool.defaults import default_template_names, default_templates

PROJECT = ProjectInfo("shop", "An online book shop.", {"style": "ruff, mypy strict"})
FEATURE = FeatureInfo(
    "Coupons", "feature", "Let users redeem coupons.", ["a code works once", "expired codes fail"]
)
PLAN = PhaseOutput("orchestrator", "Add a coupons table.", "1. table\n2. endpoint")
ANALYSIS = PhaseOutput("analysis", "Totals live in cart.py.", "- cart.py: total()")
FILES = [FileInfo("shop/cart.py", "python", 42, "def total(): ...", "computes totals")]


def contexts() -> dict[str, PhaseContext]:
    return {
        "orchestrator.j2": PlanningContext(
            PROJECT, FEATURE, SessionInfo("s1", "orchestrator"), vars=PROJECT.variables
        ),
        "analysis.j2": AnalysisContext(
            PROJECT, FEATURE, SessionInfo("s1", "analysis"), PLAN, FILES, PROJECT.variables
        ),
        "implementation.j2": ImplementationContext(
            PROJECT,
            FEATURE,
            SessionInfo("s1", "implementation", 2, [PLAN, ANALYSIS]),
            PLAN,
            ANALYSIS,
            FILES,
            PROJECT.variables,
        ),
    }


def linted(templates: dict[str, str]) -> Workspace:
    workspace = Workspace(AnalysisConfig())
    for name, source in templates.items():
        workspace.set_document(name, source)
    return workspace


def test_every_phase_and_partial_is_shipped() -> None:
    names = default_template_names()
    assert {"orchestrator.j2", "analysis.j2", "implementation.j2"} <= set(names)
    assert {"partials/feature.j2", "partials/output_format.j2"} <= set(names)


@pytest.mark.parametrize("name", default_template_names())
def test_defaults_lint_clean(name: str) -> None:
    assert linted(default_templates()).diagnostics(name) == []


def test_lint_is_not_vacuous_for_partials() -> None:
    templates = default_templates()
    templates["orchestrator.j2"] += '\n{% include "partials/files.j2" %}'
    found = linted(templates).diagnostics("partials/files.j2")
    assert {d.code for d in found} == {"PT002"}
    assert all("included from `orchestrator.j2`" in d.message for d in found)


@pytest.mark.parametrize("name", ["orchestrator.j2", "analysis.j2", "implementation.j2"])
def test_defaults_render_with_a_sample_context(name: str) -> None:
    context = contexts()[name]
    text = TemplateEngine(default_templates()).render(name, to_render_mapping(context))
    assert "## The feature: Coupons" in text
    assert "1. a code works once\n2. expired codes fail" in text
    assert "You are working on **shop**." in text
    assert "- style: ruff, mypy strict" in text
    assert "## Output format" in text
    assert "{{" not in text and "{%" not in text
    if name != "orchestrator.j2":
        assert "`shop/cart.py` (python, 42 bytes): computes totals" in text
        assert "```python\ndef total(): ...\n```" in text
