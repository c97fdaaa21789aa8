"""The `prompt-tool:` comments a template carries: its phase, its variables, suppressions.

    {#- prompt-tool: phase=analysis, feature_type=bugfix -#}
    {#- prompt-tool: vars issue: Issue, comments: list[str] -#}
    {#- prompt-tool: vars ticket?: Ticket, owner: User | None -#}   optional names
    {# prompt-tool: disable=PT003 #}             findings of PT003 on this comment's line
    {# prompt-tool: disable-next-line=PT002 #}   findings on the following line
    {# prompt-tool: disable-file=PT011 #}        findings anywhere in the file

Codes may also be given by rule name (`disable=possibly-undefined`); a bare `disable`
(no codes) suppresses every code. A `?` after a variable's name (`ticket?: Ticket`) says the
renderer may not pass it at all; a type `X | None` says it may be None. Header comments may appear anywhere,
but belong at the top; several merge.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from prompt_tool.analysis.diagnostics import RULES, Span
from prompt_tool.analysis.positions import LineMap, Token

MARKER = "prompt-tool:"
HEADER_KEYS = frozenset({"phase", "feature_type"})
SUPPRESS_KEYS = frozenset({"disable", "disable-next-line", "disable-file"})
ALL_CODES = "*"
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_CODE = re.compile(r"PT\d{3}\Z")
_BY_NAME = {rule.name: code for code, rule in RULES.items()}


@dataclass(frozen=True)
class HeaderError:
    """A part of a header the analyser could not read, and where it is."""

    message: str
    span: Span


@dataclass
class TemplateHeader:
    """What a template declares about itself; `variables` maps names to type expressions."""

    phase: str | None = None
    feature_type: str | None = None
    variables: dict[str, str] = field(default_factory=dict)
    span: Span | None = None
    phase_span: Span | None = None
    variable_spans: dict[str, Span] = field(default_factory=dict)
    optional_variables: set[str] = field(default_factory=set)
    """Names declared with `?`: the renderer may leave them out."""
    errors: list[HeaderError] = field(default_factory=list)


@dataclass
class Suppressions:
    """Codes silenced per 0-based line and for the whole file."""

    by_line: dict[int, set[str]] = field(default_factory=dict)
    file: set[str] = field(default_factory=set)

    def is_suppressed(self, code: str, line: int) -> bool:
        """Membership tests only: a union of the sets per finding made a comment listing
        thousands of codes quadratic (one finding per unknown code)."""
        for codes in (self.file, self.by_line.get(line, ())):
            if code in codes or ALL_CODES in codes:
                return True
        return False


@dataclass(frozen=True)
class _Piece:
    text: str
    start: int


def _split_top_level(text: str, start: int, separators: str = ",") -> list[_Piece]:
    pieces: list[_Piece] = []
    depth, begin = 0, 0
    for position, char in enumerate(text + separators[0]):
        if char in "[(":
            depth += 1
        elif char in "])":
            depth -= 1
        elif char in separators and depth <= 0 and position >= begin:
            raw = text[begin:position]
            stripped = raw.strip()
            if stripped:
                offset = start + begin + (len(raw) - len(raw.lstrip()))
                pieces.append(_Piece(stripped, offset))
            begin = position + 1
    return pieces


class _CommentReader:
    """Reads the directives of one `prompt-tool:` comment into a header and suppressions."""

    def __init__(self, lines: LineMap, header: TemplateHeader, suppressions: Suppressions):
        self.lines = lines
        self.header = header
        self.suppressions = suppressions

    def span(self, start: int, length: int) -> Span:
        return Span(self.lines.position(start), self.lines.position(start + max(length, 1)))

    def error(self, message: str, start: int, length: int) -> None:
        self.header.errors.append(HeaderError(message, self.span(start, length)))

    def read(self, token: Token) -> None:
        text = token.value
        marker = text.find(MARKER)
        if marker < 0 or text[:marker].strip(" -\n\t"):
            return
        body_start = marker + len(MARKER)
        body = text[body_start:].rstrip(" -\n\t")
        start = token.offset + body_start
        stripped = body.lstrip()
        start += len(body) - len(stripped)
        if stripped.startswith("vars"):
            self._variables(stripped[4:], start + 4, token)
        elif (
            stripped.split("=", 1)[0].strip() in SUPPRESS_KEYS or stripped.strip() in SUPPRESS_KEYS
        ):
            self._suppression(stripped, start, token)
        else:
            self._settings(stripped, start, token)

    def _settings(self, text: str, start: int, token: Token) -> None:
        self.header.span = self.header.span or token.span
        for piece in _split_top_level(text, start, ", \n\t"):
            key, equals, value = piece.text.partition("=")
            key, value = key.strip(), value.strip()
            if not equals or not value:
                self.error(
                    f"expected `key=value` in the header, got {piece.text!r}",
                    piece.start,
                    len(piece.text),
                )
            elif key not in HEADER_KEYS:
                known = ", ".join(sorted(HEADER_KEYS | {"vars"} | SUPPRESS_KEYS))
                self.error(f"unknown header key {key!r} (known: {known})", piece.start, len(key))
            elif key == "phase":
                self.header.phase = value
                self.header.phase_span = self.span(
                    piece.start + piece.text.index(value, len(key)), len(value)
                )
            else:
                self.header.feature_type = value

    def _variables(self, text: str, start: int, token: Token) -> None:
        self.header.span = self.header.span or token.span
        for piece in _split_top_level(text, start):
            name, colon, expression = piece.text.partition(":")
            name, expression = name.strip(), expression.strip()
            is_optional = name.endswith("?")
            name = name.removesuffix("?").rstrip()
            if not _NAME.match(name):
                self.error(
                    f"expected `name: type` in the vars header, got {piece.text!r}",
                    piece.start,
                    len(piece.text),
                )
            elif name in self.header.variables:
                self.error(f"variable {name!r} is declared twice", piece.start, len(name))
            else:
                self.header.variables[name] = expression if colon and expression else "Any"
                self.header.variable_spans[name] = self.span(piece.start, len(name))
                if is_optional:
                    self.header.optional_variables.add(name)

    def _suppression(self, text: str, start: int, token: Token) -> None:
        key, equals, value = text.partition("=")
        pieces = _split_top_level(value, start + len(key) + len(equals))
        names = {piece.text for piece in pieces} or {ALL_CODES}
        codes = {_BY_NAME.get(name, name) for name in names}
        reported: set[str] = set()
        for piece in pieces:
            if piece.text not in reported and not _CODE.match(_BY_NAME.get(piece.text, piece.text)):
                reported.add(piece.text)
                message = f"{piece.text!r} is not a rule code (PT001…) or rule name"
                self.error(message, piece.start, len(piece.text))
        key = key.strip()
        if key == "disable-file":
            self.suppressions.file |= codes
            return
        line = token.span.start.line if key == "disable" else token.span.end.line + 1
        self.suppressions.by_line.setdefault(line, set()).update(codes)


def read_directives(tokens: Iterable[Token], lines: LineMap) -> tuple[TemplateHeader, Suppressions]:
    """The header and suppressions declared by the `prompt-tool:` comments among `tokens`."""
    header, suppressions = TemplateHeader(), Suppressions()
    reader = _CommentReader(lines, header, suppressions)
    for token in tokens:
        if token.kind == "comment" and MARKER in token.value:
            reader.read(token)
    return header, suppressions
