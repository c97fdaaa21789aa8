"""Parse a template once and record what later passes need: AST, node spans, references.

`parse_template` never raises: a syntax error becomes part of the result. Node spans are
assigned by walking the AST in source order and handing each node the next matching token
on its line (see `positions.Cursor`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field

from jinja2 import Environment, TemplateSyntaxError, nodes

from prompt_tool.analysis.diagnostics import Span
from prompt_tool.analysis.header import Suppressions, TemplateHeader, read_directives
from prompt_tool.analysis.positions import (
    BlockRegion,
    Cursor,
    Token,
    TokenIndex,
    normalise_newlines,
)

INCLUDE_KINDS: dict[type[nodes.Node], str] = {
    nodes.Include: "include",
    nodes.Extends: "extends",
    nodes.Import: "import",
    nodes.FromImport: "from",
}
_TAGS: dict[type[nodes.Node], str] = {
    nodes.For: "for",
    nodes.If: "if",
    nodes.Macro: "macro",
    nodes.CallBlock: "call",
    nodes.Block: "block",
    nodes.With: "with",
    nodes.FilterBlock: "filter",
    nodes.AssignBlock: "set",
    nodes.Assign: "set",
    nodes.Include: "include",
    nodes.Extends: "extends",
    nodes.Import: "import",
    nodes.FromImport: "from",
}
_CONDITIONAL = (nodes.If, nodes.For, nodes.CondExpr, nodes.Macro, nodes.CallBlock)


def split_pin(name: str) -> tuple[str, str | None]:
    """`partials/a.j2@production` → (`partials/a.j2`, `production`); `@3` pins a version."""
    base, at, pin = name.rpartition("@")
    if at and base and pin and "/" not in pin:
        return base, pin
    return name, None


@dataclass(frozen=True)
class IncludeRef:
    """One include/extends/import/from statement; `names` empty means a dynamic target."""

    kind: str
    names: tuple[str, ...]
    span: Span
    ignore_missing: bool
    is_conditional: bool
    node: nodes.Node = field(compare=False, repr=False)

    @property
    def name(self) -> str | None:
        return self.names[0] if len(self.names) == 1 else None

    @property
    def targets(self) -> tuple[str, ...]:
        """The template names to look up, pins removed."""
        return tuple(split_pin(name)[0] for name in self.names)

    @property
    def pin(self) -> str | None:
        return split_pin(self.names[0])[1] if len(self.names) == 1 else None


@dataclass(frozen=True)
class MacroInfo:
    """A macro definition: its name span and its parameters."""

    name: str
    span: Span
    args: tuple[str, ...]
    defaults: int


@dataclass(frozen=True)
class BlockInfo:
    """A `{% block %}` definition."""

    name: str
    span: Span
    is_scoped: bool


@dataclass
class ParsedTemplate:
    """A template's source parsed once: the raw material of every check and LSP feature."""

    name: str
    source: str
    digest: str
    tokens: TokenIndex
    header: TemplateHeader
    suppressions: Suppressions
    ast: nodes.Template | None = None
    syntax_error: TemplateSyntaxError | None = None
    syntax_span: Span | None = None
    located: dict[int, Token] = field(default_factory=dict)
    regions: dict[int, BlockRegion] = field(default_factory=dict)
    includes: list[IncludeRef] = field(default_factory=list)
    macros: list[MacroInfo] = field(default_factory=list)
    blocks: list[BlockInfo] = field(default_factory=list)
    toplevel_names: set[str] = field(default_factory=set)

    def token_span(self, node: nodes.Node | None) -> Span | None:
        """The span of the token `node` came from, if one was matched."""
        token = self.located.get(id(node))
        return token.span if token is not None else None

    def span_of(self, node: nodes.Node) -> Span:
        """The node's token span, or its whole line when no token could be matched."""
        found = self.token_span(node)
        if found is not None:
            return found
        return self.tokens.line_span(max(getattr(node, "lineno", 1) - 1, 0))


