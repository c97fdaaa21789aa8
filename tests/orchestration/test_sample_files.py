"""Sample files: found by folder or glob, their phase from the name, checked against the contract."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from prompt_tool.analysis.diagnostics import Span
from prompt_tool.core.contract import PlanningContext
from prompt_tool.orchestration.sample_files import (
    SampleProblem,
    check_sample,
    find_samples,
    sample_diagnostics,
)

PLANNING = {
    "project": {"name": "shop", "description": "d"},
    "feature": {"name": "Login", "type": "feature", "description": "Sign in"},
    "session": {"id": "1", "phase": "orchestrator"},
}


def test_samples_are_found_in_samples_folders_and_by_glob(tmp_path: Path) -> None:
    root = tmp_path / "prompts"
    for relative in (
        "samples/login.orchestrator.json",
        "samples/analysis/deep.json",
        "samples/notes.json",
        "samples/readme.txt",
    ):
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
        (root / relative).write_text("{}", encoding="utf-8")
    (tmp_path / "fixtures").mkdir()
    (tmp_path / "fixtures" / "big.implementation.json").write_text("{}", encoding="utf-8")
    found = find_samples([root], tmp_path, ["fixtures/*.json"])
    assert [(s.path.relative_to(tmp_path).as_posix(), s.name, s.phase) for s in found] == [
        ("prompts/samples/analysis/deep.json", "deep", "analysis"),
        ("prompts/samples/login.orchestrator.json", "login.orchestrator", "orchestrator"),
        ("prompts/samples/notes.json", "notes", None),
        ("fixtures/big.implementation.json", "big.implementation", "implementation"),
    ]


def test_a_fitting_sample_is_the_contract_object() -> None:
    context = check_sample(json.dumps(PLANNING), "orchestrator")
    assert isinstance(context, PlanningContext) and context.feature.name == "Login"


@pytest.mark.parametrize(
    ("text", "phase", "problem"),
    [
        pytest.param(
            '{\n  "project": {"name": 1}\n}',
            "orchestrator",
            SampleProblem(
                "$.project.name: expected str, got integer (the orchestrator contract)", 1, 22
            ),
            id="wrong-type-at-its-value",
        ),
        pytest.param(
            '{"a": }', "analysis", SampleProblem("not JSON: Expecting value", 0, 6), id="syntax"
        ),
        pytest.param("{}", None, None, id="no-phase"),
    ],
)
def test_a_sample_that_does_not_fit_is_located(
    text: str, phase: str | None, problem: SampleProblem | None
) -> None:
    found = check_sample(text, phase)
    assert isinstance(found, SampleProblem)
    if problem is not None:
        assert found == problem
    else:
        assert found.message.startswith("a sample names its phase")


def test_lint_reports_a_misfit_as_pt019_in_the_json_file(tmp_path: Path) -> None:
    path = tmp_path / "samples" / "login.orchestrator.json"
    path.parent.mkdir()
    text = json.dumps({**PLANNING, "vars": []}, indent=2)
    path.write_text(text, encoding="utf-8")
    (sample,) = find_samples([tmp_path], None)
    (diagnostic,) = sample_diagnostics(sample, text, "samples/login.orchestrator.json")
    line = text.split("\n").index('  "vars": []')
    assert (diagnostic.code, diagnostic.path, diagnostic.span) == (
        "PT019",
        "samples/login.orchestrator.json",
        Span.at(line, 10),
    )
    assert diagnostic.message.startswith("$.vars: expected dict[str, Any], got array")
    assert sample_diagnostics(sample, json.dumps(PLANNING), "x.json") == []
