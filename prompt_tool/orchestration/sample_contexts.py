"""Sample render contexts built from the contract types: how "checked means renders" is measured.

A template that passes the check must render with whatever the orchestrator supplies. What
it may supply is declared by the contract dataclasses, so the samples are derived from them
by walking the annotations: a nested frozen dataclass is built field by field, `list[X]` is
empty, one element or long, `X | None` is None or an X, `dict[str, X]` has zero or several
keys, strings are empty, unicode, multi-line, template-like or long. `SampleShape` chooses
among those; a seeded `random.Random` makes every choice, so a (phase, seed, shape) triple
always builds the same context. The project's variables, when known, are used as they are
for `vars` and `project.variables`, as the orchestrator does.

Runtime code without a test dependency: the render-safety property test drives it (with
hypothesis choosing seeds and shapes), `benchmarks/render_safety_bench.py` counts renders
with it, and it can back a `templates render --sample --seed S` command.
"""

from __future__ import annotations

import dataclasses
import functools
import random
import types
import typing
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Literal, Union, get_args, get_origin, get_type_hints

from prompt_tool.core.contract import (
    CONTEXT_CLASSES,
    PROJECT_VARIABLES,
    PhaseContext,
    ProjectInfo,
    SessionInfo,
    to_render_mapping,
)
from prompt_tool.core.errors import NotFoundError, ValidationError
from prompt_tool.orchestration.orchestrator import engine_for
from prompt_tool.orchestration.template_resolver import Resolution

MAX_DEPTH = 6
"""Below this nesting depth lists are empty and optionals None, so recursive types end."""
MAX_ELEMENTS = 1000
"""At most this many list and dict elements in one sample: long lists of long lists of a
recursive type would otherwise grow as length ** depth."""


class ListSize(StrEnum):
    """How many elements each generated list has."""

    EMPTY = "empty"
    ONE = "one"
    LONG = "long"
    MIXED = "mixed"
    """Each list independently: empty, one, a few or long."""


class Presence(StrEnum):
    """Whether an optional (`X | None`) field holds None or a value."""

    NONE = "none"
    VALUE = "value"
    MIXED = "mixed"


class TextStyle(StrEnum):
    """Which strings fill `str` fields."""

    EMPTY = "empty"
    PLAIN = "plain"
    UNICODE = "unicode"
    MIXED = "mixed"


@dataclass(frozen=True)
class SampleShape:
    """The switches that shape a sample; the extremes (`EXTREME_SHAPES`) are what a
    template most often forgets: every list empty and every optional None, or everything
    long and present."""

    lists: ListSize = ListSize.MIXED
    optionals: Presence = Presence.MIXED
    text: TextStyle = TextStyle.MIXED
    long_length: int = 25
    """The number of elements of a long list."""


EXTREME_SHAPES: tuple[SampleShape, ...] = (
    SampleShape(ListSize.EMPTY, Presence.NONE, TextStyle.EMPTY),
    SampleShape(ListSize.ONE, Presence.VALUE, TextStyle.PLAIN),
    SampleShape(ListSize.LONG, Presence.VALUE, TextStyle.UNICODE),
    SampleShape(ListSize.LONG, Presence.NONE, TextStyle.MIXED),
)

ALL_SHAPES: tuple[SampleShape, ...] = tuple(
    SampleShape(lists, optionals, text, long_length)
    for lists in ListSize
    for optionals in Presence
    for text in TextStyle
    for long_length in (2, 25, 60)
)
"""Every combination of the switches (with three long lengths): what a sweep draws from."""

PLAIN_TEXTS: tuple[str, ...] = ("x", "plain words", "Refactor the checkout flow")
UNICODE_TEXTS: tuple[str, ...] = (
    "Ünïcødé — ✓ 日本語 한국어 🚀",
    "line one\nline two\n\n  indented line three",
    "{{ not a template }} {% raw %} {# nor this #}",
    "quotes ' \" ` and <tags> & ampersands \\ backslashes\ttabs",
    "right-to-left \u202e text and a zero\u200bwidth space",
    "   surrounded by spaces   ",
    "```\nfenced code\n```",
    "word " * 400,
)
SAMPLE_INTS: tuple[int, ...] = (0, 1, 2, 3, 7, 42, 1_000_000)
SAMPLE_FLOATS: tuple[float, ...] = (0.0, 0.5, 1.0, 3.25, 1e6)
_SEQUENCES = frozenset({list, tuple, set, frozenset})


