"""A template's outline (blocks, macros, set variables) and its foldable regions.

Built from the lexer's statements rather than the parsed AST, because the parser stops at
the first syntax error and the AST has no columns; a half-typed template keeps its outline.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from jinja2 import Environment

from prompt_tool.analysis.diagnostics import Span
from prompt_tool.analysis.highlighting import Statement, statements
from prompt_tool.analysis.positions import SpannedToken, lex

PAIRED_TAGS = frozenset(
    {"autoescape", "block", "call", "filter", "for", "if", "macro", "raw", "set", "trans", "with"}
)


class SymbolKind(StrEnum):
    """The constructs an outline lists."""

    BLOCK = "block"
    MACRO = "macro"
    VARIABLE = "variable"


class FoldKind(StrEnum):
    """Why a region folds: a paired tag or a multi-line comment."""

    REGION = "region"
    COMMENT = "comment"


@dataclass(frozen=True)
class OutlineSymbol:
    """A named construct: `span` covers it whole, `name_span` only its name."""

    name: str
    kind: SymbolKind
    span: Span
    name_span: Span
    detail: str = ""
    children: tuple[OutlineSymbol, ...] = ()


@dataclass(frozen=True)
class Fold:
    """Lines `start_line`..`end_line` (0-based, inclusive) that can be folded away."""

    start_line: int
    end_line: int
    kind: FoldKind


@dataclass(frozen=True)
class Outline:
    """The symbols and folds of one template, computed in one pass."""

    symbols: tuple[OutlineSymbol, ...]
    folds: tuple[Fold, ...]


@dataclass
class _Open:
    statement: Statement
    symbol: tuple[str, SymbolKind, SpannedToken, str] | None
    children: list[OutlineSymbol] = field(default_factory=list)


def outline(source: str, environment: Environment | None = None) -> Outline:
    """Symbols and folds of `source`; unbalanced tags are tolerated, never raised on."""
    tokens = lex(source, environment)
    root: list[OutlineSymbol] = []
    stack: list[_Open] = []
    folds = [*_comment_folds(tokens)]
    for statement in statements(tokens):
        if statement.tag.startswith("end") and statement.tag[3:] in PAIRED_TAGS:
            _close(statement, stack, root, folds)
        elif _opens_region(statement):
            stack.append(_Open(statement, _symbol_head(statement)))
        elif statement.tag == "set":
            children = stack[-1].children if stack else root
            children.extend(_set_variables(statement))
    while stack:
        _attach(stack.pop(), stack, root, stack_end=None)
    return Outline(tuple(root), tuple(sorted(folds, key=lambda fold: fold.start_line)))


def _opens_region(statement: Statement) -> bool:
    if statement.tag == "set":
        return not any(token.type == "operator" and token.value == "=" for token in statement.body)
    return statement.tag in PAIRED_TAGS


def _close(
    statement: Statement, stack: list[_Open], root: list[OutlineSymbol], folds: list[Fold]
) -> None:
    tag = statement.tag[3:]
    if not any(entry.statement.tag == tag for entry in stack):
        return
    while stack:
        entry = stack.pop()
        if entry.statement.tag == tag:
            start_line = entry.statement.span.start.line
            if statement.span.start.line - 1 > start_line:
                folds.append(Fold(start_line, statement.span.start.line - 1, FoldKind.REGION))
            _attach(entry, stack, root, stack_end=statement.span)
            return
        _attach(entry, stack, root, stack_end=None)


def _attach(
    entry: _Open, stack: list[_Open], root: list[OutlineSymbol], stack_end: Span | None
) -> None:
    parent = stack[-1].children if stack else root
    if entry.symbol is None:
        parent.extend(entry.children)
        return
    name, kind, name_token, detail = entry.symbol
    end = stack_end.end if stack_end is not None else entry.statement.span.end
    parent.append(
        OutlineSymbol(
            name,
            kind,
            Span(entry.statement.span.start, end),
            name_token.span,
            detail,
            tuple(entry.children),
        )
    )


def _symbol_head(statement: Statement) -> tuple[str, SymbolKind, SpannedToken, str] | None:
    names = [token for token in statement.body[1:2] if token.type == "name"]
    if not names:
        return None
    if statement.tag == "block":
        return names[0].value, SymbolKind.BLOCK, names[0], ""
    if statement.tag == "macro":
        return names[0].value, SymbolKind.MACRO, names[0], _macro_signature(statement)
    if statement.tag == "set":
        return names[0].value, SymbolKind.VARIABLE, names[0], ""
    return None


def _macro_signature(statement: Statement) -> str:
    """`name(a, b=…)`: the argument names, defaults elided, for an outline's detail column."""
    arguments: list[str] = []
    depth = 0
    previous = ""
    for token in statement.body[2:]:
        if token.value in {"(", "[", "{"}:
            depth += 1
        elif token.value in {")", "]", "}"}:
            depth -= 1
        elif token.type == "name" and depth == 1 and previous in {"(", ","}:
            arguments.append(token.value)
        previous = token.value
    return f"{statement.body[1].value}({', '.join(arguments)})"


def _set_variables(statement: Statement) -> list[OutlineSymbol]:
    """The plain names a `{% set a, b = … %}` assigns (`ns.attr` targets are not new names)."""
    targets: list[SpannedToken] = []
    body: Sequence[SpannedToken] = statement.body[1:]
    for index, token in enumerate(body):
        if token.type == "operator" and token.value == "=":
            break
        following = body[index + 1].value if index + 1 < len(body) else ""
        previous = body[index - 1].value if index > 0 else ""
        if token.type == "name" and "." not in (following, previous):
            targets.append(token)
    return [
        OutlineSymbol(token.value, SymbolKind.VARIABLE, statement.span, token.span)
        for token in targets
    ]


def _comment_folds(tokens: Sequence[SpannedToken]) -> list[Fold]:
    folds: list[Fold] = []
    start: SpannedToken | None = None
    for token in tokens:
        if token.type == "comment_begin":
            start = token
        elif token.type == "comment_end" and start is not None:
            if token.span.end.line > start.span.start.line:
                folds.append(Fold(start.span.start.line, token.span.end.line, FoldKind.COMMENT))
            start = None
    return folds
