"""The include graph across templates, and the cycles in it.

Edges run from a template to what it includes, extends or imports. A cycle is reported on
every member with the whole chain; it is unconditional (an error: rendering can never end)
when a chain of unguarded edges closes it, and conditional (a warning: a recursive tree
render ends when its guard fails) when every chain passes an `if`, a loop or a macro.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from prompt_tool.analysis.parsing import IncludeRef


@dataclass(frozen=True)
class Edge:
    """`source` names `target` at `ref`."""

    source: str
    target: str
    ref: IncludeRef

    @property
    def is_conditional(self) -> bool:
        return self.ref.is_conditional


CHAIN_SHOWN = 12
"""Names a cycle's chain shows in full; a longer one shows its start and end around `…`."""


@dataclass(frozen=True)
class Cycle:
    """A closed chain of edges starting at one member.

    The edges are a ring read from `start`, so that every member of a cycle of thousands
    of templates shares one tuple instead of holding its own rotation of it.
    """

    ring: tuple[Edge, ...]
    is_conditional: bool
    start: int = 0

    def __len__(self) -> int:
        return len(self.ring)

    def edge(self, index: int) -> Edge:
        return self.ring[(self.start + index) % len(self.ring)]

    @property
    def edges(self) -> tuple[Edge, ...]:
        return self.ring[self.start :] + self.ring[: self.start]

    def head(self, count: int) -> list[Edge]:
        """The first `count` edges (all when the cycle is shorter)."""
        return [self.edge(index) for index in range(min(count, len(self.ring)))]

    def chain(self) -> str:
        """`a → b → a`; a cycle longer than CHAIN_SHOWN is cut in the middle, saying how
        many names it leaves out (a message per member must not grow with the cycle)."""
        size = len(self.ring)
        if size <= CHAIN_SHOWN:
            names = [self.edge(index).source for index in range(size)]
        else:
            tail = CHAIN_SHOWN // 3
            left_out = size - CHAIN_SHOWN
            names = [
                *(self.edge(index).source for index in range(CHAIN_SHOWN - tail)),
                f"… {left_out} more …",
                *(self.edge(index).source for index in range(size - tail, size)),
            ]
        return " → ".join([*names, self.edge(0).source])


class IncludeGraph:
    """Forward and reverse edges, built from each template's static include targets."""

    def __init__(self, edges: Iterable[Edge]) -> None:
        self.forward: dict[str, list[Edge]] = {}
        self.reverse: dict[str, list[Edge]] = {}
        for edge in edges:
            self._add(edge)
        self._cycles: dict[str, Cycle] | None = None

    def _add(self, edge: Edge) -> None:
        self.forward.setdefault(edge.source, []).append(edge)
        self.reverse.setdefault(edge.target, []).append(edge)

    def replace_edges(self, source: str, edges: Iterable[Edge]) -> None:
        """Give `source` a new set of outgoing edges: one template changed, the rest stand."""
        for edge in self.forward.pop(source, []):
            incoming = self.reverse[edge.target]
            incoming.remove(edge)
            if not incoming:
                del self.reverse[edge.target]
        for edge in edges:
            self._add(edge)
        self._cycles = None

    def includers(self, name: str) -> list[Edge]:
        return self.reverse.get(name, [])

    def reachable(self, name: str, forward: bool = True) -> set[str]:
        """Templates reachable from `name` along (or against) the edges."""
        edges = self.forward if forward else self.reverse
        seen: set[str] = set()
        queue = deque([name])
        while queue:
            current = queue.popleft()
            for edge in edges.get(current, []):
                nxt = edge.target if forward else edge.source
                if nxt not in seen:
                    seen.add(nxt)
                    queue.append(nxt)
        return seen

    def cycle_of(self, name: str) -> Cycle | None:
        if self._cycles is None:
            self._cycles = self._find_cycles()
        return self._cycles.get(name)

    def _find_cycles(self) -> dict[str, Cycle]:
        result: dict[str, Cycle] = {}
        for component in strongly_connected(self.forward):
            members = set(component)
            if len(members) == 1:
                only = component[0]
                if not any(edge.target == only for edge in self.forward.get(only, [])):
                    continue
            if (ring := self._ring(component, members)) is not None:
                result.update(ring)
                continue
            for member in component:
                cycle = self._shortest_cycle(member, members, unconditional_only=True)
                cycle = cycle or self._shortest_cycle(member, members, unconditional_only=False)
                if cycle is not None:
                    result[member] = cycle
        return result

    def _ring(self, component: list[str], members: set[str]) -> dict[str, Cycle] | None:
        """When each member has exactly one edge inside the component (a plain loop, the
        usual cycle), the cycle of every member is that loop read from the member: found
        in one walk, not one search per member (which is quadratic in the loop's length)."""
        inside: dict[str, Edge] = {}
        for member in component:
            edges = [edge for edge in self.forward.get(member, []) if edge.target in members]
            if len(edges) != 1:
                return None
            inside[member] = edges[0]
        ring: list[Edge] = []
        current = component[0]
        while not ring or current != component[0]:
            ring.append(inside[current])
            current = inside[current].target
        if len(ring) != len(component):
            return None
        loop = tuple(ring)
        conditional = any(edge.is_conditional for edge in loop)
        return {
            edge.source: Cycle(loop, conditional, position) for position, edge in enumerate(loop)
        }

    def _shortest_cycle(
        self, start: str, members: set[str], unconditional_only: bool
    ) -> Cycle | None:
        came_by: dict[str, Edge] = {}
        queue = deque([start])
        while queue:
            current = queue.popleft()
            for edge in self.forward.get(current, []):
                if edge.target not in members or (unconditional_only and edge.is_conditional):
                    continue
                if edge.target == start:
                    return self._close(start, current, edge, came_by, unconditional_only)
                if edge.target not in came_by:
                    came_by[edge.target] = edge
                    queue.append(edge.target)
        return None

    @staticmethod
    def _close(
        start: str, last: str, edge: Edge, came_by: Mapping[str, Edge], strict: bool
    ) -> Cycle:
        path = [edge]
        current = last
        while current != start:
            step = came_by[current]
            path.append(step)
            current = step.source
        path.reverse()
        conditional = not strict and any(item.is_conditional for item in path)
        return Cycle(tuple(path), conditional)


def strongly_connected(graph: Mapping[str, list[Edge]]) -> list[list[str]]:
    """Tarjan's algorithm, iterative so that long include chains cannot exhaust the stack."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    components: list[list[str]] = []
    counter = 0
    for root in list(graph):
        if root in index:
            continue
        work: list[tuple[str, int]] = [(root, 0)]
        while work:
            node, position = work.pop()
            if position == 0:
                index[node] = low[node] = counter
                counter += 1
                stack.append(node)
                on_stack.add(node)
            edges = graph.get(node, [])
            if position < len(edges):
                work.append((node, position + 1))
                target = edges[position].target
                if target not in index:
                    work.append((target, 0))
                elif target in on_stack:
                    low[node] = min(low[node], index[target])
                continue
            if low[node] == index[node]:
                component: list[str] = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                components.append(component)
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
    return components
