"""The sample-context generator: real contract objects, of the declared types, shaped as asked."""

from __future__ import annotations

import dataclasses
import functools
import random
import types
import typing
from dataclasses import dataclass, field
from typing import Any, Literal, Union, get_args, get_origin, get_type_hints

import pytest
from hypothesis import given
from hypothesis import strategies as st

from prompt_tool.core.contract import CONTEXT_CLASSES
from prompt_tool.core.errors import NotFoundError, ValidationError
from prompt_tool.orchestration.sample_contexts import (
    ALL_SHAPES,
    EXTREME_SHAPES,
    UNICODE_TEXTS,
    ListSize,
    Presence,
    SampleBuilder,
    SampleShape,
    TextStyle,
    sample_context,
    sample_contexts,
)


@dataclass(frozen=True)
class Node:
    """A recursive record with optional and nested fields."""

    label: str
    weight: float | None
    kind: Literal["leaf", "branch"]
    children: list[Node] = field(default_factory=list)
    tags: dict[str, int] = field(default_factory=dict)
    pair: tuple[int, str] = (0, "")
    parent: Node | None = None


@functools.cache
def hints_of(cls: type) -> dict[str, Any]:
    return get_type_hints(cls)


def conforms(value: Any, annotation: Any) -> bool:
    """Whether `value` has type `annotation`, walked the way the generator walks it."""
    origin, args = get_origin(annotation), get_args(annotation)
    if annotation is Any:
        return True
    if origin in (Union, types.UnionType):
        return any(conforms(value, arg) for arg in args)
    if annotation is type(None):
        return value is None
    if origin is Literal:
        return value in args
    if origin is list:
        return isinstance(value, list) and all(conforms(item, args[0]) for item in value)
    if origin is dict:
        return isinstance(value, dict) and all(
            isinstance(key, str) and conforms(item, args[1]) for key, item in value.items()
        )
    if origin is tuple:
        return isinstance(value, tuple) and all(map(conforms, value, args))
    if dataclasses.is_dataclass(annotation):
        hints = hints_of(annotation)
        return isinstance(value, annotation) and all(
            conforms(getattr(value, item.name), hints[item.name])
            for item in dataclasses.fields(annotation)
        )
    if annotation is float:
        return isinstance(value, int | float) and not isinstance(value, bool)
    if annotation is int:
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, annotation)


def values_of(value: Any) -> typing.Iterator[Any]:
    """Every value inside a built object, depth first."""
    yield value
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        for item in dataclasses.fields(value):
            yield from values_of(getattr(value, item.name))
    elif isinstance(value, list | tuple):
        for item in value:
            yield from values_of(item)
    elif isinstance(value, dict):
        for item in value.values():
            yield from values_of(item)


SHAPES = st.sampled_from(ALL_SHAPES)


@given(phase=st.sampled_from(sorted(CONTEXT_CLASSES)), seed=st.integers(0, 2**32), shape=SHAPES)
def test_every_sample_is_a_contract_object_of_the_declared_types(
    phase: str, seed: int, shape: SampleShape
) -> None:
    context = sample_context(phase, random.Random(seed), shape=shape)
    assert conforms(context, CONTEXT_CLASSES[phase])
    assert context.session.phase == phase
    assert context.vars == context.project.variables


@given(seed=st.integers(0, 2**32), shape=SHAPES)
def test_the_type_walk_handles_recursive_optional_and_nested_types(
    seed: int, shape: SampleShape
) -> None:
    assert conforms(SampleBuilder(random.Random(seed), shape).record(Node), Node)


def test_same_seed_and_shape_build_the_same_context() -> None:
    for shape in EXTREME_SHAPES:
        first = sample_context("analysis", random.Random(7), shape=shape)
        assert first == sample_context("analysis", random.Random(7), shape=shape)
    assert len({repr(c) for c in sample_contexts("analysis", range(5))}) > 1


def test_empty_shape_empties_every_list_and_nones_every_optional() -> None:
    shape = SampleShape(ListSize.EMPTY, Presence.NONE, TextStyle.EMPTY)
    node = SampleBuilder(random.Random(1), shape).record(Node)
    assert (node.children, node.tags, node.weight, node.parent, node.label) == (
        [],
        {},
        None,
        None,
        "",
    )
    context = sample_context("implementation", random.Random(1), shape=shape)
    lists = [value for value in values_of(context) if isinstance(value, list)]
    assert lists and all(value == [] for value in lists)


def test_long_shape_fills_every_list_and_every_optional() -> None:
    shape = SampleShape(ListSize.LONG, Presence.VALUE, TextStyle.UNICODE, long_length=4)
    node = SampleBuilder(random.Random(3), shape).record(Node)
    assert len(node.children) == 4 and node.weight is not None and node.parent is not None
    context = sample_context("implementation", random.Random(3), shape=shape, variables={})
    assert len(context.files) == 4 and len(context.session.previous_outputs) == 4
    assert context.feature.name in UNICODE_TEXTS


def test_project_variables_are_used_unchanged() -> None:
    variables = {"max_files": 3, "languages": ["python"]}
    for phase in CONTEXT_CLASSES:
        context = sample_context(phase, random.Random(0), variables=variables)
        assert context.vars == variables and context.project.variables == variables


def test_unknown_phase_and_unsupported_type_are_clear_errors() -> None:
    with pytest.raises(NotFoundError, match="unknown phase 'deploy'; known phases: "):
        sample_context("deploy", random.Random(0))
    with pytest.raises(ValidationError, match="cannot build a sample of"):
        SampleBuilder(random.Random(0)).value(complex)
