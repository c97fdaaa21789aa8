"""The analyser's public entry point: a set of templates checked together.

The linter, `templates publish` and the language server all go through `Workspace`, so
they can never disagree. It holds template sources by name, asks an external
`TemplateSource` (files under the roots, published templates) for names it does not hold,
and returns diagnostics per template.

Which contract a template is checked against, first match wins and later ones extend it:
1. `AnalysisConfig.phase` (forced, e.g. `lint --phase`), else the header's `phase=`, else
   the path convention (`contracts.phase_from_path`), gives a phase contract;
   `contracts_by_glob` (first matching glob) replaces it when it matches;
2. header `vars` extend that contract (or form one of their own).
A template with no contract is checked without undefined-name errors (any name may come from
the renderer), except through its includers: a partial is checked against the scope at
every include of it, and a name missing there is reported at the partial, naming the
includer.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from prompt_tool.analysis.checks import RootScope, TemplateAnalysis, Vocabulary, check_template
from prompt_tool.analysis.contracts import builtin_contracts, select_contract
from prompt_tool.analysis.diagnostics import Diagnostic, RelatedLocation, Severity, Span
from prompt_tool.analysis.document import DocumentModel
from prompt_tool.analysis.facts import TemplateFacts, facts_of
from prompt_tool.analysis.include_checks import (
    TemplateLookup,
    closest_name,
    cycle_diagnostics,
    include_diagnostics,
)
from prompt_tool.analysis.includes import Edge, IncludeGraph
from prompt_tool.analysis.incremental import parse_edited
from prompt_tool.analysis.parsing import IncludeRef, ParsedTemplate, parse_template, split_pin
from prompt_tool.analysis.readable import decode_template
from prompt_tool.analysis.typeinfo import Contract, FieldInfo, TypeInfo
from prompt_tool.core.contract import PARTIAL
from prompt_tool.core.errors import ConfigError
from prompt_tool.core.templating import TemplateEngine

MAX_INCLUDER_CONTEXTS = 16
ANALYSES_PER_TEMPLATE = 2 * MAX_INCLUDER_CONTEXTS + 2
"""Analyses kept per template: one per slot it is checked in (its own or the open root,
each includer's context, full and context-only), least recently used dropped first. Keyed
by template and slot, never by version: an edit replaces its template's analysis."""


class TemplateSource(Protocol):
    """Templates the workspace does not hold itself: workspace files, the database.

    A source that knows versions may also offer `has_pin(name, pin) -> bool`; then an
    include pinned with `@3` or `@production` that the source denies is reported (PT015).
    """

    def get_source(self, name: str) -> str | None:
        """The source of template `name`, or None when it does not exist."""

    def list_names(self) -> Iterable[str]:
        """Every template name this source can serve (for completion and partial checks)."""


class TypeResolver(Protocol):
    """Turns a type expression from a header or config (`list[str]`, `pkg.mod:Name`) into a type."""

    def resolve(self, expression: str) -> TypeInfo:
        """The type `expression` names; raise or return Any when it cannot be resolved."""


@dataclass(frozen=True)
class AnalysisConfig:
    """Settings that change what the analyser reports.

    `contracts` maps a phase name to its contract and overrides the built-in one (for
    example a contract extended with a project's variables); `contracts_by_glob` maps a
    template-name glob to the contract of templates rendered by other code; `phase` forces
    every template into one phase.
    """

    disabled_codes: frozenset[str] = frozenset()
    extra_globals: frozenset[str] = frozenset()
    extra_filters: frozenset[str] = frozenset()
    extra_tests: frozenset[str] = frozenset()
    extensions: tuple[str, ...] = ()
    contracts: dict[str, Contract] = field(default_factory=dict)
    contracts_by_glob: Mapping[str, Contract] = field(default_factory=dict)
    phase: str | None = None
    type_resolver: TypeResolver | None = None
    use_builtin_contracts: bool = True
    engine: TemplateEngine | None = field(default=None, compare=False)
    """The environment that renders (filters, tests, globals, extensions), built by the
    checking service; None means the product's plain `TemplateEngine` with `extensions`."""


def _builtin_contracts(config: AnalysisConfig) -> dict[str, Contract]:
    contracts: dict[str, Contract] = {}
    if config.use_builtin_contracts:
        contracts.update(builtin_contracts())
    contracts.update(config.contracts)
    return contracts


def _engine(config: AnalysisConfig) -> TemplateEngine:
    try:
        return TemplateEngine(extensions=config.extensions)
    except Exception as error:
        names = ", ".join(config.extensions)
        raise ConfigError(f"cannot load Jinja extensions ({names}): {error}") from None


class Workspace:
    """Templates checked together, so that includes, cycles and partials are seen whole."""

    def __init__(
        self, config: AnalysisConfig | None = None, external: TemplateSource | None = None
    ):
        self.config = config or AnalysisConfig()
        self.external = external
        self.engine = self.config.engine or _engine(self.config)
        self.environment = self.engine.environment
        self.vocabulary = Vocabulary(
            self.engine.filter_names() | self.config.extra_filters,
            self.engine.test_names() | self.config.extra_tests,
        )
        self.globals = self.engine.global_names() | self.config.extra_globals
        self.phase_contracts = _builtin_contracts(self.config)
        known = sorted(set(self.phase_contracts) | {PARTIAL})
        if self.config.phase is not None and self.config.phase not in known:
            raise ConfigError(
                f"unknown phase {self.config.phase!r}; known phases: {', '.join(known)}"
            )
        self._documents: dict[str, ParsedTemplate] = {}
        self._unreadable: dict[str, Diagnostic] = {}
        self._external: dict[str, ParsedTemplate | None] = {}
        self._graph: IncludeGraph | None = None
        self._graph_nodes: set[str] = set()
        self._analyses: dict[str, dict[tuple[Any, ...], _Kept]] = {}
        """Per template, per slot (the includer and site it is rendered from, or its own
        root; context-only or not), the last analysis made: reused while the text and the
        root are the same, resumed from when only the text changed."""
        self._contexts: dict[str, list[RootScope]] = {}
        """Per template, the scopes its includers render it in; valid until a template
        changes (each query would otherwise walk every includer chain again)."""
        self._external_names: list[str] | None = None
        self._names: list[str] | None = None
        self._suggestions: dict[str, str | None] = {}

    def set_document(self, name: str, source: str) -> set[str]:
        """Add or replace a template; returns the names whose diagnostics may have changed."""
        before = self._affected(name)
        self._unreadable.pop(name, None)
        current = self._documents.get(name)
        if current is None:
            self._names = None
        if current is None or current.source != source or current.name != name:
            self._documents[name] = self._parse(name, source, current)
            self._contexts.clear()
            self._update_graph(name)
        return before | self._affected(name)

    def set_documents(self, sources: Mapping[str, str]) -> None:
        """Add or replace many templates at once (a lint run, a server start). Unlike
        `set_document` it reports no affected names, so loading a chain of thousands of
        templates does not walk the graph once per template; the graph is rebuilt once,
        when next asked."""
        for name, source in sources.items():
            self._unreadable.pop(name, None)
            current = self._documents.get(name)
            if current is None or current.source != source:
                self._documents[name] = self._parse(name, source, current)
        self._contexts.clear()
        self._names = None
        self._graph = None

    def set_document_bytes(self, name: str, data: bytes) -> set[str]:
        """Add a template read as bytes; undecodable or binary data becomes a PT014 finding."""
        text, problem = decode_template(data)
        if problem is None and text is not None:
            return self.set_document(name, text)
        affected = self.remove_document(name)
        self._unreadable[name] = (
            problem.diagnostic(name)
            if problem is not None
            else Diagnostic("PT014", Severity.ERROR, "unreadable", name, Span.at(0, 0))
        )
        return affected

    def remove_document(self, name: str) -> set[str]:
        """Forget a template; returns the names whose diagnostics may have changed."""
        affected = self._affected(name)
        self._unreadable.pop(name, None)
        self._analyses.pop(name, None)
        self._contexts.clear()
        if self._documents.pop(name, None) is not None:
            self._graph = None
            self._names = None
        return affected | self._affected(name)

    def invalidate_external(self) -> None:
        """Forget what the external source answered (files changed on disk, a new publish)."""
        self._external.clear()
        self._contexts.clear()
        self._external_names = None
        self._names = None
        self._graph = None

    def names(self) -> list[str]:
        return sorted(set(self._documents) | set(self._unreadable))

    def parsed(self, name: str) -> ParsedTemplate | None:
        """The parsed template held under `name`, or fetched from the external source."""
        return self._documents.get(name) or self._fetch(name)

    def document(self, name: str) -> DocumentModel | None:
        """The language server's model of template `name`: references, scopes, includes.

        Typed by the template's own contract, else by the scope of its first includer (a
        partial then knows that `f` is a FileInfo), else untyped.
        """
        parsed = self._documents.get(name)
        if parsed is None:
            return None
        root = self._own_root(parsed) or next(iter(self._includer_roots(name)), None)
        root = root or self._open_root()
        analysis = self._analyse(parsed, root) if parsed.ast is not None else None
        return DocumentModel(parsed, root, analysis)

    def contract_for(self, name: str) -> Contract | None:
        """The contract template `name` is checked against on its own, if any."""
        parsed = self.parsed(name)
        return self._own_contract(parsed) if parsed else None

    def facts(self, name: str) -> TemplateFacts:
        """The variables template `name` reads from its context and the templates it names."""
        parsed = self.parsed(name)
        if parsed is None:
            return TemplateFacts()
        analysis = self._analyse(parsed, self._open_root()) if parsed.ast is not None else None
        return facts_of(parsed, analysis)

    def diagnostics(self, name: str) -> list[Diagnostic]:
        """Every finding for template `name`, sorted by position; never raises."""
        if name in self._unreadable:
            unreadable = self._unreadable[name]
            return [] if unreadable.code in self.config.disabled_codes else [unreadable]
        parsed = self._documents.get(name)
        if parsed is None:
            return []
        try:
            found = self._collect(parsed)
        except RecursionError:
            found = [self._too_deep(parsed)]
        return self._finish(parsed, found)

    def _collect(self, parsed: ParsedTemplate) -> list[Diagnostic]:
        found = self._header_diagnostics(parsed)
        if parsed.ast is None:
            error = parsed.syntax_error
            message = error.message if error and error.message else "syntax error"
            if message.startswith("Encountered unknown tag"):
                message += " If a Jinja extension provides it, configure that extension."
            span = parsed.syntax_span or Span.at(0, 0)
            return [*found, Diagnostic("PT001", Severity.ERROR, message, parsed.name, span)]
        own = self._own_root(parsed)
        found += self._analyse(parsed, own or self._open_root()).diagnostics
        reported = {(item.code, item.span) for item in found}
        for root in self._includer_roots(parsed.name):
            extra = self._analyse(parsed, root, context_only=True).diagnostics
            found += [item for item in extra if (item.code, item.span) not in reported]
        found += include_diagnostics(parsed, self._lookup())
        found += cycle_diagnostics(parsed, self.graph().cycle_of(parsed.name), self._assigned_names)
        return found

    def _assigned_names(self, name: str) -> frozenset[str] | None:
        parsed = self.parsed(name)
        return parsed.assigned_names if parsed is not None and parsed.ast is not None else None

    def _finish(self, parsed: ParsedTemplate, found: list[Diagnostic]) -> list[Diagnostic]:
        result: dict[tuple[object, ...], Diagnostic] = {}
        for item in found:
            if item.code in self.config.disabled_codes:
                continue
            if parsed.suppressions.is_suppressed(item.code, item.span.start.line):
                continue
            result.setdefault((item.code, item.span, item.message), item)
        return sorted(result.values(), key=lambda item: (item.span, item.code, item.message))

    def _too_deep(self, parsed: ParsedTemplate) -> Diagnostic:
        message = "the template nests too deeply to analyse"
        return Diagnostic("PT001", Severity.ERROR, message, parsed.name, Span.at(0, 0))

    def _parse(
        self, name: str, source: str, previous: ParsedTemplate | None = None
    ) -> ParsedTemplate:
        if previous is not None and previous.name == name:
            return parse_edited(self.environment, previous, source)
        return parse_template(self.environment, name, source)

    def _fetch(self, name: str) -> ParsedTemplate | None:
        if name in self._external:
            return self._external[name]
        source: str | None = None
        if self.external is not None:
            try:
                source = self.external.get_source(name)
            except Exception:
                source = None
        parsed = self._parse(name, source) if isinstance(source, str) else None
        self._external[name] = parsed
        return parsed

    def _exists(self, name: str) -> bool:
        if name in self._documents or name in self._unreadable:
            return True
        if self._fetch(name) is not None:
            return True
        base, pin = split_pin(name)
        return pin is not None and (base in self._documents or self._fetch(base) is not None)

    def template_names(self) -> list[str]:
        """Every template name known here: held documents and the external source's names."""
        return self._known_names()

    def _known_names(self) -> list[str]:
        """Sorted, and computed again only when a template appears or disappears."""
        if self._names is None:
            if self._external_names is None:
                names: list[str] = []
                if self.external is not None:
                    try:
                        names = [str(item) for item in self.external.list_names()]
                    except Exception:
                        names = []
                self._external_names = names
            self._names = sorted(set(self._documents) | set(self._external_names))
            self._suggestions.clear()
        return self._names

    def _suggest_template(self, target: str) -> str | None:
        """ "Did you mean" for a missing include, remembered until the known names change:
        re-analysing on every keystroke must not search thousands of names each time."""
        names = self._known_names()
        if target not in self._suggestions:
            self._suggestions[target] = closest_name(target, names)
        return self._suggestions[target]

    def graph(self) -> IncludeGraph:
        """The include graph over held templates and the external templates they reach."""
        if self._graph is None:
            self._graph = IncludeGraph(self._edges())
        return self._graph

    def _edges(self) -> list[Edge]:
        edges: list[Edge] = []
        self._graph_nodes = set()
        pending = list(self._documents)
        while pending:
            name = pending.pop()
            if name in self._graph_nodes:
                continue
            self._graph_nodes.add(name)
            outgoing = self._edges_from(name)
            edges += outgoing
            pending += [edge.target for edge in outgoing]
        return edges

    def _edges_from(self, name: str) -> list[Edge]:
        parsed = self.parsed(name)
        if parsed is None:
            return []
        return [
            Edge(name, target, ref)
            for ref in parsed.includes
            for target in dict.fromkeys(ref.targets)
        ]

    def _update_graph(self, name: str) -> None:
        """Replace one template's edges instead of rebuilding the graph: linear batches."""
        if self._graph is None:
            return
        pending = [name]
        while pending:
            current = pending.pop()
            outgoing = self._edges_from(current)
            self._graph.replace_edges(current, outgoing)
            self._graph_nodes.add(current)
            pending += [edge.target for edge in outgoing if edge.target not in self._graph_nodes]

    def _affected(self, name: str) -> set[str]:
        graph = self.graph()
        related = (
            {name} | graph.reachable(name, forward=True) | graph.reachable(name, forward=False)
        )
        return {item for item in related if item in self._documents or item == name}

    def _own_contract(self, parsed: ParsedTemplate) -> Contract | None:
        return select_contract(parsed, self.config, self.phase_contracts, self._resolve)

    def _resolve(self, expression: str) -> TypeInfo | None:
        resolver = self.config.type_resolver
        if resolver is None:
            return None
        try:
            return resolver.resolve(expression)
        except Exception:
            return None

    def _own_root(self, parsed: ParsedTemplate) -> RootScope | None:
        contract = self._own_contract(parsed)
        if contract is None:
            return None
        return RootScope(contract.variables, self.globals, contract_name=contract.name)

    def _open_root(self) -> RootScope:
        return RootScope({}, self.globals, is_open=True)

    def _analyse(
        self, parsed: ParsedTemplate, root: RootScope, context_only: bool = False
    ) -> TemplateAnalysis:
        fingerprint = _fingerprint(root)
        slot = (root.includer, root.include_site, root.contract_name, root.is_open, context_only)
        kept = self._analyses.setdefault(parsed.name, {})
        previous = kept.pop(slot, None)
        if previous is not None and previous.fingerprint == fingerprint:
            if previous.digest == parsed.digest:
                kept[slot] = previous
                return previous.analysis
            resume: tuple[ParsedTemplate, TemplateAnalysis] | None = (
                previous.parsed,
                previous.analysis,
            )
        else:
            resume = None
        analysis = check_template(
            parsed, root, self.vocabulary, context_only=context_only, previous=resume
        )
        kept[slot] = _Kept(fingerprint, parsed.digest, parsed, analysis)
        while len(kept) > ANALYSES_PER_TEMPLATE:
            del kept[next(iter(kept))]
        return analysis

    def _includer_roots(self, name: str) -> list[RootScope]:
        """The scopes `name` is rendered in by each template that includes or extends it.

        Walked with an explicit stack, not recursion, so that include chains thousands of
        templates deep neither exhaust Python's stack nor cost a walk per template: each
        template's scopes are computed once until a template changes. An includer already
        on the walked path (a cycle) adds no scope; at most MAX_INCLUDER_CONTEXTS scopes are
        returned.
        """
        if name in self._contexts:
            return self._contexts[name]
        stack = [_ContextWalk(name, self.graph().includers(name))]
        on_path = {name}
        found: list[RootScope] = []
        while stack:
            walk = stack[-1]
            if walk.waiting is not None:
                includer, ref = walk.waiting
                walk.waiting = None
                walk.add([self._root_at(includer, outer, ref) for outer in found])
            step = walk.next_includer(self._documents)
            if step is not None:
                includer, ref = step
                own = self._own_root(includer)
                if own is not None:
                    walk.add([self._root_at(includer, own, ref)])
                elif includer.name in self._contexts:
                    outers = self._contexts[includer.name]
                    walk.add([self._root_at(includer, outer, ref) for outer in outers])
                elif includer.name not in on_path:
                    walk.waiting = (includer, ref)
                    on_path.add(includer.name)
                    stack.append(_ContextWalk(includer.name, self.graph().includers(includer.name)))
                continue
            stack.pop()
            on_path.discard(walk.name)
            found = self._contexts[walk.name] = walk.roots
        return found

    def _root_at(self, includer: ParsedTemplate, outer: RootScope, ref: IncludeRef) -> RootScope:
        analysis = self._analyse(includer, outer)
        if ref.kind == "include" and not getattr(ref.node, "with_context", True):
            visible = {}
        elif ref.kind == "include":
            visible = analysis.include_scopes.get(id(ref.node), {})
        else:
            visible = analysis.frames[0].visible() if analysis.frames else {}
        variables = {
            name: FieldInfo(
                name,
                binding.type,
                binding.doc,
                is_optional=binding.may_be_none,
                may_be_absent=binding.origin == "contract" and not binding.is_certain,
            )
            for name, binding in visible.items()
            if binding.origin != "global"
        }
        site = RelatedLocation(includer.name, ref.span, f"included here by {includer.name}")
        facts = analysis.include_facts.get(id(ref.node)) if ref.kind == "include" else None
        return RootScope(
            variables, self.globals, False, outer.contract_name, includer.name, site, facts
        )

    def _header_diagnostics(self, parsed: ParsedTemplate) -> list[Diagnostic]:
        header = parsed.header
        found = [
            Diagnostic("PT013", Severity.ERROR, error.message, parsed.name, error.span)
            for error in header.errors
        ]
        known = set(self.phase_contracts) | {PARTIAL}
        if header.phase is not None and header.phase not in known and header.phase_span:
            message = f"unknown phase `{header.phase}`; known phases: {', '.join(sorted(known))}"
            found.append(
                Diagnostic("PT012", Severity.ERROR, message, parsed.name, header.phase_span)
            )
        return found

    def _lookup(self) -> TemplateLookup:
        has_pin = getattr(self.external, "has_pin", None)
        return TemplateLookup(
            self._exists, self._suggest_template, has_pin if callable(has_pin) else None
        )


@dataclass(frozen=True)
class _Kept:
    """One analysis kept for reuse: the root and text it was made from, and its parse."""

    fingerprint: tuple[Any, ...]
    digest: str
    parsed: ParsedTemplate
    analysis: TemplateAnalysis


@dataclass
class _ContextWalk:
    """One template on the includer walk's stack: its includer edges still to visit, the
    scopes found so far, and the includer whose own scopes are being computed above it."""

    name: str
    edges: list[Edge]
    roots: list[RootScope] = field(default_factory=list)
    position: int = 0
    waiting: tuple[ParsedTemplate, IncludeRef] | None = None

    def add(self, roots: list[RootScope]) -> None:
        self.roots.extend(roots[: MAX_INCLUDER_CONTEXTS - len(self.roots)])

    def next_includer(
        self, documents: Mapping[str, ParsedTemplate]
    ) -> tuple[ParsedTemplate, IncludeRef] | None:
        """The next held, parsed template that includes or extends this one; None when
        there is none left or enough scopes were found."""
        while self.position < len(self.edges) and len(self.roots) < MAX_INCLUDER_CONTEXTS:
            edge = self.edges[self.position]
            self.position += 1
            includer = documents.get(edge.source)
            if (
                includer is not None
                and includer.ast is not None
                and edge.ref.kind in ("include", "extends")
            ):
                return includer, edge.ref
        return None


def _fingerprint(root: RootScope) -> tuple[Any, ...]:
    names = tuple(
        sorted(
            (name, id(info.type), info.is_optional, info.may_be_absent)
            for name, info in root.variables.items()
        )
    )
    return (names, root.is_open, root.contract_name, root.includer, root.include_site, root.facts)
