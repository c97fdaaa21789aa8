"""The one token model for a Jinja template: one lexer pass, tokens placed in the source.

Jinja's AST nodes carry only a line number, and `tokeniter` yields values and line
numbers but no columns (and drops whitespace around `-` delimiters), so `placed` walks
the source alongside the tokens to find each one's offset. Everything builds on that one
walk: `TokenIndex` places every token at its (line, column) and pairs block tags, then
feeds the parser each token's index in place of its line number, so every node's
`lineno` names the exact token it was built from and a file is lexed once; `lex` is the
tolerant mode, whose tokens stop at a lexing error instead of raising, so a half-typed
template still gets its highlighting, outline and completion context up to the error.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterator
from dataclasses import dataclass, field
from sys import intern

from jinja2 import Environment, TemplateSyntaxError, nodes
from jinja2.lexer import TokenStream
from jinja2.parser import Parser

from prompt_tool.analysis.diagnostics import Position, Span

BLOCK_OPENERS = frozenset(
    {"for", "if", "macro", "call", "block", "with", "filter", "set", "autoescape", "trans"}
)
_AT_OFFSET = re.compile(r" at (\d+)$")
_IGNORED = frozenset({"comment_begin", "comment", "comment_end", "linecomment"})
_CONTINUATIONS = frozenset({"elif", "else", "pluralize"})
_NEWLINE = re.compile(r"\r\n|\r|\n")


def _moved(error: TemplateSyntaxError, chars: int, lines: int) -> TemplateSyntaxError:
    """A lexer error from lexing a tail of the source, placed in the whole source."""
    message = _AT_OFFSET.sub(lambda at: f" at {int(at.group(1)) + chars}", error.message or "")
    return TemplateSyntaxError(message, (error.lineno or 1) + lines, error.name, error.filename)


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


class BlockRegion:
    """A block tag and its end tag: `{% for … %}` … `{% endfor %}` (end missing if unclosed).

    Keeps offsets and makes positions on demand: every edit pairs every tag again, and
    only the few regions a check or a fold asks about need lines and columns. It holds the
    line map and its tag's item, not the token index, so no reference cycle keeps an old
    index alive until a full garbage collection.
    """

    __slots__ = ("_closed", "_item", "_lines", "_opened", "_position", "keyword")

    def __init__(
        self, lines: LineMap, position: int, item: Item, keyword: str, opened: range
    ) -> None:
        self._lines = lines
        self._position = position
        self._item = item
        self.keyword = keyword
        self._opened = opened
        self._closed: range | None = None

    @property
    def tag(self) -> Token:
        kind, value, start, end, line = self._item
        return Token(self._lines, self._position, kind, value, start, end, line, "tag")

    @property
    def opened(self) -> Span:
        return self._span(self._opened)

    @property
    def body_start(self) -> Position:
        return self._lines.position(self._opened.stop)

    @property
    def closed(self) -> Span | None:
        return self._span(self._closed) if self._closed is not None else None

    @property
    def end(self) -> Position:
        return self.closed.end if self.closed else self.body_start

    def close(self, closed: range) -> None:
        self._closed = closed

    def _span(self, offsets: range) -> Span:
        return Span(self._lines.position(offsets.start), self._lines.position(offsets.stop))


def normalise_newlines(source: str) -> str:
    """Jinja sees `\\n` only; doing the same here keeps lines and columns aligned with it."""
    return source.replace("\r\n", "\n").replace("\r", "\n")


def split_lines(source: str) -> list[str]:
    """The lines of `source` as Jinja, the analyser and LSP number them: only `\\n`,
    `\\r\\n` and `\\r` end a line. Never `str.splitlines`, which also breaks at U+2028,
    U+2029, `\\x0b`, `\\x0c`, `\\x1c`-`\\x1e` and `\\x85` and so shifts every line after."""
    return _NEWLINE.split(source)


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


def placed(
    environment: Environment,
    source: str,
    name: str | None,
    start: int = 0,
    tolerant: bool = False,
) -> Iterator[tuple[int, str, str, int]]:
    """Jinja's tokens of `source[start:]`, whitespace included, each as (lexer line, kind,
    raw value, offset in `source`): the one walk that places tokens in the source.

    A value not found where it should be is placed at the current offset; in `tolerant`
    mode the walk stops there instead, and also stops (rather than raising) at a lexing
    error, so the tokens before the error are still yielded.
    """
    offset = start
    startswith, find = source.startswith, source.find
    text = source[start:] if start else source
    try:
        for lineno, kind, value in environment.lexer.tokeniter(text, name):
            at = offset if startswith(value, offset) else find(value, offset)
            if at < 0:
                if tolerant:
                    return
                at = offset
            end = at + len(value)
            if end > offset:
                offset = end
            yield lineno, kind, value, at
    except TemplateSyntaxError:
        if not tolerant:
            raise


@dataclass(frozen=True)
class SpannedToken:
    """One token of the tolerant `lex`: Jinja's token type, its text stripped of the
    whitespace the lexer folds into delimiters, and where that text is."""

    type: str
    value: str
    span: Span
    offset: int


def lex(source: str, environment: Environment | None = None) -> list[SpannedToken]:
    """Every non-whitespace token of `source` up to the first lexing error, with spans."""
    environment = environment or Environment()
    text = normalise_newlines(source)
    lines = LineMap(text)
    tokens: list[SpannedToken] = []
    for _line, kind, value, at in placed(environment, text, None, tolerant=True):
        core = value.strip()
        if kind == "whitespace" or not core:
            continue
        begin = at + len(value) - len(value.lstrip())
        span = Span(lines.position(begin), lines.position(begin + len(core)))
        tokens.append(SpannedToken(kind, core, span, begin))
    return tokens


_BEGIN = frozenset({"block_begin", "linestatement_begin"})
_END = frozenset({"block_end", "linestatement_end"})
Item = tuple[str, str, int, int, int]
"""A significant token as stored: kind, raw value, start offset, end offset, 0-based line."""


@dataclass
class TokenIndex:
    """Every significant token of a source (comments apart), plus the lexer error if lexing
    stopped early. Tokens are kept as tuples; `Token` objects are made only when asked for,
    since a large template has many tokens and checks report on few."""

    source: str
    items: list[Item] = field(default_factory=list)
    comments: list[Token] = field(default_factory=list)
    tags: list[int] = field(default_factory=list)
    lex_error: TemplateSyntaxError | None = None
    regions: dict[int, BlockRegion] = field(default_factory=dict)
    unclosed: list[BlockRegion] = field(default_factory=list)
    lines: LineMap = field(init=False)
    _made: dict[int, Token] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.lines = LineMap(self.source)

    @classmethod
    def build(cls, environment: Environment, source: str, name: str | None) -> TokenIndex:
        index = cls(source)
        index._lex(environment, name)
        index.pair_blocks()
        return index

    def _lex(self, environment: Environment, name: str | None) -> None:
        try:
            self.lex_from(environment, name, 0, None)
        except TemplateSyntaxError as error:
            self.lex_error = error

    def lex_from(
        self, environment: Environment, name: str | None, start: int, stop: int | None
    ) -> bool:
        """Append the tokens of the source from offset `start` (where the lexer must be
        outside any tag) up to `stop`; True when the lexer reached `stop` outside any tag,
        about to open a `{%` there, or the end of the source when `stop` is None.

        The lexer reads past `stop` as far as one token, so whitespace control and
        `lstrip_blocks` around `stop` apply exactly as in a whole-source pass.
        """
        source, items, tags = self.source, self.items, self.tags
        previous, append = "", items.append
        base = self.lines.position(start).line - 1 if start else -1
        try:
            for lineno, kind, value, at in placed(environment, source, name, start):
                if stop is not None and at >= stop and kind != "whitespace":
                    return at == stop and kind == "block_begin"
                end = at + len(value)
                if kind == "whitespace":
                    continue
                if kind in _IGNORED:
                    self.comments.append(
                        Token(self.lines, -1, kind, value, at, end, lineno + base, "")
                    )
                    continue
                if kind == "name" and previous in _BEGIN:
                    tags.append(len(items))
                if kind != "data":
                    value = intern(value)  # names and operators repeat: store each once
                append((kind, value, at, end, lineno + base))
                previous = kind
        except TemplateSyntaxError as error:
            raise _moved(error, start, base + 1) if start else error from None
        return stop is None or stop >= len(source)

    def token(self, index: int) -> Token:
        """The token at `index` (made once, on first use)."""
        made = self._made.get(index)
        if made is None:
            kind, value, start, end, line = self.items[index]
            role = "tag" if self._is_tag(index) else ""
            if kind == "string":
                role, value = "string", value[1:-1]
            made = Token(self.lines, index, kind, value, start, end, line, role)
            self._made[index] = made
        return made

    def reuse_tokens(self, old: TokenIndex, before: int) -> None:
        """Adopt the tokens `old` made before index `before`, where both sources agree (their
        line maps agree there too)."""
        self._made.update((index, token) for index, token in old._made.items() if index < before)

    def _is_tag(self, index: int) -> bool:
        return index > 0 and self.items[index][0] == "name" and self.items[index - 1][0] in _BEGIN

    def pair_blocks(self) -> None:
        stack: list[BlockRegion] = []
        items = self.items
        for position in self.tags:
            close = self._block_end(position)
            end = items[close][3] if close is not None else items[position][3]
            opened = range(items[position - 1][2], end)
            keyword = items[position][1]
            if keyword.startswith("end") and keyword[3:] in BLOCK_OPENERS:
                self._close(stack, keyword[3:], opened)
            elif keyword in BLOCK_OPENERS and not self._is_inline_set(keyword, position):
                region = BlockRegion(self.lines, position, items[position], keyword, opened)
                self.regions[position] = region
                stack.append(region)
        self.unclosed = stack

    @staticmethod
    def _close(stack: list[BlockRegion], keyword: str, closed: range) -> None:
        for depth in range(len(stack) - 1, -1, -1):
            if stack[depth].keyword == keyword:
                stack[depth].close(closed)
                del stack[depth:]
                return

    def _block_end(self, position: int) -> int | None:
        items = self.items
        for index in range(position, len(items)):
            if items[index][0] in _END:
                return index
        return None

    def _is_inline_set(self, keyword: str, position: int) -> bool:
        if keyword != "set":
            return False
        items = self.items
        for index in range(position + 1, len(items)):
            kind, value = items[index][0], items[index][1]
            if kind in _END:
                return False
            if kind == "operator" and value == "=":
                return True
        return True

    def top_level_starts(self, first: int = 0, last: int | None = None) -> list[int] | None:
        """The index of the `{%` of each top-level statement among `tags[first:last]`, or
        None when their block tags do not balance there (the parser will say why)."""
        stack: list[str] = []
        starts: list[int] = []
        items = self.items
        for position in self.tags[first:last]:
            keyword = items[position][1]
            if keyword.startswith("end") and keyword[3:] in BLOCK_OPENERS:
                if not stack or stack.pop() != keyword[3:]:
                    return None
                continue
            if not stack:
                if keyword in _CONTINUATIONS:
                    return None
                starts.append(position - 1)
            if keyword in BLOCK_OPENERS and not self._is_inline_set(keyword, position):
                stack.append(keyword)
        return None if stack else starts

    def parse(self, environment: Environment, name: str | None) -> nodes.Template:
        """Parse from the tokens already lexed; raises TemplateSyntaxError like Jinja does.

        Each token reaches the parser with its index in `items` in place of a line number,
        so every node's `lineno` (and a syntax error's) names the exact token it came from.
        """
        if self.lex_error is not None:
            raise self.lex_error
        parser = Parser(environment, "", name)
        indexed = ((position, item[0], item[1]) for position, item in enumerate(self.items))
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
        if position is None or not 0 <= position < len(self.items):
            return None
        return self.token(position)

    def next_token(self, token: Token, skip: int = 1) -> Token | None:
        """The token `skip` places after `token`."""
        index = token.index + skip
        return self.token(index) if 0 <= index < len(self.items) else None

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
