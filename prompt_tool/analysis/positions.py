"""Exact columns for a Jinja template: one lexer pass, tokens placed in the source.

Jinja's AST nodes carry only a line number. `TokenIndex` lexes the source once, places
every token at its (line, column) and pairs block tags. The same tokens then feed the
parser with each token's index in place of its line number, so every node's `lineno`
names the exact token it was built from, and a file is lexed once.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass, field

from jinja2 import Environment, TemplateSyntaxError, nodes
from jinja2.lexer import TokenStream
from jinja2.parser import Parser

from prompt_tool.analysis.diagnostics import Position, Span

BLOCK_OPENERS = frozenset(
    {"for", "if", "macro", "call", "block", "with", "filter", "set", "autoescape", "trans"}
)
_AT_OFFSET = re.compile(r" at (\d+)$")
_IGNORED = frozenset({"comment_begin", "comment", "comment_end", "linecomment"})


class Token:
    """One lexer token placed in the source: kind and value as Jinja's lexer reports them.

    A plain slotted class with a lazily computed span: a large template has many tokens
    and only the few a check reports on ever need line and column.
    """

    __slots__ = ("_lines", "end", "index", "kind", "line", "offset", "role", "value")

    def __init__(
        self,
        lines: LineMap,
        index: int,
        kind: str,
        value: str,
        offset: int,
        end: int,
        line: int,
        role: str,
    ) -> None:
        self._lines = lines
        self.index = index
        self.kind = kind
        self.value = value
        self.offset = offset
        self.end = end
        self.line = line
        self.role = role

    @property
    def span(self) -> Span:
        return Span(self._lines.position(self.offset), self._lines.position(self.end))


@dataclass
class BlockRegion:
    """A block tag and its end tag: `{% for … %}` … `{% endfor %}` (end missing if unclosed)."""

    keyword: str
    tag: Token
    opened: Span
    body_start: Position
    closed: Span | None = None

    @property
    def end(self) -> Position:
        return self.closed.end if self.closed else self.body_start


def normalise_newlines(source: str) -> str:
    """Jinja sees `\\n` only; doing the same here keeps lines and columns aligned with it."""
    return source.replace("\r\n", "\n").replace("\r", "\n")


class LineMap:
    """Offsets ↔ positions for one text."""

    def __init__(self, text: str) -> None:
        self.starts = [0] + [match.end() for match in re.finditer("\n", text)]
        self.length = len(text)

    def position(self, offset: int) -> Position:
        line = bisect_right(self.starts, offset) - 1
        return Position(line, offset - self.starts[line])

    def end(self) -> Position:
        return self.position(self.length)


@dataclass
class TokenIndex:
    """Every token of a source with its span, plus the lexer error if lexing stopped early."""

    source: str
    tokens: list[Token] = field(default_factory=list)
    raw: list[tuple[int, str, str]] = field(default_factory=list)
    raw_tokens: list[int] = field(default_factory=list)
    lex_error: TemplateSyntaxError | None = None
    regions: dict[int, BlockRegion] = field(default_factory=dict)
    unclosed: list[BlockRegion] = field(default_factory=list)
    lines: LineMap = field(init=False)

    def __post_init__(self) -> None:
        self.lines = LineMap(self.source)

    @classmethod
    def build(cls, environment: Environment, source: str, name: str | None) -> TokenIndex:
        index = cls(source)
        index._lex(environment, name)
        index._pair_blocks()
        return index

    def _lex(self, environment: Environment, name: str | None) -> None:
        source, lines, tokens, raw = self.source, self.lines, self.tokens, self.raw
        offset = 0
        after_block_begin = False
        startswith, find = source.startswith, source.find
        try:
            for lineno, kind, value in environment.lexer.tokeniter(source, name):
                start = offset if startswith(value, offset) else find(value, offset)
                start = offset if start < 0 else start
                end = start + len(value)
                offset = max(offset, end)
                if kind == "whitespace":
                    continue
                role, original = "", value
                if kind == "name" and after_block_begin:
                    role = "tag"
                elif kind == "string":
                    role, value = "string", value[1:-1]
                token = Token(lines, len(tokens), kind, value, start, end, lineno - 1, role)
                tokens.append(token)
                if kind not in _IGNORED:
                    raw.append((lineno, kind, original))
                    self.raw_tokens.append(token.index)
                    after_block_begin = kind in ("block_begin", "linestatement_begin")
        except TemplateSyntaxError as error:
            self.lex_error = error

    def _pair_blocks(self) -> None:
        stack: list[BlockRegion] = []
        tokens = self.tokens
        for position, token in enumerate(tokens):
            if token.role != "tag":
                continue
            begin = self._previous_significant(position)
            close = self._block_end(position)
            opened = Span(
                begin.span.start if begin else token.span.start,
                close.span.end if close else token.span.end,
            )
            keyword = token.value
            if keyword.startswith("end") and keyword[3:] in BLOCK_OPENERS:
                self._close(stack, keyword[3:], opened)
            elif keyword in BLOCK_OPENERS and not self._is_inline_set(keyword, position):
                region = BlockRegion(keyword, token, opened, opened.end)
                self.regions[token.index] = region
                stack.append(region)
        self.unclosed = stack

    @staticmethod
    def _close(stack: list[BlockRegion], keyword: str, closed: Span) -> None:
        for depth in range(len(stack) - 1, -1, -1):
            if stack[depth].keyword == keyword:
                stack[depth].closed = closed
                del stack[depth:]
                return

    def _previous_significant(self, position: int) -> Token | None:
        return self.tokens[position - 1] if position > 0 else None

    def _block_end(self, position: int) -> Token | None:
        tokens = self.tokens
        for index in range(position, len(tokens)):
            if tokens[index].kind in ("block_end", "linestatement_end"):
                return tokens[index]
        return None

    def _is_inline_set(self, keyword: str, position: int) -> bool:
        if keyword != "set":
            return False
        tokens = self.tokens
        for index in range(position + 1, len(tokens)):
            token = tokens[index]
            if token.kind in ("block_end", "linestatement_end"):
                return False
            if token.kind == "operator" and token.value == "=":
                return True
        return True

    def parse(self, environment: Environment, name: str | None) -> nodes.Template:
        """Parse from the tokens already lexed; raises TemplateSyntaxError like Jinja does.

        Each token reaches the parser with its index in `raw` in place of a line number,
        so every node's `lineno` (and a syntax error's) names the exact token it came from.
        """
        if self.lex_error is not None:
            raise self.lex_error
        parser = Parser(environment, "", name)
        indexed = ((position, kind, value) for position, (_, kind, value) in enumerate(self.raw))
        stream = TokenStream(environment.lexer.wrap(indexed, name), name, None)
        for extension in environment.iter_extensions():
            filtered = extension.filter_stream(stream)
            stream = (
                filtered if isinstance(filtered, TokenStream) else TokenStream(filtered, name, None)
            )
        parser.stream = stream
        return parser.parse()

    def raw_token(self, position: int | None) -> Token | None:
        """The token the parser saw as number `position` (a node's or an error's `lineno`)."""
        if position is None or not 0 <= position < len(self.raw_tokens):
            return None
        return self.tokens[self.raw_tokens[position]]

    def next_token(self, token: Token, skip: int = 1) -> Token | None:
        """The significant token `skip` places after `token`, within the same tag."""
        index = token.index
        for _ in range(skip):
            index += 1
            while index < len(self.tokens) and self.tokens[index].kind in _IGNORED:
                index += 1
        return self.tokens[index] if index < len(self.tokens) else None

    def error_span(self, error: TemplateSyntaxError, parsed: bool = True) -> Span:
        """The token a syntax error is about: the unclosed tag, the bad char, the bad token."""
        message = error.message or ""
        at = _AT_OFFSET.search(message)
        if at and int(at.group(1)) <= len(self.source):
            start = self.lines.position(int(at.group(1)))
            return Span(start, Position(start.line, start.column + 1))
        if message.startswith("Unexpected end of template") and self.unclosed:
            return self.unclosed[-1].tag.span
        token = self.raw_token(error.lineno) if parsed else None
        if token is not None:
            return token.span
        line = (error.lineno or 1) - 1 if not parsed else len(self.lines.starts) - 1
        return self.line_span(max(line, 0))

    def line_span(self, line: int) -> Span:
        line = min(line, len(self.lines.starts) - 1)
        start = self.lines.starts[line]
        text_end = self.source.find("\n", start)
        end = len(self.source) if text_end < 0 else text_end
        return Span(Position(line, 0), Position(line, end - start))
