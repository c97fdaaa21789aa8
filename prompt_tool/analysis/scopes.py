"""Jinja's scoping as data: frames of bindings, and how branches and loops merge into them.

A read walks the frames outward. `if` branches do not open a scope, so their assignments
are merged into the enclosing frame (certain only if every branch assigns). A `for` body is
a scope of its own: its assignments vanish when the loop ends, which `lost` remembers so a
later read can be flagged. Macros and blocks see the template's top level, including names
assigned after them (they run when called), which `late` holds.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

from prompt_tool.analysis.diagnostics import Position, Span
from prompt_tool.analysis.typeinfo import ANY, TypeInfo


@dataclass
class Binding:
    """A name made visible by the contract, a global, or a statement of the template."""

    name: str
    type: TypeInfo
    origin: str
    span: Span | None = None
    is_certain: bool = True
    doc: str = ""
    may_be_none: bool = False
    """An optional contract value: reading an attribute, an item or its elements needs a
    guard (`{% if x %}`, `x is not none`), since None has none of them."""

    @property
    def visible_from(self) -> Position:
        return self.span.end if self.span else Position(0, 0)


class Lookup(NamedTuple):
    """The outcome of reading a name: its binding, and the loop assignment that was lost."""

    binding: Binding | None
    lost_at: Span | None = None


@dataclass
class Frame:
    """One scope; `region` is where its bindings are visible (for `scope_at`)."""

    kind: str
    parent: Frame | None
    region: Span | None = None
    bindings: dict[str, Binding] = field(default_factory=dict)
    lost: dict[str, Span] = field(default_factory=dict)
    late: frozenset[str] = frozenset()
    history: list[Binding] = field(default_factory=list)

    def define(self, binding: Binding) -> None:
        self.bindings[binding.name] = binding
        self.lost.pop(binding.name, None)
        self.history.append(binding)

    def lookup(self, name: str) -> Lookup:
        lost_at: Span | None = None
        frame: Frame | None = self
        while frame is not None:
            if lost_at is None and name in frame.lost:
                lost_at = frame.lost[name]
            if name in frame.bindings:
                return Lookup(frame.bindings[name], lost_at)
            if name in frame.late:
                return Lookup(Binding(name, ANY, "toplevel"), lost_at)
            frame = frame.parent
        return Lookup(None, lost_at)

    def chain(self) -> list[Frame]:
        """This frame and its enclosing ones, outermost first (the order names shadow in)."""
        frames: list[Frame] = []
        frame: Frame | None = self
        while frame is not None:
            frames.append(frame)
            frame = frame.parent
        frames.reverse()
        return frames

    def visible(self) -> dict[str, Binding]:
        """Every name visible in this frame, innermost binding first."""
        result: dict[str, Binding] = {}
        for current in self.chain():
            result.update({name: Binding(name, ANY, "toplevel") for name in current.late})
            result.update(current.bindings)
        return result


def merge_branches(
    target: Frame,
    branches: list[Frame],
    is_exhaustive: bool,
    known: Sequence[Collection[str]] = (),
) -> None:
    """Fold the assignments of `if`/`elif`/`else` branches into the frame that holds them.

    `known[i]` holds the names the tests prove defined on branch i, and, past the last
    branch when there is no `else`, on the path that takes none: with them
    `{% if x is not defined %}{% set x = 1 %}{% endif %}` leaves `x` certainly defined.
    """
    paths = len(branches) + (0 if is_exhaustive else 1)
    proven = [set(known[i]) if i < len(known) else set() for i in range(paths)]
    names = {name for branch in branches for name in branch.bindings}
    for name in sorted(names):
        assigned = [branch.bindings[name] for branch in branches if name in branch.bindings]
        certain = all(
            _assigns(branches, index, name) or name in proven[index] for index in range(paths)
        )
        before = target.lookup(name).binding
        certain = certain or (before is not None and before.is_certain)
        first = assigned[0]
        types = {id(binding.type) for binding in assigned}
        kind = first.type if len(types) == 1 else ANY
        target.define(Binding(name, kind, first.origin, first.span, certain, first.doc))
    for branch in branches:
        for name, span in branch.lost.items():
            target.lost.setdefault(name, span)


def _assigns(branches: list[Frame], index: int, name: str) -> bool:
    """Whether branch `index` (past the end: the path that takes no branch) surely sets `name`."""
    if index >= len(branches):
        return False
    binding = branches[index].bindings.get(name)
    return binding is not None and binding.is_certain