class SampleBuilder:
    """One walk over annotations, every choice made by `rng` according to `shape`.

    `overrides` maps (dataclass, field name) to the value that field always gets (the
    project's variables, the phase being rendered): values with a meaning the types alone
    cannot give.
    """

    def __init__(
        self,
        rng: random.Random,
        shape: SampleShape = SampleShape(),
        overrides: Mapping[tuple[type, str], object] | None = None,
    ) -> None:
        self.rng = rng
        self.shape = shape
        self.overrides = dict(overrides or {})
        self.elements_left = MAX_ELEMENTS

    def value(self, annotation: object, depth: int = 0) -> Any:
        """A value of type `annotation`; raises ValidationError for a type it cannot build."""
        if annotation is Any or annotation is object:
            return self.text()
        if annotation is type(None) or annotation is None:
            return None
        origin = get_origin(annotation)
        if origin is not None:
            return self._generic(annotation, origin, get_args(annotation), depth)
        if annotation is bool:
            return self.rng.random() < 0.5
        if annotation is int:
            return self.rng.choice(SAMPLE_INTS)
        if annotation is float:
            return self.rng.choice(SAMPLE_FLOATS)
        if annotation is str:
            return self.text()
        if isinstance(annotation, type) and dataclasses.is_dataclass(annotation):
            return self.record(annotation, depth)
        if isinstance(annotation, type) and typing.is_typeddict(annotation):
            hints = _hints(annotation)
            return {name: self.value(hint, depth + 1) for name, hint in hints.items()}
        if annotation in _SEQUENCES:
            return self.sequence(list, str, depth)
        if annotation is dict:
            return self.mapping(Any, depth)
        raise ValidationError(f"cannot build a sample of {annotation!r}")

    def record(self, cls: type, depth: int = 0) -> Any:
        """An instance of dataclass `cls`, each init field sampled (or overridden)."""
        hints = _hints(cls)
        values: dict[str, Any] = {}
        for item in dataclasses.fields(cls):
            if not item.init:
                continue
            key = (cls, item.name)
            if key in self.overrides:
                values[item.name] = self.overrides[key]
            else:
                values[item.name] = self.value(hints[item.name], depth + 1)
        return cls(**values)

    def _generic(
        self, annotation: object, origin: object, args: tuple[object, ...], depth: int
    ) -> Any:
        if origin in (Union, types.UnionType):
            return self.union(args, depth)
        if origin is Literal:
            return self.rng.choice(args)
        if origin is typing.Annotated:
            return self.value(args[0], depth)
        if origin is tuple and not (len(args) == 2 and args[1] is Ellipsis):
            return tuple(self.value(arg, depth + 1) for arg in args)
        if origin in _SEQUENCES or _is_abc(origin, "Sequence", "Iterable", "Collection"):
            return self.sequence(origin, args[0] if args else str, depth)
        if origin is dict or _is_abc(origin, "Mapping", "MutableMapping"):
            return self.mapping(args[1] if len(args) == 2 else Any, depth)
        raise ValidationError(f"cannot build a sample of {annotation!r}")

    def union(self, members: tuple[object, ...], depth: int) -> Any:
        present = [member for member in members if member is not type(None)]
        if len(present) < len(members) and self._is_none():
            return None
        if len(present) < len(members) and depth >= MAX_DEPTH:
            return None
        return self.value(self.rng.choice(present), depth)

    def _is_none(self) -> bool:
        if self.shape.optionals is Presence.NONE:
            return True
        if self.shape.optionals is Presence.VALUE:
            return False
        return self.rng.random() < 0.5

    def size(self, depth: int) -> int:
        """How many elements the next list gets (within what is left of MAX_ELEMENTS)."""
        lists = self.shape.lists
        if lists is ListSize.EMPTY or depth >= MAX_DEPTH:
            wanted = 0
        elif lists is ListSize.ONE:
            wanted = 1
        elif lists is ListSize.LONG:
            wanted = self.shape.long_length
        else:
            wanted = self.rng.choice((0, 0, 1, 2, 3, self.shape.long_length))
        granted = max(min(wanted, self.elements_left), 0)
        self.elements_left -= granted
        return granted

    def sequence(self, origin: object, element: object, depth: int) -> Any:
        items = [self.value(element, depth + 1) for _ in range(self.size(depth))]
        if origin is tuple:
            return tuple(items)
        if origin in (set, frozenset):
            try:
                return set(items) if origin is set else frozenset(items)
            except TypeError:
                return items
        return items

    def mapping(self, value_type: object, depth: int) -> dict[str, Any]:
        count = self.size(depth)
        return {f"key_{index}": self.value(value_type, depth + 1) for index in range(count)}

    def text(self) -> str:
        style = self.shape.text
        if style is TextStyle.EMPTY:
            return ""
        if style is TextStyle.PLAIN:
            return self.rng.choice(PLAIN_TEXTS)
        if style is TextStyle.UNICODE:
            return self.rng.choice(UNICODE_TEXTS)
        return self.rng.choice(("", *PLAIN_TEXTS, *UNICODE_TEXTS))


