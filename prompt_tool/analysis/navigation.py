"""Lexical navigation inside one template: names defined, the name under the cursor, its
definition and uses, and the macro call around the cursor.

Token-based, so it works on half-typed templates; it does not know contract types (the
analyser's document model does) and treats a name as the same name throughout the file.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from prompt_tool.analysis.diagnostics import Position, Span
from prompt_tool.analysis.highlighting import Statement, TokenKind, classify, statements
from prompt_tool.analysis.outline import OutlineSymbol, SymbolKind, outline
from prompt_tool.analysis.positions import SpannedToken, lex


class NameKind(StrEnum):
    """How a template defines a name."""

    VARIABLE = "variable"
    LOOP_VARIABLE = "loop variable"
    MACRO = "macro"
    ARGUMENT = "macro argument"
    IMPORT = "import"
    BLOCK = "block"


@dataclass(frozen=True)
class DefinedName:
    """A name a template defines, where, and (for a macro) its parameters."""

    name: str
    kind: NameKind
    span: Span
    parameters: tuple[str, ...] = ()


@dataclass(frozen=True)
class Call:
    """The call the cursor is inside: the callee's name and the 0-based argument index."""

    callee: str
    argument: int


def defined_names(source: str) -> list[DefinedName]:
    """Every name the template defines, in document order."""
    found: list[DefinedName] = []
    for statement in statements(lex(source)):
        found.extend(_defined_by(statement))
    return found


def _defined_by(statement: Statement) -> list[DefinedName]:
    body = statement.body
    names = [token for token in body[1:] if token.type == "name"]
    if statement.tag == "for":
        targets = _until(body[1:], "in")
        return [DefinedName(t.value, NameKind.LOOP_VARIABLE, t.span) for t in targets]
    if statement.tag == "set":
        targets = [t for t in _until(body[1:], "=") if not _is_attribute_part(body, t)]
        return [DefinedName(t.value, NameKind.VARIABLE, t.span) for t in targets]
    if statement.tag == "macro" and names:
        parameters = _parameters(body[2:])
        macro = DefinedName(
            names[0].value, NameKind.MACRO, names[0].span, tuple(p.value for p in parameters)
        )
        return [macro, *(DefinedName(p.value, NameKind.ARGUMENT, p.span) for p in parameters)]
    if statement.tag == "block" and names:
        return [DefinedName(names[0].value, NameKind.BLOCK, names[0].span)]
    if statement.tag in {"import", "from"}:
        return [DefinedName(t.value, NameKind.IMPORT, t.span) for t in _import_aliases(body)]
    return []


def _until(tokens: tuple[SpannedToken, ...], stop: str) -> list[SpannedToken]:
    found: list[SpannedToken] = []
    for token in tokens:
        if token.value == stop:
            return found
        if token.type == "name":
            found.append(token)
    return found


def _is_attribute_part(body: tuple[SpannedToken, ...], token: SpannedToken) -> bool:
    index = body.index(token)
    neighbours = {
        body[index - 1].value if index else "",
        body[index + 1].value if index + 1 < len(body) else "",
    }
    return "." in neighbours


def _parameters(tokens: tuple[SpannedToken, ...]) -> list[SpannedToken]:
    parameters: list[SpannedToken] = []
    depth = 0
    previous = ""
    for token in tokens:
        if token.value in {"(", "[", "{"}:
            depth += 1
        elif token.value in {")", "]", "}"}:
            depth -= 1
        elif token.type == "name" and depth == 1 and previous in {"(", ","}:
            parameters.append(token)
        previous = token.value
    return parameters


def _import_aliases(body: tuple[SpannedToken, ...]) -> list[SpannedToken]:
    """`import "x" as y` → y; `from "x" import a, b as c` → a, c."""
    values = [token.value for token in body]
    if body[0].value == "import":
        return [body[i + 1] for i, value in enumerate(values[:-1]) if value == "as"]
    if "import" not in values:
        return []
    imported = body[values.index("import") + 1 :]
    aliases: list[SpannedToken] = []
    for index, token in enumerate(imported):
        if token.type != "name" or token.value in {"as", "with", "without", "context"}:
            continue
        following = imported[index + 1].value if index + 1 < len(imported) else ""
        if following != "as":
            aliases.append(token)
    return aliases


def name_at(source: str, position: Position) -> SpannedToken | None:
    """The variable or callable name under the cursor (not a filter, test or attribute)."""
    for token, kind in classify(lex(source)):
        if kind in {TokenKind.VARIABLE, TokenKind.FUNCTION} and _touches(token.span, position):
            return token
    return None


def _touches(span: Span, position: Position) -> bool:
    return span.start <= position <= span.end


def definition_of(source: str, name: str, position: Position) -> DefinedName | None:
    """The definition `name` refers to at `position`: the last one before it, else the first."""
    candidates = [found for found in defined_names(source) if found.name == name]
    before = [found for found in candidates if found.span.start <= position]
    return before[-1] if before else (candidates[0] if candidates else None)


def uses_of(source: str, name: str) -> list[Span]:
    """Every place the template writes `name` as a variable or callable, definitions included."""
    return [
        token.span
        for token, kind in classify(lex(source))
        if token.value == name and kind in {TokenKind.VARIABLE, TokenKind.FUNCTION}
    ]


def block_names(source: str) -> list[str]:
    """The names of the template's blocks, nested ones included."""
    return [
        symbol.name for symbol in _walk(outline(source).symbols) if symbol.kind == SymbolKind.BLOCK
    ]


def _walk(symbols: tuple[OutlineSymbol, ...]) -> list[OutlineSymbol]:
    return [item for symbol in symbols for item in (symbol, *_walk(symbol.children))]


def call_at(source: str, position: Position) -> Call | None:
    """The innermost unclosed `name(` before the cursor in the open tag, and the argument index."""
    before = [token for token in lex(source) if token.span.end <= position]
    depth = 0
    commas = 0
    for index in range(len(before) - 1, -1, -1):
        token = before[index]
        if token.type.endswith("_end") or token.type.endswith("_begin"):
            return None
        if token.value in {")", "]", "}"}:
            depth += 1
        elif token.value in {"[", "{"} or (token.value == "(" and depth > 0):
            depth -= 1
        elif token.value == "," and depth == 0:
            commas += 1
        elif token.value == "(" and depth == 0:
            callee = before[index - 1] if index > 0 else None
            if callee is None or callee.type != "name":
                return None
            return Call(callee.value, commas)
    return None
