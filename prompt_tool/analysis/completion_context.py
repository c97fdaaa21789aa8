"""What the cursor is in the middle of: a filter, a test, an attribute, a template name…

Read from the lexer's tokens before the cursor, so it works in the half-typed text that
completion is asked for (where the parser gives up).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from prompt_tool.analysis.diagnostics import Position, Span
from prompt_tool.analysis.positions import SpannedToken, lex, normalise_newlines
from prompt_tool.analysis.template_links import REFERENCING_TAGS

_WORD_BEFORE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*$")
_OPEN_TEMPLATE_NAME = re.compile(
    r"^\s*(?P<tag>\w+)\b[^\"']*(?:[\"'][^\"']*[\"'][^\"']*)*[\"'](?P<prefix>[^\"']*)$"
)


class ContextKind(StrEnum):
    """Where the cursor is, as far as completion cares."""

    NONE = "none"
    TAG = "tag"
    EXPRESSION = "expression"
    ATTRIBUTE = "attribute"
    FILTER = "filter"
    TEST = "test"
    BLOCK_NAME = "block-name"
    TEMPLATE_NAME = "template-name"


@dataclass(frozen=True)
class CompletionContext:
    """The kind of completion wanted, the text typed so far and the span it replaces."""

    kind: ContextKind
    prefix: str
    span: Span
    owner: tuple[str, ...] = ()
    tag: str = ""


def completion_context(source: str, position: Position) -> CompletionContext:
    """The completion context at `position` (0-based line, code-point column)."""
    before = _text_before(normalise_newlines(source), position)
    word = _WORD_BEFORE.search(before)
    prefix = word.group(0) if word else ""
    span = Span(Position(position.line, position.column - len(prefix)), position)
    name = _OPEN_TEMPLATE_NAME.match(_open_statement_text(before) or "")
    if name is not None and name.group("tag") in REFERENCING_TAGS:
        typed = name.group("prefix")
        start = Position(position.line, position.column - len(typed))
        return CompletionContext(
            ContextKind.TEMPLATE_NAME, typed, Span(start, position), tag=name.group("tag")
        )
    tokens = lex(before[: len(before) - len(prefix)])
    return _from_tokens(tokens, prefix, span)


def _text_before(text: str, position: Position) -> str:
    lines = text.split("\n")
    if position.line >= len(lines):
        return text
    return "\n".join([*lines[: position.line], lines[position.line][: position.column]])


def _open_statement_text(before: str) -> str | None:
    """The text after the last `{%` when no `%}` closes it (string contents included)."""
    start = before.rfind("{%")
    if start < 0 or "%}" in before[start:]:
        return None
    return before[start + 2 :].lstrip("-+")


def _from_tokens(tokens: list[SpannedToken], prefix: str, span: Span) -> CompletionContext:
    opened = _open_tag(tokens)
    if opened is None:
        return CompletionContext(ContextKind.NONE, prefix, span)
    inside = tokens[opened + 1 :]
    if not inside:
        is_statement = tokens[opened].type == "block_begin"
        kind = ContextKind.TAG if is_statement else ContextKind.EXPRESSION
        return CompletionContext(kind, prefix, span)
    last = inside[-1]
    if last.type == "operator" and last.value == "|":
        return CompletionContext(ContextKind.FILTER, prefix, span)
    if last.type == "operator" and last.value == ".":
        return CompletionContext(ContextKind.ATTRIBUTE, prefix, span, owner=_owner(inside[:-1]))
    if last.type == "name" and (
        last.value == "is" or (last.value == "not" and len(inside) > 1 and inside[-2].value == "is")
    ):
        return CompletionContext(ContextKind.TEST, prefix, span)
    if len(inside) == 1 and last.type == "name" and last.value in {"block", "endblock"}:
        return CompletionContext(ContextKind.BLOCK_NAME, prefix, span)
    return CompletionContext(ContextKind.EXPRESSION, prefix, span)


def _open_tag(tokens: list[SpannedToken]) -> int | None:
    for index in range(len(tokens) - 1, -1, -1):
        token_type = tokens[index].type
        if token_type in {"variable_begin", "block_begin"}:
            return index
        if token_type.endswith("_end") or token_type in {"data", "comment"}:
            return None
    return None


def _owner(tokens: list[SpannedToken]) -> tuple[str, ...]:
    """`user.profile` for the tokens of `user.profile` before a final `.`."""
    path: list[str] = []
    index = len(tokens) - 1
    while index >= 0 and tokens[index].type == "name":
        path.insert(0, tokens[index].value)
        if index >= 1 and tokens[index - 1].value == ".":
            index -= 2
        else:
            break
    return tuple(path)