@functools.cache
def _hints(cls: type) -> dict[str, Any]:
    """A class's resolved annotations, read once: resolving them is most of a sample's cost."""
    return get_type_hints(cls)


def _is_abc(origin: object, *names: str) -> bool:
    return getattr(origin, "__module__", "") == "collections.abc" and getattr(
        origin, "__name__", ""
    ) in set(names)


def sample_variables(rng: random.Random, shape: SampleShape = SampleShape()) -> dict[str, Any]:
    """Project variables as a project might store them (JSON values) when none are known."""
    builder = SampleBuilder(rng, shape)
    kinds: tuple[object, ...] = (str, int, bool, float, list[str], dict[str, str])
    return {
        f"variable_{index}": builder.value(rng.choice(kinds)) for index in range(builder.size(0))
    }


def sample_context(
    phase: str,
    rng: random.Random,
    *,
    variables: Mapping[str, Any] | None = None,
    shape: SampleShape = SampleShape(),
) -> PhaseContext:
    """A contract object for `phase` (e.g. a `PlanningContext`), every choice made by `rng`.

    `variables` are the project's variables when known (they become `vars` and
    `project.variables`, unchanged); otherwise some are generated.
    """
    try:
        cls = CONTEXT_CLASSES[phase]
    except KeyError:
        known = ", ".join(CONTEXT_CLASSES)
        raise NotFoundError(f"unknown phase {phase!r}; known phases: {known}") from None
    chosen = dict(variables) if variables is not None else sample_variables(rng, shape)
    overrides: dict[tuple[type, str], object] = {
        (cls, PROJECT_VARIABLES): chosen,
        (ProjectInfo, "variables"): chosen,
        (SessionInfo, "phase"): phase,
    }
    context: PhaseContext = SampleBuilder(rng, shape, overrides).record(cls)
    return context


def render_sample(
    resolution: Resolution,
    phase: str,
    seed: int,
    *,
    variables: Mapping[str, Any] | None = None,
    shape: SampleShape = SampleShape(),
) -> str:
    """`phase` of `resolution` rendered exactly as the orchestrator renders it (its engine
    over the resolved versions, its context mapping), with the sample for `seed`; raises
    TemplateRenderError as a session's render would."""
    context = sample_context(phase, random.Random(seed), variables=variables, shape=shape)
    name = resolution.phase_prompt(phase).name
    return engine_for(resolution).render(name, to_render_mapping(context))


def sample_contexts(
    phase: str,
    seeds: range,
    shapes: tuple[SampleShape, ...] = EXTREME_SHAPES,
    variables: Mapping[str, Any] | None = None,
) -> Iterator[PhaseContext]:
    """One context per (seed, shape): the deterministic sweep the benchmark counts."""
    for seed in seeds:
        for shape in shapes:
            yield sample_context(phase, random.Random(seed), variables=variables, shape=shape)
