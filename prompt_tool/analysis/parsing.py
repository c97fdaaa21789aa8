"""Parse a template once and record what later passes need: AST, node spans, references.

`parse_template` never raises: a syntax error becomes part of the result. Node spans are
assigned by walking the AST in source order and handing each node the next matching token
on its line (see `positions.Cursor`).
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field

from jinja2 import Environment, TemplateSyntaxError, nodes

from prompt_tool.analysis.diagnostics import Span
from prompt_tool.analysis.header import Suppressions, TemplateHeader, read_directives
from prompt_tool.analysis.positions import BlockRegion, Token, TokenIndex, normalise_newlines

INCLUDE_KINDS: dict[type[nodes.Node], str] = {
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
    guard_names: frozenset[str] | None = field(default=frozenset(), compare=False)
    """The names the enclosing `if` tests and `for` iterables read; None when one of them
    cannot be judged (a call, `random`, a macro body that runs when called)."""

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
    includes: list[IncludeRef] = field(default_factory=list)
    macros: list[MacroInfo] = field(default_factory=list)
    blocks: list[BlockInfo] = field(default_factory=list)
    toplevel_names: set[str] = field(default_factory=set)
    chunks: list[int] | None = None
    """Token index of the `{%` of each top-level statement (see `incremental`)."""
    base: ParsedTemplate | None = None
    """For a template that does not parse: its last version that did, to re-parse from."""

    @functools.cached_property
    def assigned_names(self) -> frozenset[str]:
        """Every name a statement of the template binds (`set`, `for`, `with`, macro
        arguments, namespace attributes by their namespace); asked only for cycles."""
        if self.ast is None:
            return frozenset()
        found: set[str] = set()
        for node in self.ast.find_all((nodes.Name, nodes.NSRef)):
            if isinstance(node, nodes.Name | nodes.NSRef) and (
                isinstance(node, nodes.NSRef) or node.ctx in ("store", "param")
            ):
                found.add(node.name)
        return frozenset(found)

    def token_of(self, node: nodes.Node | None) -> Token | None:
        """The token `node` names: a variable, an attribute, a filter or test name, a string.

        The parser saw token indices as line numbers (see `TokenIndex.parse`), so a node's
        `lineno` is the index of the token it was built from, or of the token just before.
        """
        if node is None:
            return None
        tokens = self.tokens
        token = tokens.raw_token(getattr(node, "lineno", None))
        if token is None:
            return None
        if isinstance(node, nodes.Getattr | nodes.Macro | nodes.Block):
            return tokens.next_token(token)
        if isinstance(node, nodes.Test):
            following = tokens.next_token(token)
            is_negated = following is not None and following.value == "not"
            return tokens.next_token(token, 2 if is_negated else 1)
        return token

    def token_span(self, node: nodes.Node | None) -> Span | None:
        """The span of the token `node` came from, if one was matched."""
        token = self.token_of(node)
        return token.span if token is not None else None

    def span_of(self, node: nodes.Node) -> Span:
        """The node's token span, or the whole first line when no token could be matched."""
        return self.token_span(node) or self.tokens.line_span(0)

    def tag_name_span(self, node: nodes.Node, name: str) -> Span | None:
        """The last `name` token inside the tag that starts `node` (an import's alias)."""
        tag = self.tokens.raw_token(getattr(node, "lineno", None))
        found: Token | None = None
        current = self.tokens.next_token(tag) if tag is not None else None
        while current is not None and current.kind not in ("block_end", "linestatement_end"):
            if current.kind == "name" and current.value == name:
                found = current
            current = self.tokens.next_token(current)
        return found.span if found is not None else None

    def region(self, node: nodes.Node) -> BlockRegion | None:
        """The block tag pair of a statement node (`for` … `endfor`), if it has one."""
        tag = self.tokens.raw_token(getattr(node, "lineno", None))
        return self.tokens.regions.get(tag.index) if tag is not None else None


