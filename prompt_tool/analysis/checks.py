"""The checks that walk one template's AST: names, attributes, filters, tests, loop scoping.

`check_template` runs the visitor against one root scope (a contract, or "open" when no
contract applies). It reports syntax-independent findings and also records what the
language server needs: every reference, attribute access and frame, and the scope at each
include (partials are then checked against it).
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, NamedTuple

from jinja2 import nodes

from prompt_tool.analysis.diagnostics import RULES, Diagnostic, Fix, RelatedLocation, Span
from prompt_tool.analysis.inference import (
    LOOP,
    TypeOf,
    attribute_names,
    attribute_type,
    element_type,
    has_attribute,
)
from prompt_tool.analysis.parsing import ParsedTemplate, child_nodes
from prompt_tool.analysis.positions import Token
from prompt_tool.analysis.scopes import Binding, Frame, merge_branches
from prompt_tool.analysis.typeinfo import ANY, FieldInfo, Kind, TypeInfo

CONTEXT_CODES = frozenset({"PT002", "PT003", "PT004", "PT017", "PT018"})
_DEFAULT_FILTERS = frozenset({"default", "d"})
_EMPTY_UNDEFINED_FILTERS = frozenset({"first", "last", "random", "min", "max"})
"""Filters that return an undefined value for an empty sequence, which fails once used."""
_SIZE_KEEPING_FILTERS = frozenset({"sort", "list", "reverse", "map", "string"})
_VALUE_FILTERS = frozenset(
    {
        "batch",
        "bullet_list",
        "count",
        "dictsort",
        "first",
        "groupby",
        "items",
        "join",
        "last",
        "length",
        "list",
        "map",
        "max",
        "min",
        "numbered_list",
        "random",
        "reject",
        "rejectattr",
        "reverse",
        "select",
        "selectattr",
        "slice",
        "sort",
        "sum",
        "unique",
    }
)
"""Filters that iterate or measure their operand, so a None operand raises."""
_MAX_DEPTH = 300


@dataclass(frozen=True)
class RootScope:
    """What a render supplies: contract variables and globals; `is_open` admits any name."""

    variables: Mapping[str, FieldInfo]
    globals: frozenset[str]
    is_open: bool = False
    contract_name: str = ""
    includer: str | None = None
    include_site: RelatedLocation | None = None
    facts: GuardFacts | None = None
    """What the guards around the include site prove (`{% if files %}{% include … %}`)."""


@dataclass(frozen=True)
class GuardFacts:
    """Guard keys in force at a point: known defined, truthy (not None, not empty), not None."""

    defined: frozenset[str] = frozenset()
    truthy: frozenset[str] = frozenset()
    present: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Vocabulary:
    """Filter and test names the rendering environment registers (plus configured extras)."""

    filters: frozenset[str]
    tests: frozenset[str]


@dataclass(slots=True)
class Reference:
    """A read of a variable, with the type it has there (a plain slotted record: a check
    makes one per name read, and a frozen dataclass costs four times as much to build)."""

    name: str
    where: Token | Span = field(repr=False)
    type: TypeInfo
    is_defined: bool

    @property
    def span(self) -> Span:
        return as_span(self.where)


@dataclass(slots=True)
class AttributeAccess:
    """`owner.attribute` at `span` (the attribute's token)."""

    where: Token | Span = field(repr=False)
    owner: TypeInfo
    attribute: str
    type: TypeInfo
    exists: bool | None

    @property
    def span(self) -> Span:
        return as_span(self.where)


def as_span(where: Token | Span) -> Span:
    """Spans are computed only when asked for: most tokens are never reported on."""
    return where if isinstance(where, Span) else where.span


@dataclass
class TemplateAnalysis:
    """The outcome of one visitor run."""

    diagnostics: list[Diagnostic] = field(default_factory=list)
    references: list[Reference] = field(default_factory=list)
    attributes: list[AttributeAccess] = field(default_factory=list)
    frames: list[Frame] = field(default_factory=list)
    include_scopes: dict[int, dict[str, Binding]] = field(default_factory=dict)
    include_facts: dict[int, GuardFacts] = field(default_factory=dict)
    """The guards in force at each include (by node id), recorded with `include_scopes`."""
    marks: list[_Mark] = field(default_factory=list, repr=False)
    """The checker's state after each top-level statement, to resume from (`previous`)."""


class _Mark(NamedTuple):
    """How much of each output existed, and the top-level scope, after one statement."""

    diagnostics: int
    references: int
    attributes: int
    frames: int
    include_scopes: int
    history: int
    bindings: dict[str, Binding]
    lost: dict[str, Span]


def suggestion(name: str, candidates: Iterable[str]) -> str | None:
    found = difflib.get_close_matches(name, list(candidates), n=1, cutoff=0.7)
    return found[0] if found else None


def guard_key(node: nodes.Node) -> str | None:
    """`feature.name` for a Name/Getattr/constant-Getitem chain, None for anything else."""
    if isinstance(node, nodes.Name):
        return node.name
    if isinstance(node, nodes.Getattr):
        base = guard_key(node.node)
        return f"{base}.{node.attr}" if base else None
    if isinstance(node, nodes.Getitem) and isinstance(node.arg, nodes.Const):
        base = guard_key(node.node)
        return f"{base}.{node.arg.value}" if base else None
    return None


Facts = tuple[set[str], set[str]]
"""Keys a test proves when it is true, and when it is false."""


def _through_logic(test: nodes.Node | None, leaf: Callable[[nodes.Node], Facts]) -> Facts:
    """What `test` proves, `not`, `and` and `or` taken as Jinja evaluates them (the right
    operand of `and` runs only when the left is true), `leaf` asked about the rest."""
    if test is None:
        return set(), set()
    if isinstance(test, nodes.Not):
        when_true, when_false = _through_logic(test.node, leaf)
        return when_false, when_true
    if isinstance(test, nodes.And):
        left, right = _through_logic(test.left, leaf), _through_logic(test.right, leaf)
        return left[0] | right[0], set()
    if isinstance(test, nodes.Or):
        left, right = _through_logic(test.left, leaf), _through_logic(test.right, leaf)
        return set(), left[1] | right[1]
    return leaf(test)


def defined_guards(test: nodes.Node | None) -> Facts:
    """Keys known defined when `test` is true, and when it is false."""
    return _through_logic(test, _defined_leaf)


def _defined_leaf(test: nodes.Node) -> Facts:
    if isinstance(test, nodes.Test) and test.name in ("defined", "undefined"):
        key = guard_key(test.node)
        keys = {key} if key else set()
        return (keys, set()) if test.name == "defined" else (set(), keys)
    return set(), set()


def checked_names(test: nodes.Node | None) -> Facts:
    """Names a test proves defined when it is true, and when it is false (for merging
    branches): `is defined` guards, plus `x is none` / `x is not none`, which read `x`
    themselves, so an undefined `x` was already reported at the test."""
    when_true, when_false = defined_guards(test)
    for node in _none_tests(test):
        key = guard_key(node)
        if key:
            when_true.add(key)
            when_false.add(key)
    return when_true, when_false


def _none_tests(test: nodes.Node | None) -> list[nodes.Node]:
    if isinstance(test, nodes.Test) and test.name == "none":
        return [test.node]
    if isinstance(test, nodes.Not):
        return _none_tests(test.node)
    return []


_SIZE_FILTERS = frozenset({"length", "count"})
_EMPTY_WHEN = {"eq": 0, "lteq": 0, "lt": 1}
_NONEMPTY_WHEN = {"gt": 0, "gteq": 1, "ne": 0}


def _sized_key(node: nodes.Node) -> str | None:
    """`files` for `files` and for `files|length`: the value whose emptiness a test reads."""
    if isinstance(node, nodes.Filter) and node.name in _SIZE_FILTERS and node.node is not None:
        return guard_key(node.node)
    return guard_key(node)


def truthy_guards(test: nodes.Node | None) -> Facts:
    """Keys known truthy (not None, not empty) when `test` is true, and when it is false:
    `{% if files %}`, `files|length > 0`, `not files`. (`x is not none` proves less: not
    None, maybe empty; see `present_guards`.)"""
    return _through_logic(test, _truthy_leaf)


def _truthy_leaf(test: nodes.Node) -> Facts:
    if isinstance(test, nodes.Compare) and len(test.ops) == 1:
        operand, limit = test.ops[0], test.ops[0].expr
        key = _sized_key(test.expr) if isinstance(test.expr, nodes.Filter) else None
        if key and isinstance(limit, nodes.Const) and isinstance(limit.value, int):
            if _NONEMPTY_WHEN.get(operand.op) == limit.value:
                return {key}, set()
            if _EMPTY_WHEN.get(operand.op) == limit.value:
                return set(), {key}
        return set(), set()
    key = _sized_key(test)
    return ({key}, set()) if key else (set(), set())


def present_guards(test: nodes.Node | None) -> Facts:
    """Keys known not None when `test` is true, and when it is false: `is none`, and
    everything truthy."""
    return _through_logic(test, _present_leaf)


def _present_leaf(test: nodes.Node) -> Facts:
    if isinstance(test, nodes.Test) and test.name == "none":
        key = guard_key(test.node)
        return (set(), {key}) if key else (set(), set())
    return _truthy_leaf(test)


def check_template(
    parsed: ParsedTemplate,
    root: RootScope,
    vocabulary: Vocabulary,
    *,
    context_only: bool = False,
    previous: tuple[ParsedTemplate, TemplateAnalysis] | None = None,
) -> TemplateAnalysis:
    """Run the checks over `parsed` (which must have an AST) against `root`.

    `previous` is an earlier version's parse and its analysis against the same root: the
    leading top-level statements the two parses share (the same node objects, which an
    incremental re-parse keeps before the edit) are not checked again; the checker resumes
    from the state it had after them, with the same result as a whole run.
    """
    checker = _Checker(parsed, root, vocabulary, context_only)
    try:
        checker.run(checker.resume(*previous) if previous is not None else 0)
    except RecursionError:
        checker.analysis.diagnostics.clear()
    finally:
        # The checker and its TypeOf refer to each other; breaking the cycle frees the
        # checker (and the template it holds) at once instead of at a full collection,
        # which the language server defers to idle time.
        checker.type_of = TypeOf(_unknown)
    return checker.analysis


def _unknown(name: str) -> TypeInfo | None:
    return None


class _Checker:
    """The visitor. One method per node type that binds or reads names; the rest recurse."""

    def __init__(
        self, parsed: ParsedTemplate, root: RootScope, vocabulary: Vocabulary, context_only: bool
    ) -> None:
        self.parsed = parsed
        self.root_scope = root
        self.vocabulary = vocabulary
        self.context_only = context_only
        self.analysis = TemplateAnalysis()
        self.root = self._new_frame("template", None, None)
        self.frame = self.root
        facts = root.facts or GuardFacts()
        self.guards: list[str] = sorted(facts.defined)
        self.truthy: list[str] = sorted(facts.truthy)
        """Keys known truthy here (not None, not empty): `{% if files %}`, a `for` body."""
        self.present: list[str] = sorted(facts.present)
        """Keys known not None here: `x is not none`, and every truthy key."""
        self.tolerant: set[int] = set()
        """Ids of nodes whose undefined result is handled (`|default`, `is defined`)."""
        self.depth = 0
        self.type_of = TypeOf(self._type_of_name)
        self._seed_root()

    def _seed_root(self) -> None:
        for name in sorted(self.root_scope.globals):
            self.root.bindings[name] = Binding(name, ANY, "global")
        for name, info in self.root_scope.variables.items():
            self.root.bindings[name] = Binding(
                name,
                info.type,
                "contract",
                None,
                not info.may_be_absent,
                info.doc,
                may_be_none=info.is_optional,
            )
        self.root.bindings["self"] = Binding("self", ANY, "global", doc="This template's blocks.")

    def _new_frame(self, kind: str, parent: Frame | None, node: nodes.Node | None) -> Frame:
        region = self._region(node)
        frame = Frame(kind, parent, region)
        self.analysis.frames.append(frame)
        return frame

    def _region(self, node: nodes.Node | None) -> Span | None:
        if node is None:
            return Span(self.parsed.tokens.lines.position(0), self.parsed.tokens.lines.end())
        region = self.parsed.region(node)
        if region is None:
            return None
        end = region.closed.start if region.closed else self.parsed.tokens.lines.end()
        return Span(region.body_start, end)

    def _type_of_name(self, name: str) -> TypeInfo | None:
        binding = self.frame.lookup(name).binding
        return binding.type if binding else None

    def run(self, start: int = 0) -> None:
        assert self.parsed.ast is not None
        for node in self.parsed.ast.body[start:]:
            self.visit(node)
            self._mark()

    def _mark(self) -> None:
        analysis, root = self.analysis, self.root
        last = analysis.marks[-1] if analysis.marks else None
        if last is not None and last.history == len(root.history) and last.lost == root.lost:
            bindings, lost = last.bindings, last.lost  # only `define` changes the bindings
        else:
            bindings, lost = dict(root.bindings), dict(root.lost)
        analysis.marks.append(
            _Mark(
                len(analysis.diagnostics),
                len(analysis.references),
                len(analysis.attributes),
                len(analysis.frames),
                len(analysis.include_scopes),
                len(root.history),
                bindings,
                lost,
            )
        )

    def resume(self, parsed: ParsedTemplate, analysis: TemplateAnalysis) -> int:
        """Adopt `analysis` up to the last top-level statement `parsed` shares with this
        template; returns how many statements that skips (0: nothing could be reused)."""
        shared = _shared_statements(parsed, self.parsed, len(analysis.marks))
        if shared == 0:
            return 0
        mark = analysis.marks[shared - 1]
        mine, root = self.analysis, self.root
        mine.diagnostics = analysis.diagnostics[: mark.diagnostics]
        mine.references = analysis.references[: mark.references]
        mine.attributes = analysis.attributes[: mark.attributes]
        mine.include_scopes = dict(list(analysis.include_scopes.items())[: mark.include_scopes])
        mine.include_facts = dict(list(analysis.include_facts.items())[: mark.include_scopes])
        mine.marks = analysis.marks[:shared]
        root.bindings, root.lost = dict(mark.bindings), dict(mark.lost)
        root.history = analysis.frames[0].history[: mark.history]
        mine.frames = [
            root,
            *_reparented(analysis.frames[1 : mark.frames], analysis.frames[0], root),
        ]
        return shared

    def in_frame(self, frame: Frame) -> _InFrame:
        return _InFrame(self, frame)

    def guarded(self, keys: Iterable[str]) -> _Guarded:
        return _Guarded(self.guards, [key for key in keys if key])

    def narrowed(
        self, defined: Iterable[str], truthy: Iterable[str], present: Iterable[str] = ()
    ) -> _Narrowed:
        """Guards for a branch: keys known defined, truthy and not None inside it."""
        return _Narrowed(
            _Guarded(self.guards, [key for key in defined if key]),
            _Guarded(self.truthy, [key for key in truthy if key]),
            _Guarded(self.present, [key for key in present if key]),
        )

    def is_known(self, guards: list[str], key: str | None) -> bool:
        """Whether a guard proves `key`: itself, or a key under it (`files.0` proves `files`
        non-empty, `plan.summary` proves `plan` not None: reading either needs that)."""
        if key is None or not guards:
            return False
        prefix = key + "."
        return any(guard == key or guard.startswith(prefix) for guard in guards)

    def is_guarded(self, node: nodes.Node) -> bool:
        if not self.guards:
            return False
        key = guard_key(node)
        if key is None:
            return False
        return any(key == guard or key.startswith(guard + ".") for guard in self.guards)

    def report(
        self,
        code: str,
        span: Span,
        message: str,
        fix: Fix | None = None,
        related: tuple[RelatedLocation, ...] = (),
    ) -> None:
        if self.context_only and code not in CONTEXT_CODES:
            return
        self.analysis.diagnostics.append(
            Diagnostic(code, RULES[code].severity, message, self.parsed.name, span, related, fix)
        )

    def visit(self, node: nodes.Node | None) -> None:
        if node is None:
            return
        kind = type(node)
        method = _VISITORS.get(kind) or _visitor_of(kind)
        if method is _leaf:
            return
        self.depth += 1
        if self.depth < _MAX_DEPTH:
            method(self, node)
        self.depth -= 1

    def visit_children(self, node: nodes.Node) -> None:
        self.visit_all(child_nodes(node))

    def visit_Output(self, node: nodes.Output) -> None:
        self.visit_all(node.nodes)

    def visit_all(self, items: Iterable[nodes.Node]) -> None:
        for item in items:
            self.visit(item)

    def define_target(self, target: nodes.Node, kind: TypeInfo, origin: str) -> None:
        if isinstance(target, nodes.Name):
            span = self.parsed.token_span(target)
            self.frame.define(Binding(target.name, kind, origin, span))
        elif isinstance(target, nodes.Tuple | nodes.List):
            for item in target.items:
                self.define_target(item, ANY, origin)
        elif isinstance(target, nodes.NSRef):
            self.read_name(target.name, self._located(target), target)

    def _located(self, node: nodes.Node) -> Token | Span:
        return self.parsed.token_of(node) or self.parsed.span_of(node)

    def visit_Name(self, node: nodes.Name) -> None:
        if node.ctx == "load":
            self.read_name(node.name, self._located(node), node)

    def read_name(self, name: str, where: Token | Span, node: nodes.Node) -> None:
        found = self.frame.lookup(name)
        binding = found.binding
        kind = binding.type if binding else ANY
        self.analysis.references.append(Reference(name, where, kind, binding is not None))
        if self.is_guarded(node):
            return
        if found.lost_at is None and binding is not None and binding.is_certain:
            return
        span = as_span(where)
        if found.lost_at is not None:
            self._report_lost(name, span, found.lost_at)
        elif binding is None:
            self._report_undefined(name, span)
        elif not binding.is_certain:
            self._report_possibly_undefined(binding, span)

    def _report_lost(self, name: str, span: Span, lost_at: Span) -> None:
        line = lost_at.start.line + 1
        message = (
            f"`{name}` is set inside a `for` loop (line {line}) and read after it, but Jinja "
            "discards assignments made in a loop body; use a namespace: "
            f"`{{% set ns = namespace({name}=...) %}}` and `{{% set ns.{name} = ... %}}`"
        )
        related = (RelatedLocation(self.parsed.name, lost_at, "assigned inside the loop here"),)
        self.report("PT011", span, message, related=related)

    def _report_undefined(self, name: str, span: Span) -> None:
        if self.root_scope.is_open:
            self.root.define(Binding(name, ANY, "context"))
            return
        best = suggestion(name, self.frame.visible())
        message = f"undefined variable `{name}`{self._where()}"
        fix = None
        if best:
            message += f"; did you mean `{best}`?"
            fix = Fix(f"Replace with `{best}`", span, best)
        self.report("PT002", span, message, fix, self._related())

    def _where(self) -> str:
        contract = self.root_scope.contract_name
        origin = f" ({contract} contract)" if contract else ""
        if self.root_scope.includer:
            return f" when included from `{self.root_scope.includer}`{origin}"
        return f" (not in the {contract} contract)" if contract else ""

    def _via(self) -> str:
        includer = self.root_scope.includer
        return f" when included from `{includer}`" if includer else ""

    def _related(self) -> tuple[RelatedLocation, ...]:
        site = self.root_scope.include_site
        return (site,) if site else ()

    def _report_possibly_undefined(self, binding: Binding, span: Span) -> None:
        where = f" (line {binding.span.start.line + 1})" if binding.span else ""
        message = f"`{binding.name}` may be undefined here: it is set only on some paths{where}"
        if binding.origin == "contract":
            name = binding.name
            message = (
                f"`{name}` is optional (declared `{name}?`) and may be absent here; read it "
                f"under `{{% if {name} is defined %}}` or as `{name}|default(...)`"
            )
        related: tuple[RelatedLocation, ...] = ()
        if binding.span:
            related = (RelatedLocation(self.parsed.name, binding.span, "conditionally set here"),)
        self.report("PT003", span, message, related=related)

    def visit_Getattr(self, node: nodes.Getattr) -> None:
        self.visit(node.node)
        where = self.parsed.token_of(node)
        self.check_attribute(node, node.attr, where)
        if where is not None:
            self.check_value_use(node, node.node, lambda: where.span)

    def visit_Getitem(self, node: nodes.Getitem) -> None:
        self.visit(node.node)
        self.visit(node.arg)
        self.check_indexing(node)
        key = node.arg
        if isinstance(key, nodes.Const) and isinstance(key.value, str):
            owner = self.type_of(node.node)
            if owner.kind == Kind.OBJECT:
                span = self.parsed.token_span(key) or self.parsed.span_of(node)
                quote = self.parsed.source[self._offset(span)]
                self.check_attribute(node, key.value, span, quote)

    def check_indexing(self, node: nodes.Getitem) -> None:
        """PT017 for a constant index into a list or string that may be empty, PT018 for
        any subscript of a value that may be None."""
        bracket = self.parsed.token_of(node)
        if bracket is None or isinstance(node.arg, nodes.Slice):
            return
        self.check_value_use(node, node.node, lambda: self._closing_bracket(bracket))
        if _constant_index(node.arg) is not None:
            self.check_may_be_empty(node, node.node, lambda: self._closing_bracket(bracket))

    def _closing_bracket(self, opening: Token) -> Span:
        depth, tokens = 0, self.parsed.tokens
        current: Token | None = opening
        while current is not None:
            if current.value in ("[", "("):
                depth += 1
            elif current.value in ("]", ")"):
                depth -= 1
                if depth == 0:
                    return current.span
            elif current.kind in ("variable_end", "block_end"):
                break
            current = tokens.next_token(current)
        return opening.span

    def _spanning(self, operand: nodes.Node, end: Span) -> Span:
        """From the start of `operand`'s leftmost name to `end`: the whole offending
        expression (`files[0]`, `files|first`), on one line or several."""
        leftmost: nodes.Node | None = operand
        while isinstance(leftmost, nodes.Getattr | nodes.Getitem | nodes.Filter | nodes.Test):
            leftmost = leftmost.node
        start = self.parsed.token_span(leftmost) if leftmost is not None else None
        if start is None or start.start > end.start:
            return end
        return Span(start.start, end.end)

    def _text(self, span: Span) -> str:
        return self.parsed.source[self._offset(span) : self._offset(Span(span.end, span.end))]

    def check_may_be_empty(
        self, node: nodes.Node, operand: nodes.Node, end: Callable[[], Span]
    ) -> None:
        """PT017: an element of a list (or string) the contract allows to be empty, read
        without a guard; the result is undefined then, and using it fails the render.
        The range runs from `operand` to `end()` (asked for only when reporting)."""
        owner = self.type_of(operand)
        if owner.kind not in (Kind.LIST, Kind.STR):
            return
        key = _sized_operand_key(operand)
        if key is None or self._is_tolerated(node):
            return
        if self.is_known(self.truthy, key):
            return
        span = self._spanning(operand, end())
        text = self._text(span)
        message = (
            f"`{text}` is undefined when `{key}` is empty (a {owner.name} may be), and the "
            f"render fails; guard it with `{{% if {key} %}}` or add `|default(...)`"
        )
        self.report("PT017", span, message, related=self._related())

    def check_value_use(
        self, node: nodes.Node, operand: nodes.Node, end: Callable[[], Span]
    ) -> None:
        """PT018: an attribute, item or element of an optional value, read where it may be
        None (None has none of them: the render fails). Range as for `check_may_be_empty`."""
        if not self._may_be_none(operand):
            return
        key = guard_key(operand)
        if self._is_tolerated(node):
            return
        if self.is_known(self.truthy, key) or self.is_known(self.present, key):
            return
        span = self._spanning(operand, end())
        inner: nodes.Node | None = operand
        while isinstance(inner, nodes.Filter) and inner.name in _DEFAULT_FILTERS:
            inner = inner.node
        shown = key or (guard_key(inner) if inner is not None else None) or self._text(span)
        message = (
            f"`{shown}` is optional and may be None, so `{self._text(span)}` fails then; "
            f"guard it with `{{% if {shown} %}}` or `{shown} is not none`"
        )
        self.report("PT018", span, message, related=self._related())

    def _is_tolerated(self, node: nodes.Node) -> bool:
        """Whether an undefined result of `node` itself is handled: it is the operand of
        `|default` or `is defined`, or such a test on it encloses it. (A guard on a key
        above it, `files is defined`, says nothing about `files[0]`.)"""
        if id(node) in self.tolerant:
            return True
        key = guard_key(node)
        return key is not None and key in self.guards

    def _may_be_none(self, operand: nodes.Node | None) -> bool:
        if isinstance(operand, nodes.Filter) and operand.name in _DEFAULT_FILTERS:
            # `default` replaces an undefined value, and None only when asked to (`true`).
            boolean = operand.args[1] if len(operand.args) > 1 else None
            for keyword in operand.kwargs:
                if keyword.key == "boolean":
                    boolean = keyword.value
            replaces_none = isinstance(boolean, nodes.Const) and bool(boolean.value)
            return not replaces_none and self._may_be_none(operand.node)
        if isinstance(operand, nodes.Name):
            binding = self.frame.lookup(operand.name).binding
            return binding is not None and binding.may_be_none
        attribute: str | None = None
        if isinstance(operand, nodes.Getattr):
            attribute = operand.attr
        elif isinstance(operand, nodes.Getitem) and isinstance(operand.arg, nodes.Const):
            attribute = str(operand.arg.value)
        if attribute is None or operand is None:
            return False
        owner = self.type_of(getattr(operand, "node", None))
        found = owner.fields.get(attribute) if owner.kind == Kind.OBJECT else None
        return found is not None and found.is_optional

    def _offset(self, span: Span) -> int:
        return self.parsed.tokens.lines.starts[span.start.line] + span.start.column

    def check_attribute(
        self, node: nodes.Node, attribute: str, where: Token | Span | None, quote: str = ""
    ) -> None:
        if where is None:
            return
        owner = self.type_of(getattr(node, "node", None))
        exists = has_attribute(owner, attribute)
        self.analysis.attributes.append(
            AttributeAccess(where, owner, attribute, attribute_type(owner, attribute), exists)
        )
        if exists is not False or self.is_guarded(node):
            return
        span = as_span(where)
        best = suggestion(attribute, attribute_names(owner))
        message = f"`{owner.name}` has no attribute `{attribute}`{self._via()}"
        fix = None
        if best:
            message += f"; did you mean `{best}`?"
            fix = Fix(f"Replace with `{best}`", span, f"{quote}{best}{quote}")
        self.report("PT004", span, message, fix, self._related())

    def visit_Filter(self, node: nodes.Filter) -> None:
        if node.name in _DEFAULT_FILTERS and node.node:
            self.tolerant.add(id(node.node))
            with self.guarded([guard_key(node.node) or ""]):
                self.visit(node.node)
        else:
            self.visit(node.node)
        self.check_name("PT005", "filter", node, self.vocabulary.filters)
        if node.node is not None and node.name in _VALUE_FILTERS | _EMPTY_UNDEFINED_FILTERS:
            self.check_value_use(node, node.node, lambda: self.parsed.span_of(node))
            if node.name in _EMPTY_UNDEFINED_FILTERS:
                self.check_may_be_empty(node, node.node, lambda: self.parsed.span_of(node))
        self.visit_all([*node.args, *node.kwargs, node.dyn_args, node.dyn_kwargs])  # type: ignore[list-item]

    def visit_Test(self, node: nodes.Test) -> None:
        if node.name in ("defined", "undefined"):
            self.tolerant.add(id(node.node))
            with self.guarded([guard_key(node.node) or ""]):
                self.visit(node.node)
        else:
            self.visit(node.node)
        self.check_name("PT006", "test", node, self.vocabulary.tests)
        self.visit_all([*node.args, *node.kwargs, node.dyn_args, node.dyn_kwargs])  # type: ignore[list-item]

    def check_name(
        self, code: str, what: str, node: nodes.Filter | nodes.Test, known: frozenset[str]
    ) -> None:
        if node.name in known:
            return
        span = self.parsed.span_of(node)
        best = suggestion(node.name, known)
        message = f"unknown {what} `{node.name}`"
        fix = None
        if best:
            message += f"; did you mean `{best}`?"
            fix = Fix(f"Replace with `{best}`", span, best)
        self.report(code, span, message, fix)

    def visit_And(self, node: nodes.And) -> None:
        self.visit(node.left)
        with self.narrowed(
            defined_guards(node.left)[0],
            truthy_guards(node.left)[0],
            present_guards(node.left)[0],
        ):
            self.visit(node.right)

    def visit_Or(self, node: nodes.Or) -> None:
        self.visit(node.left)
        with self.narrowed(
            defined_guards(node.left)[1],
            truthy_guards(node.left)[1],
            present_guards(node.left)[1],
        ):
            self.visit(node.right)

    def visit_CondExpr(self, node: nodes.CondExpr) -> None:
        self.visit(node.test)
        when_true, when_false = defined_guards(node.test)
        truthy_true, truthy_false = truthy_guards(node.test)
        present_true, present_false = present_guards(node.test)
        with self.narrowed(when_true, truthy_true, present_true):
            self.visit(node.expr1)
        with self.narrowed(when_false, truthy_false, present_false):
            self.visit(node.expr2)

    def visit_If(self, node: nodes.If) -> None:
        branches: list[Frame] = []
        known: list[frozenset[str]] = []
        negative = _Facts()
        for current in [node, *node.elif_]:
            with negative.apply(self):
                self.visit(current.test)
            when_true, when_false = _Facts.of(current.test)
            branches.append(self._branch(current.body, negative | when_true))
            known.append(negative.checked | when_true.checked)
            negative = negative | when_false
        if node.else_:
            branches.append(self._branch(node.else_, negative))
        known.append(negative.checked)
        merge_branches(self.frame, branches, is_exhaustive=bool(node.else_), known=known)

    def _branch(self, body: list[nodes.Node], facts: _Facts) -> Frame:
        frame = Frame("branch", self.frame)
        with self.in_frame(frame), facts.apply(self):
            self.visit_all(body)
        return frame

    def visit_For(self, node: nodes.For) -> None:
        self.visit(node.iter)
        iterated = node.iter
        self.check_value_use(node, iterated, lambda: self.parsed.span_of(iterated))
        item_type = element_type(self.type_of(node.iter))
        body = self._new_frame("loop", self.frame, node)
        # Inside the body the iterated value has at least one element.
        with self.in_frame(body), self.narrowed((), [_sized_operand_key(node.iter) or ""]):
            self.define_target(node.target, item_type, "loop")
            self.visit(node.test)
            self.frame.define(Binding("loop", LOOP, "loop", doc=LOOP.doc))
            self.visit_all(node.body)
        otherwise = Frame("loop-else", self.frame)
        with self.in_frame(otherwise):
            self.visit_all(node.else_)
        for name, binding in body.bindings.items():
            if binding.origin == "set" and binding.span is not None:
                self.frame.lost[name] = binding.span

    def visit_Break(self, node: nodes.Break) -> None:
        self._loop_control(node, "break")

    def visit_Continue(self, node: nodes.Continue) -> None:
        self._loop_control(node, "continue")

    def _loop_control(self, node: nodes.Node, word: str) -> None:
        """Jinja parses `{% break %}` anywhere and compiles it to Python's `break`, which
        outside a loop of the same function (a macro, call or block body is one) fails the
        whole template at compile time, when it is first rendered."""
        frame: Frame | None = self.frame
        while frame is not None and frame.kind not in _FUNCTION_FRAMES:
            if frame.kind == "loop":
                return
            frame = frame.parent
        where = "outside a loop" if frame is None else f"outside a loop of its {frame.kind}"
        message = f"{{% {word} %}} {where}: the template would fail to render"
        self.report("PT001", self.parsed.span_of(node), message)

    def visit_Assign(self, node: nodes.Assign) -> None:
        self.visit(node.node)
        self.define_target(node.target, self.type_of(node.node), "set")

    def visit_AssignBlock(self, node: nodes.AssignBlock) -> None:
        self.visit_all(node.body)
        self.visit(node.filter)
        self.define_target(node.target, TypeInfo(Kind.STR, "str"), "set")

    def visit_With(self, node: nodes.With) -> None:
        values = [self.type_of(value) for value in node.values]
        self.visit_all(node.values)
        frame = self._new_frame("with", self.frame, node)
        with self.in_frame(frame):
            for target, kind in zip(node.targets, values, strict=False):
                self.define_target(target, kind, "with")
            self.visit_all(node.body)

    def visit_Macro(self, node: nodes.Macro) -> None:
        self.frame.define(Binding(node.name, ANY, "macro", self.parsed.token_span(node)))
        frame = self._new_frame("macro", self.frame, node)
        frame.late = frozenset(self.parsed.toplevel_names)
        implicit = ("varargs", "kwargs", "caller")
        self._macro_body(frame, node.args, node.defaults, node.body, implicit)

    def _macro_body(
        self,
        frame: Frame,
        args: list[nodes.Name],
        defaults: list[nodes.Expr],
        body: list[nodes.Node],
        implicit: tuple[str, ...],
    ) -> None:
        """Arguments bind in order; a default sees the arguments before it (as Jinja does)."""
        first_default = len(args) - len(defaults)
        with self.in_frame(frame):
            for name in implicit:
                frame.define(Binding(name, ANY, "argument"))
            for position, arg in enumerate(args):
                if position >= first_default:
                    self.visit(defaults[position - first_default])
                self.define_target(arg, ANY, "argument")
            self.visit_all(body)

    def visit_CallBlock(self, node: nodes.CallBlock) -> None:
        self.visit(node.call)
        frame = self._new_frame("call", self.frame, node)
        self._macro_body(frame, node.args, node.defaults, node.body, implicit=())

    def visit_Block(self, node: nodes.Block) -> None:
        parent = self.frame if node.scoped else self.root
        frame = self._new_frame("block", parent, node)
        frame.late = frozenset(self.parsed.toplevel_names)
        with self.in_frame(frame):
            frame.define(Binding("super", ANY, "global", doc="The parent template's block."))
            self.visit_all(node.body)

    def visit_Include(self, node: nodes.Include) -> None:
        self.visit(node.template)
        self.analysis.include_scopes[id(node)] = self.frame.visible()
        self.analysis.include_facts[id(node)] = GuardFacts(
            frozenset(self.guards), frozenset(self.truthy), frozenset(self.present)
        )

    def visit_Import(self, node: nodes.Import) -> None:
        self.visit(node.template)
        span = self.parsed.tag_name_span(node, node.target)
        self.frame.define(Binding(node.target, ANY, "import", span))

    def visit_FromImport(self, node: nodes.FromImport) -> None:
        self.visit(node.template)
        for item in node.names:
            alias = item[1] if isinstance(item, tuple) else item
            self.frame.define(Binding(alias, ANY, "import"))

    def visit_FilterBlock(self, node: nodes.FilterBlock) -> None:
        self.visit(node.filter)
        self.visit_all(node.body)


class _InFrame:
    """Makes `frame` the checker's current frame for a `with` body (a plain class: the
    checker enters thousands of these per template, and a generator-based one costs more)."""

    __slots__ = ("_checker", "_frame", "_saved")

    def __init__(self, checker: _Checker, frame: Frame) -> None:
        self._checker, self._frame = checker, frame

    def __enter__(self) -> Frame:
        self._saved, self._checker.frame = self._checker.frame, self._frame
        return self._frame

    def __exit__(self, *_: object) -> None:
        self._checker.frame = self._saved


@dataclass(frozen=True)
class _Facts:
    """What an `if` test proves on one path: keys defined, truthy, not None, and the names
    known defined for merging the branches' assignments (`checked_names`)."""

    defined: frozenset[str] = frozenset()
    truthy: frozenset[str] = frozenset()
    present: frozenset[str] = frozenset()
    checked: frozenset[str] = frozenset()

    @classmethod
    def of(cls, test: nodes.Node) -> tuple[_Facts, _Facts]:
        """The facts when `test` is true, and when it is false."""
        defined, truthy = defined_guards(test), truthy_guards(test)
        present, checked = present_guards(test), checked_names(test)
        return cls(*(frozenset(item[0]) for item in (defined, truthy, present, checked))), cls(
            *(frozenset(item[1]) for item in (defined, truthy, present, checked))
        )

    def __or__(self, other: _Facts) -> _Facts:
        return _Facts(
            self.defined | other.defined,
            self.truthy | other.truthy,
            self.present | other.present,
            self.checked | other.checked,
        )

    def apply(self, checker: _Checker) -> _Narrowed:
        return checker.narrowed(self.defined, self.truthy, self.present)


class _Narrowed:
    """Several `_Guarded` at once (defined, truthy and present keys of one branch)."""

    __slots__ = ("_parts",)

    def __init__(self, *parts: _Guarded) -> None:
        self._parts = parts

    def __enter__(self) -> None:
        return None

    def __exit__(self, *_: object) -> None:
        for part in reversed(self._parts):
            part.__exit__()


def _constant_index(node: nodes.Node) -> int | None:
    """The integer a subscript names when it is a literal (`[0]`, `[-1]`), else None."""
    if isinstance(node, nodes.Const) and type(node.value) is int:
        return int(node.value)
    if isinstance(node, nodes.Neg) and isinstance(node.node, nodes.Const):
        inner = node.node.value
        return -inner if type(inner) is int else None
    return None


def _sized_operand_key(node: nodes.Node | None) -> str | None:
    """The guard key of the value whose size decides emptiness: `files` for `files`,
    `files|sort` and `files|map(...)` (filters that keep the number of elements)."""
    while isinstance(node, nodes.Filter) and node.name in _SIZE_KEEPING_FILTERS:
        node = node.node
    return guard_key(node) if node is not None else None


class _Guarded:
    """Adds `defined` guard keys for a `with` body."""

    __slots__ = ("_added", "_guards")

    def __init__(self, guards: list[str], added: list[str]) -> None:
        self._guards, self._added = guards, len(added)
        guards.extend(added)

    def __enter__(self) -> None:
        return None

    def __exit__(self, *_: object) -> None:
        if self._added:
            del self._guards[len(self._guards) - self._added :]


Visitor = Callable[[_Checker, Any], None]
_VISITORS: dict[type[nodes.Node], Visitor] = {}


def _leaf(checker: _Checker, node: nodes.Node) -> None:
    """Constants and template text: nothing to read, nothing to bind."""


_FUNCTION_FRAMES = frozenset({"macro", "call", "block"})
"""Frames Jinja compiles to a function of their own: a loop outside them is not theirs."""


def _visitor_of(kind: type[nodes.Node]) -> Visitor:
    """The `visit_<Type>` method for a node type, else a walk of its children; looked up
    once per type instead of once per node."""
    if kind in (nodes.Const, nodes.TemplateData):
        method: Visitor = _leaf
    else:
        method = getattr(_Checker, f"visit_{kind.__name__}", _Checker.visit_children)
    _VISITORS[kind] = method
    return method


def _shared_statements(old: ParsedTemplate, new: ParsedTemplate, limit: int) -> int:
    """How many leading top-level statements two parses share as the same objects, when
    nothing else the checker reads of the template differs (the names macros and blocks
    see at the top level)."""
    if old.ast is None or new.ast is None or old.toplevel_names != new.toplevel_names:
        return 0
    shared = 0
    for before, after in zip(old.ast.body[:limit], new.ast.body, strict=False):
        if before is not after:
            break
        shared += 1
    return shared


def _reparented(frames: list[Frame], old_root: Frame, new_root: Frame) -> list[Frame]:
    """Copies of `frames` (and of the unlisted branch frames between them and the root)
    whose parent chain ends at `new_root`; the earlier analysis keeps its own frames."""
    copies: dict[int, Frame] = {id(old_root): new_root}
    for frame in frames:
        chain: list[Frame] = []
        current: Frame | None = frame
        while current is not None and id(current) not in copies:
            chain.append(current)
            current = current.parent
        parent = copies[id(current)] if current is not None else None
        for item in reversed(chain):
            parent = copies[id(item)] = replace(item, parent=parent)
    return [copies[id(frame)] for frame in frames]