def content_digest(source: str) -> str:
    return hashlib.blake2b(source.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()


def parse_template(environment: Environment, name: str, source: str) -> ParsedTemplate:
    """Lex, parse and locate `source`; syntax errors are recorded, never raised."""
    text = normalise_newlines(source)
    index = TokenIndex.build(environment, text, name)
    header, suppressions = read_directives(index.tokens, index.lines)
    parsed = ParsedTemplate(name, text, content_digest(source), index, header, suppressions)
    try:
        parsed.ast = index.parse(environment, name)
    except TemplateSyntaxError as error:
        parsed.syntax_error = error
        parsed.syntax_span = index.error_span(error)
        return parsed
    except RecursionError:
        parsed.syntax_error = TemplateSyntaxError("the template nests too deeply to parse", 1)
        parsed.syntax_span = index.line_span(0)
        return parsed
    _Locator(parsed, index.cursor()).run(parsed.ast)
    return parsed


def child_nodes(node: nodes.Node) -> list[nodes.Node]:
    """A node's children in field order; a leaner `Node.iter_child_nodes`."""
    children: list[nodes.Node] = []
    for name in node.fields:
        value = getattr(node, name, None)
        if isinstance(value, nodes.Node):
            children.append(value)
        elif type(value) is list:
            children.extend(item for item in value if isinstance(item, nodes.Node))
    return children


def _source_order(node: nodes.Node) -> Iterator[nodes.Node]:
    """Children in the order their tokens appear (Jinja's field order differs for a few)."""
    if isinstance(node, nodes.CondExpr):
        yield from (child for child in (node.expr1, node.test, node.expr2) if child is not None)
        return
    if isinstance(node, nodes.FilterBlock):
        yield node.filter
        yield from node.body
        return
    if isinstance(node, nodes.CallBlock):
        yield from node.args
        yield from node.defaults
        yield node.call
        yield from node.body
        return
    if isinstance(node, nodes.For):
        parts = [node.target, node.iter, node.test, *node.body, *node.else_]
        yield from (part for part in parts if part is not None)
        return
    if isinstance(node, nodes.With):
        for target, value in zip(node.targets, node.values, strict=False):
            yield target
            yield value
        yield from node.body
        return
    yield from child_nodes(node)


class _Locator:
    """Walks the AST in source order, giving each interesting node its token's span."""

    def __init__(self, parsed: ParsedTemplate, cursor: Cursor) -> None:
        self.parsed = parsed
        self.cursor = cursor
        self.conditional_depth = 0
        self.depth = 0
        self.elifs: set[int] = set()

    def run(self, root: nodes.Template) -> None:
        self.elifs = {id(branch) for parent in root.find_all(nodes.If) for branch in parent.elif_}
        for child in root.body:
            self._collect_toplevel(child)
        self.visit(root)

    def _collect_toplevel(self, node: nodes.Node) -> None:
        names = self.parsed.toplevel_names
        if isinstance(node, nodes.Assign | nodes.AssignBlock):
            names.update(
                target.name for target in node.find_all(nodes.Name) if target.ctx == "store"
            )
        elif isinstance(node, nodes.Macro):
            names.add(node.name)
        elif isinstance(node, nodes.Import):
            names.add(node.target)
        elif isinstance(node, nodes.FromImport):
            names.update(item[1] if isinstance(item, tuple) else item for item in node.names)
        elif isinstance(node, nodes.If):
            for child in child_nodes(node):
                self._collect_toplevel(child)

    def take(self, node: nodes.Node, role: str, value: str, store: bool = True) -> Token | None:
        lineno = getattr(node, "lineno", None) or 1
        token = self.cursor.take(lineno - 1, role, value)
        if token is not None and store:
            self.parsed.located[id(node)] = token
        return token

    def take_span(self, node: nodes.Node, role: str, value: str) -> Span:
        token = self.take(node, role, value)
        return token.span if token is not None else self.parsed.span_of(node)

    def visit(self, node: nodes.Node) -> None:
        self.depth += 1
        if self.depth > 400:
            self.depth -= 1
            return
        self._locate(node)
        conditional = isinstance(node, _CONDITIONAL)
        self.conditional_depth += conditional
        for child in _source_order(node):
            self.visit(child)
            self._after_child(node, child)
        if type(node) in INCLUDE_KINDS:
            self._include(node)
        self.conditional_depth -= conditional
        self.depth -= 1

    def _after_child(self, node: nodes.Node, child: nodes.Node) -> None:
        if isinstance(node, nodes.Import) and child is node.template:
            self.take(node, "name", node.target, store=False)
        elif isinstance(node, nodes.FromImport) and child is node.template:
            for item in node.names:
                for part in item if isinstance(item, tuple) else (item,):
                    self.take(node, "name", part, store=False)
        elif isinstance(node, nodes.Filter | nodes.Test) and child is node.node:
            self.take(node, "filter" if isinstance(node, nodes.Filter) else "test", node.name)
        elif isinstance(node, nodes.Getattr) and child is node.node:
            self.take(node, "attr", node.attr)

    def _locate(self, node: nodes.Node) -> None:
        tag = _TAGS.get(type(node))
        if tag is not None:
            self._locate_tag(node, tag)
        if isinstance(node, nodes.Name):
            self.take(node, "name", node.name)
        elif isinstance(node, nodes.NSRef):
            self.take(node, "name", node.name)
            self.take(node, "attr", node.attr, store=False)
        elif isinstance(node, nodes.Keyword):
            self.take(node, "name", node.key, store=False)
        elif isinstance(node, nodes.Filter | nodes.Test) and node.node is None:
            self.take(node, "name" if isinstance(node, nodes.Filter) else "test", node.name)
        elif isinstance(node, nodes.Macro):
            self._macro(node)
        elif isinstance(node, nodes.Block):
            span = self.take_span(node, "name", node.name)
            self.parsed.blocks.append(BlockInfo(node.name, span, node.scoped))
        elif isinstance(node, nodes.Const) and isinstance(node.value, str):
            self.take(node, "string", node.value)

    def _locate_tag(self, node: nodes.Node, tag: str) -> None:
        if isinstance(node, nodes.If) and self._is_elif(node):
            tag = "elif"
        lineno = getattr(node, "lineno", None) or 1
        token = self.cursor.take(lineno - 1, "tag", tag)
        if token is not None and token.index in self.parsed.tokens.regions:
            self.parsed.regions[id(node)] = self.parsed.tokens.regions[token.index]

    def _is_elif(self, node: nodes.If) -> bool:
        return id(node) in self.elifs

    def _macro(self, node: nodes.Macro) -> None:
        span = self.take_span(node, "name", node.name)
        args = tuple(arg.name for arg in node.args)
        self.parsed.macros.append(MacroInfo(node.name, span, args, len(node.defaults)))

    def _include(self, node: nodes.Node) -> None:
        template = getattr(node, "template", None)
        consts: list[nodes.Const] = []
        if isinstance(template, nodes.Const) and isinstance(template.value, str):
            consts = [template]
        elif isinstance(template, nodes.List | nodes.Tuple) and all(
            isinstance(item, nodes.Const) and isinstance(item.value, str) for item in template.items
        ):
            consts = [item for item in template.items if isinstance(item, nodes.Const)]
        spans = [self.parsed.token_span(const) for const in consts]
        span = next((found for found in spans if found), None) or self.parsed.span_of(node)
        if template is not None and not consts:
            span = self._expression_span(template) or span
        self.parsed.includes.append(
            IncludeRef(
                INCLUDE_KINDS[type(node)],
                tuple(const.value for const in consts),
                span,
                bool(getattr(node, "ignore_missing", False)),
                self.conditional_depth > 0,
                node,
            )
        )

    def _expression_span(self, template: nodes.Node) -> Span | None:
        first = template if isinstance(template, nodes.Name) else None
        first = first or next(iter(template.find_all(nodes.Name)), None)
        return self.parsed.token_span(first)
