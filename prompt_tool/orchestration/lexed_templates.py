"""Each template's last lexed text, so that lexing an edited text re-lexes only the edit.

The preview compiles, and reads the `prompt-tool:` header of, the template being edited on
every keystroke; lexing a dense 300-line template whole costs ~15 ms. The analyser's
incremental lexer (`analysis.incremental.relex_edited`) re-lexes from the chunk before the
edit to the chunk after it and moves the rest; the last text lexed for each (lexer, name) is
kept here as the base of the next edit. A text that does not lex is not kept (the last one
that did stays the base), and whatever cannot be lexed locally is lexed whole.
"""

from __future__ import annotations

from collections.abc import Hashable

from jinja2 import Environment

from prompt_tool.analysis.header import TemplateHeader, read_directives
from prompt_tool.analysis.incremental import relex_edited
from prompt_tool.analysis.parsing import read_header
from prompt_tool.analysis.positions import TokenIndex, normalise_newlines
from prompt_tool.core.bounded_map import BoundedMap


class Lexed:
    """A template's text, its tokens and top-level chunks: where the next edit re-lexes from."""

    def __init__(self, index: TokenIndex, chunks: list[int]) -> None:
        self.index = index
        self.chunks = chunks


LEXED: BoundedMap[Hashable, Lexed] = BoundedMap(64)
"""The last lexed text of each (lexer, template name)."""


def lexed_text(
    environment: Environment, name: str, text: str, store: BoundedMap[Hashable, Lexed] | None = None
) -> Lexed | None:
    """`text` lexed, re-lexing only around the edit when the template's last text is known
    (kept by lexer and name: the lexer's identity is its settings)."""
    key = (environment.lexer, name)
    store = LEXED if store is None else store
    previous = store.get(key)
    lexed: Lexed | None = None
    if previous is not None and previous.index.source == text:
        return previous
    if previous is not None:
        relexed = relex_edited(environment, previous.index, previous.chunks, text, name)
        if relexed is not None and relexed.shift is not None:
            lexed = Lexed(relexed.index, relexed.chunks)
    if lexed is None:
        index = TokenIndex.build(environment, text, name)
        chunks = index.top_level_starts() if index.lex_error is None else None
        if chunks is None:
            return None
        lexed = Lexed(index, chunks)
    store.put(key, lexed)
    return lexed


def lexed_header(environment: Environment, name: str, source: str) -> TemplateHeader:
    """The `prompt-tool:` header of `source`, lexed from `name`'s last lexed text."""
    lexed = lexed_text(environment, name, normalise_newlines(source))
    if lexed is None:
        return read_header(environment, source)
    return read_directives(lexed.index.comments, lexed.index.lines)[0]
