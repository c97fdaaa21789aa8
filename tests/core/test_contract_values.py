"""Contract objects from JSON: the same dataclasses the orchestrator builds, or a located error."""

from __future__ import annotations

import json
from typing import Any

import pytest

from prompt_tool.core.contract import (
    AnalysisContext,
    FeatureInfo,
    PhaseOutput,
    PlanningContext,
    ProjectInfo,
    SessionInfo,
)
from prompt_tool.core.contract_values import (
    ContractValueError,
    build,
    json_path,
    locate,
    parse_json,
)
from prompt_tool.core.errors import ValidationError

PLANNING: dict[str, Any] = {
    "project": {"name": "shop", "description": "The storefront", "variables": {"n": 2}},
    "feature": {"name": "Login", "type": "feature", "description": "Sign in"},
    "session": {"id": "7", "phase": "orchestrator"},
    "vars": {"n": 2},
}


def test_a_whole_context_becomes_the_contract_dataclasses() -> None:
    context = build(PlanningContext, PLANNING)
    assert context == PlanningContext(
        ProjectInfo("shop", "The storefront", {"n": 2}),
        FeatureInfo("Login", "feature", "Sign in", []),
        SessionInfo("7", "orchestrator"),
        vars={"n": 2},
    )


def test_nested_lists_of_dataclasses_are_built() -> None:
    data = {
        **PLANNING,
        "session": {
            "id": "1",
            "phase": "analysis",
            "previous_outputs": [{"phase": "orchestrator", "summary": "s", "content": "c"}],
        },
        "plan": {"phase": "orchestrator", "summary": "s", "content": "c"},
        "files": [
            {"path": "a.py", "language": "python", "size": 1, "content": "x", "summary": "why"}
        ],
    }
    context = build(AnalysisContext, data)
    assert context.session.previous_outputs == [PhaseOutput("orchestrator", "s", "c")]
    assert context.files[0].path == "a.py"


def with_change(path: list[str | int], value: object) -> dict[str, Any]:
    data: Any = json.loads(json.dumps(PLANNING))
    target = data
    for part in path[:-1]:
        target = target[part]
    if value is KeyError:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    result: dict[str, Any] = data
    return result


@pytest.mark.parametrize(
    ("data", "message"),
    [
        pytest.param(
            with_change(["feature", "acceptance_criteria"], ["ok", 3]),
            "$.feature.acceptance_criteria[1]: expected str, got integer",
            id="wrong-element-type",
        ),
        pytest.param(
            with_change(["feature", "name"], KeyError),
            "$.feature.name: missing field of type str",
            id="missing-field",
        ),
        pytest.param(
            with_change(["feature", "nmae"], "x"),
            "$.feature.nmae: unknown field of FeatureInfo (known: name, type, description,"
            " acceptance_criteria)",
            id="unknown-field",
        ),
        pytest.param(
            with_change(["session"], []),
            "$.session: expected SessionInfo (an object), got array",
            id="object-expected",
        ),
        pytest.param(
            with_change(["session", "attempt"], True),
            "$.session.attempt: expected int, got boolean",
            id="a-boolean-is-no-integer",
        ),
        pytest.param([], "$: expected PlanningContext (an object), got array", id="top-level"),
    ],
)
def test_a_misfit_names_the_json_path_and_the_expected_type(data: object, message: str) -> None:
    with pytest.raises(ContractValueError) as raised:
        build(PlanningContext, data)
    assert str(raised.value) == message


@pytest.mark.parametrize(
    ("path", "position"),
    [
        pytest.param([], (0, 0), id="root"),
        pytest.param(["feature"], (2, 13), id="object-value"),
        pytest.param(["feature", "tags", 1], (2, 28), id="array-element"),
        pytest.param(["feature", "missing"], (2, 13), id="missing-key-is-its-parent"),
        pytest.param(["b"], (3, 7), id="after-a-skipped-value"),
    ],
)
def test_locate_finds_where_a_value_starts(
    path: list[str | int], position: tuple[int, int]
) -> None:
    text = '{\n  "a": {"x": [1, {"y": "}"}]},\n  "feature": {"tags": ["a", "b"]},\n  "b": 2\n}'
    assert json_path(path).startswith("$")
    assert locate(text, path) == position


def test_a_syntax_error_is_one_line_with_its_position() -> None:
    with pytest.raises(ValidationError, match=r"^ctx.json:2:1: Expecting value$"):
        parse_json('{"a":\n}', "ctx.json")