def content_digest(source: str) -> str:
    return hashlib.blake2b(source.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()


def parse_template(environment: Environment, name: str, source: str) -> ParsedTemplate:
    """Lex, parse and locate `source`; syntax errors are recorded, never raised."""
    index = TokenIndex.build(environment, normalise_newlines(source), name)
    return parse_tokens(name, source, index, lambda: index.parse(environment, name))


def read_header(environment: Environment, source: str) -> TemplateHeader:
    """The `prompt-tool:` header of `source`, read from its comment tokens without a parse
    (so a template that does not parse still names its phase)."""
    index = TokenIndex.build(environment, normalise_newlines(source), None)
    return read_directives(index.comments, index.lines)[0]


def parse_tokens(
    name: str,
    source: str,
    index: TokenIndex,
    parse: Callable[[], nodes.Template],
    chunks: list[int] | None = None,
) -> ParsedTemplate:
    """The template of already lexed `index`, its AST built by `parse` (which may raise)."""
    header, suppressions = read_directives(index.comments, index.lines)
    parsed = ParsedTemplate(name, index.source, content_digest(source), index, header, suppressions)
    try:
        parsed.ast = parse()
    except TemplateSyntaxError as error:
        parsed.syntax_error = error
        parsed.syntax_span = index.error_span(error, parsed=index.lex_error is None)
        return parsed
    except RecursionError:
        return _unparsable(parsed, "the template nests too deeply to parse")
    except Exception as error:
        # Jinja's parser (or an extension's) failing on odd input is a finding, not a crash.
        return _unparsable(parsed, f"cannot parse: {type(error).__name__}: {error}")
    _Collector(parsed).run(parsed.ast)
    parsed.chunks = chunks if chunks is not None else index.top_level_starts()
    return parsed


_SIMPLE_STATEMENTS = frozenset(
    {
        nodes.Output,
        nodes.Include,
        nodes.Extends,
        nodes.Import,
        nodes.FromImport,
        nodes.Assign,
        nodes.ExprStmt,
        nodes.Break,
        nodes.Continue,
    }
)
"""Statements whose fields hold only expressions (the common case: text and `{{ }}`)."""


def statement_children(node: nodes.Node) -> list[nodes.Node]:
    """The statements nested in `node` (bodies, branches); expressions hold no statements,
    so walks that look for includes, macros and blocks need not enter them."""
    if type(node) in _SIMPLE_STATEMENTS:
        return []
    children: list[nodes.Node] = []
    for name in node.fields:
        value = getattr(node, name, None)
        if type(value) is list:
            children.extend(item for item in value if isinstance(item, nodes.Stmt))
    return children


def _stored_names(target: nodes.Node) -> list[str]:
    if isinstance(target, nodes.Name):
        return [target.name]
    return [name.name for name in target.find_all(nodes.Name) if name.ctx == "store"]


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


def _unparsable(parsed: ParsedTemplate, message: str) -> ParsedTemplate:
    parsed.ast = None
    parsed.syntax_error = TemplateSyntaxError(message, 1)
    parsed.syntax_span = parsed.tokens.line_span(0)
    return parsed


class _Collector:
    """One walk over the AST: includes (and whether a condition guards them), macros,
    blocks, and the names assigned at the template's top level."""

    def __init__(self, parsed: ParsedTemplate) -> None:
        self.parsed = parsed
        self.conditional_depth = 0
        self.conditions: list[nodes.Node] = []
        self.depth = 0

    def run(self, root: nodes.Template) -> None:
        for child in root.body:
            self._collect_toplevel(child)
        self.visit(root)

    def _collect_toplevel(self, node: nodes.Node) -> None:
        names = self.parsed.toplevel_names
        if isinstance(node, nodes.Assign | nodes.AssignBlock):
            names.update(_stored_names(node.target))
        elif isinstance(node, nodes.Macro):
            names.add(node.name)
        elif isinstance(node, nodes.Import):
            names.add(node.target)
        elif isinstance(node, nodes.FromImport):
            names.update(item[1] if isinstance(item, tuple) else item for item in node.names)
        elif isinstance(node, nodes.If):
            for child in statement_children(node):
                self._collect_toplevel(child)

    def visit(self, node: nodes.Node) -> None:
        self.depth += 1
        if self.depth < 400:
            self._record(node)
            conditional = isinstance(node, _CONDITIONAL)
            self.conditional_depth += conditional
            if conditional:
                self.conditions.append(node)
            for child in statement_children(node):
                self.visit(child)
            if conditional:
                self.conditions.pop()
            self.conditional_depth -= conditional
        self.depth -= 1

    def _record(self, node: nodes.Node) -> None:
        if isinstance(node, nodes.Macro):
            args = tuple(arg.name for arg in node.args)
            span = self.parsed.span_of(node)
            self.parsed.macros.append(MacroInfo(node.name, span, args, len(node.defaults)))
        elif isinstance(node, nodes.Block):
            self.parsed.blocks.append(BlockInfo(node.name, self.parsed.span_of(node), node.scoped))
        elif type(node) in INCLUDE_KINDS:
            self._include(node)

    def _include(self, node: nodes.Node) -> None:
        template = getattr(node, "template", None)
        consts: list[nodes.Const] = []
        if isinstance(template, nodes.Const) and isinstance(template.value, str):
            consts = [template]
        elif isinstance(template, nodes.List | nodes.Tuple) and all(
            isinstance(item, nodes.Const) and isinstance(item.value, str) for item in template.items
        ):
            consts = [item for item in template.items if isinstance(item, nodes.Const)]
        first = consts[0] if consts else _first_name(template)
        span = self.parsed.token_span(first) or self.parsed.span_of(node)
        self.parsed.includes.append(
            IncludeRef(
                INCLUDE_KINDS[type(node)],
                tuple(const.value for const in consts),
                span,
                bool(getattr(node, "ignore_missing", False)),
                self.conditional_depth > 0,
                node,
                _guard_names(self.conditions),
            )
        )


def _guard_names(conditions: list[nodes.Node]) -> frozenset[str] | None:
    """The names read by the tests that decide whether an include under `conditions` runs;
    None when a test may change without any name changing (a call, `random`) or when the
    include sits in a macro or call block (it runs when called, which decides nothing)."""
    names: set[str] = set()
    for condition in conditions:
        if isinstance(condition, nodes.If):
            tests: list[nodes.Node | None] = [condition.test]
        elif isinstance(condition, nodes.For):
            tests = [condition.iter, condition.test]
        else:
            return None
        for test in tests:
            if test is None:
                continue
            if any(True for _ in test.find_all(nodes.Call)) or any(
                item.name == "random" for item in test.find_all(nodes.Filter)
            ):
                return None
            names.update(item.name for item in test.find_all(nodes.Name))
    return frozenset(names)


def _first_name(template: nodes.Node | None) -> nodes.Node | None:
    if template is None or isinstance(template, nodes.Name):
        return template
    return next(iter(template.find_all(nodes.Name)), template)
