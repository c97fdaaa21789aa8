"""What the tolerant tokens mean: classification for syntax highlighting, and `{% %}` tags.

The tokens themselves come from `positions.lex`, the tolerant mode of the one token
model, so a half-typed template still gets its highlighting and outline up to a lexing
error.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from jinja2 import Environment

from prompt_tool.analysis.diagnostics import Span
from prompt_tool.analysis.positions import SpannedToken, lex, normalise_newlines

STATEMENT_KEYWORDS = frozenset(
    {
        "and",
        "as",
        "context",
        "else",
        "false",
        "from",
        "if",
        "ignore",
        "import",
        "in",
        "is",
        "missing",
        "none",
        "not",
        "or",
        "recursive",
        "scoped",
        "required",
        "true",
        "with",
        "without",
        "True",
        "False",
        "None",
    }
)
EXPRESSION_KEYWORDS = frozenset(
    {"and", "else", "false", "if", "in", "is", "none", "not", "or", "true", "True", "False", "None"}
)


class TokenKind(StrEnum):
    """What a token means to a reader, independent of any editor's vocabulary."""

    DELIMITER = "delimiter"
    KEYWORD = "keyword"
    VARIABLE = "variable"
    PROPERTY = "property"
    FILTER = "filter"
    TEST = "test"
    FUNCTION = "function"
    STRING = "string"
    NUMBER = "number"
    OPERATOR = "operator"
    COMMENT = "comment"


@dataclass(frozen=True)
class HighlightToken:
    """A single-line highlighted range: editors disagree on multi-line tokens, so none are."""

    line: int
    column: int
    length: int
    kind: TokenKind


def classify(tokens: Sequence[SpannedToken]) -> list[tuple[SpannedToken, TokenKind]]:
    """Each token that deserves a colour, with what it means in its context."""
    result: list[tuple[SpannedToken, TokenKind]] = []
    state = _Context()
    for index, token in enumerate(tokens):
        following = tokens[index + 1] if index + 1 < len(tokens) else None
        kind = state.kind_of(token, following)
        if kind is not None:
            result.append((token, kind))
    return result


class _Context:
    """What the tokens before the current one say about it (statement start, `|`, `.`, `is`)."""

    def __init__(self) -> None:
        self.in_statement = False
        self.at_statement_start = False
        self.expecting_test = False
        self.previous: SpannedToken | None = None

    def kind_of(self, token: SpannedToken, following: SpannedToken | None) -> TokenKind | None:
        kind = _delimiter_or_literal(token)
        if token.type in {"block_begin", "variable_begin"}:
            self.in_statement = token.type == "block_begin"
            self.at_statement_start = self.in_statement
        elif token.type == "name":
            kind = self._name_kind(token, following)
            self.at_statement_start = False
        self.previous = token
        return kind

    def _name_kind(self, token: SpannedToken, following: SpannedToken | None) -> TokenKind:
        previous = self.previous.value if self.previous and self.previous.type == "operator" else ""
        if self.at_statement_start:
            return TokenKind.KEYWORD
        if self.expecting_test:
            if token.value == "not":
                return TokenKind.KEYWORD
            self.expecting_test = False
            return TokenKind.TEST
        if token.value == "is":
            self.expecting_test = True
            return TokenKind.KEYWORD
        if previous == "|":
            return TokenKind.FILTER
        if previous == ".":
            return TokenKind.PROPERTY
        keywords = STATEMENT_KEYWORDS if self.in_statement else EXPRESSION_KEYWORDS
        if token.value in keywords:
            return TokenKind.KEYWORD
        if following is not None and following.value == "(":
            return TokenKind.FUNCTION
        return TokenKind.VARIABLE


def _delimiter_or_literal(token: SpannedToken) -> TokenKind | None:
    if token.type.endswith(("_begin", "_end")):
        return TokenKind.COMMENT if token.type.startswith("comment") else TokenKind.DELIMITER
    return _LITERAL_KINDS.get(token.type)


_LITERAL_KINDS = {
    "comment": TokenKind.COMMENT,
    "linecomment": TokenKind.COMMENT,
    "string": TokenKind.STRING,
    "integer": TokenKind.NUMBER,
    "float": TokenKind.NUMBER,
    "operator": TokenKind.OPERATOR,
}


@dataclass(frozen=True)
class Statement:
    """One `{% ... %}` tag: its tag name, the tokens between its delimiters, and its extent."""

    tag: str
    body: tuple[SpannedToken, ...]
    span: Span


def statements(tokens: Sequence[SpannedToken]) -> list[Statement]:
    """Every complete `{% ... %}` tag in order; an unclosed one at the end is dropped."""
    result: list[Statement] = []
    begin: SpannedToken | None = None
    body: list[SpannedToken] = []
    for token in tokens:
        if token.type == "block_begin":
            begin, body = token, []
        elif token.type == "block_end" and begin is not None:
            tag = body[0].value if body and body[0].type == "name" else ""
            result.append(Statement(tag, tuple(body), Span(begin.span.start, token.span.end)))
            begin = None
        elif begin is not None:
            body.append(token)
    return result


def highlight(source: str, environment: Environment | None = None) -> list[HighlightToken]:
    """Highlighting for the whole document, split so that no token spans two lines."""
    lines = normalise_newlines(source).split("\n")
    result: list[HighlightToken] = []
    for token, kind in classify(lex(source, environment)):
        result.extend(_single_line_pieces(token.span, kind, lines))
    return result


def _single_line_pieces(span: Span, kind: TokenKind, lines: Sequence[str]) -> list[HighlightToken]:
    pieces: list[HighlightToken] = []
    for line in range(span.start.line, span.end.line + 1):
        start = span.start.column if line == span.start.line else 0
        end = span.end.column if line == span.end.line else len(lines[line])
        if end > start:
            pieces.append(HighlightToken(line, start, end - start, kind))
    return pieces
