"""Re-parse only the top-level statements an edit touches.

Jinja has no incremental parser, and lexing and parsing a 300-line template whole costs
about 20 ms — most of a keystroke's budget in the editor. A template's top level is a run of
chunks, each one top-level `{% … %}` statement (through its end tag) and the text and `{{ }}`
after it up to the next top-level `{%`. Jinja's parser closes its output node at every `{%`,
so a chunk parsed alone yields exactly the nodes the whole parse gives it. An edit is
therefore re-lexed and re-parsed from the chunk before it through the chunk after it, the
lexer running on into the unchanged text so that whitespace control sees what it would in a
whole pass; the other chunks keep their tokens and nodes, moved to their new place.

Whenever that equivalence is not certain — an extension or line statements that may change
the rules, block tags that do not balance inside the re-parsed chunks, the lexer not back
outside every tag where the old text resumes, a syntax error that may depend on the text
after the chunks — `parse_edited` parses the whole text instead. A template that stops
parsing keeps its last good parse as `base`, so the edit that repairs it is again local.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterable
from dataclasses import dataclass
from functools import partial

from jinja2 import Environment, TemplateSyntaxError, nodes
from jinja2.lexer import TokenStream
from jinja2.parser import Parser

from prompt_tool.analysis.parsing import ParsedTemplate, parse_template, parse_tokens
from prompt_tool.analysis.positions import Item, Token, TokenIndex, normalise_newlines

SAFE_EXTENSIONS = frozenset(
    {
        "jinja2.ext.LoopControlExtension",
        "jinja2.ext.ExprStmtExtension",
        "jinja2.ext.DebugExtension",
    }
)
"""Extensions known to add only single tags and no stream filter: chunks stay independent."""


def supports_incremental(environment: Environment) -> bool:
    return (
        environment.line_statement_prefix is None
        and environment.line_comment_prefix is None
        and set(environment.extensions) <= SAFE_EXTENSIONS
    )


def parse_edited(environment: Environment, previous: ParsedTemplate, source: str) -> ParsedTemplate:
    """`source` parsed as `parse_template` would, reusing what `previous` parsed of it."""
    base = previous if previous.ast is not None else previous.base
    parsed = None
    if base is not None and base.chunks is not None and supports_incremental(environment):
        try:
            parsed = _reparse(environment, base, source)
        except Exception:  # RecursionError on deep trees; never worse than a whole parse
            parsed = None
    if parsed is None:
        parsed = parse_template(environment, previous.name, source)
    if parsed.ast is None:
        parsed.base = base
    return parsed


@dataclass
class Relexed:
    """A source lexed by re-lexing only the chunks an edit touched (blocks not yet paired).

    `chunks` is the token index of each top-level `{%`; the tokens of `[first, last)` are
    new, those before kept and those after moved (`shift`) from the previous lex.
    """

    index: TokenIndex
    chunks: list[int]
    first: int
    last: int
    shift: _Shift | None
    """None when the re-lexed text does not lex (`index.lex_error`): then only the tokens
    before the error are known."""


def relex_edited(
    environment: Environment, old: TokenIndex, chunks: list[int], source: str, name: str | None
) -> Relexed | None:
    """`source` (newlines normalised) lexed as a whole pass would, re-lexing only around the
    edit from `old` (the previous source's tokens and its `chunks`); None when a local
    re-lex cannot be proved equal to a whole one."""
    region = _Region.around_edit(old.source, old.items, chunks, source)
    if region is None:
        return None
    index = TokenIndex(source)
    index.items = old.items[: region.first]
    index.reuse_tokens(old, region.first)
    index.tags = old.tags[: bisect_left(old.tags, region.first)]
    index.comments = [comment for comment in old.comments if comment.end <= region.start]
    first_tag = len(index.tags)
    try:
        resumed = index.lex_from(environment, name, region.start, region.new_stop)
    except TemplateSyntaxError as lex_error:
        # The lexer reads from the chunk boundary just as a whole pass would: same error.
        index.lex_error = lex_error
        return Relexed(index, [], region.first, len(index.items), None)
    starts = index.top_level_starts(first_tag) if resumed else None
    if starts is None:
        return None
    last = len(index.items)
    shift = _Shift(last - region.last, len(source) - len(old.source), index, old)
    index.items += shift.items(old.items[region.last :])
    index.tags += [tag + shift.tokens for tag in old.tags[bisect_left(old.tags, region.last) :]]
    index.comments += shift.comments(c for c in old.comments if c.offset >= region.old_stop)
    moved = [
        *(chunk for chunk in chunks if chunk < region.first),
        *starts,
        *(chunk + shift.tokens for chunk in chunks if chunk >= region.last),
    ]
    return Relexed(index, moved, region.first, last, shift)


def _reparse(environment: Environment, old: ParsedTemplate, source: str) -> ParsedTemplate | None:
    text = normalise_newlines(source)
    relexed = relex_edited(environment, old.tokens, old.chunks or [], text, old.name)
    if relexed is None:
        return None
    index, first, last, shift = relexed.index, relexed.first, relexed.last, relexed.shift
    if shift is None:
        index.pair_blocks()
        return parse_tokens(old.name, source, index, partial(_raise, index.lex_error))
    body, error = _parse_region(environment, old.name, index.items, first, last)
    if body is None and error is None:
        return None
    index.pair_blocks()
    chunks = relexed.chunks
    if body is None or old.ast is None:
        return parse_tokens(old.name, source, index, partial(_raise, error), chunks)
    linenos = [node.lineno for node in old.ast.body]
    before = old.ast.body[: bisect_left(linenos, first)]
    after = old.ast.body[bisect_left(linenos, last - shift.tokens) :]
    moved = [shift.node(node) for node in after] if shift.tokens else after
    template = nodes.Template([*before, *body, *moved], lineno=1)
    template.environment = environment
    return parse_tokens(old.name, source, index, lambda: template, chunks)


def _raise(error: TemplateSyntaxError | None) -> nodes.Template:
    raise error or TemplateSyntaxError("cannot parse", 1)


@dataclass(frozen=True)
class _Region:
    """The chunks to re-lex, from the chunk before the edit through the chunk after it: their
    token indices [first, last) in the old parse, and offsets (`new_stop` None: to the end)."""

    first: int
    last: int
    start: int
    old_stop: int
    new_stop: int | None

    @classmethod
    def around_edit(
        cls, before: str, items: list[Item], chunks: list[int], text: str
    ) -> _Region | None:
        prefix, suffix = _common_ends(before, text)
        bounds = [0, *(chunk for chunk in chunks if chunk > 0)]
        offsets = [0, *(items[chunk][2] for chunk in bounds[1:])]
        first = max(bisect_right(offsets, prefix) - 2, 0)
        last = bisect_right(offsets, len(before) - suffix) + 1
        if first == 0 and last >= len(bounds):
            return None
        if last >= len(bounds):
            return cls(bounds[first], len(items), offsets[first], len(before), None)
        grown = len(text) - len(before)
        return cls(
            bounds[first], bounds[last], offsets[first], offsets[last], offsets[last] + grown
        )


def _common_ends(old: str, new: str) -> tuple[int, int]:
    """Lengths of the common prefix and of the common suffix (not overlapping the prefix),
    by bisection over slice comparisons, which run at C speed."""
    shortest = min(len(old), len(new))
    low, high = 0, shortest
    while low < high:
        middle = (low + high + 1) // 2
        if old[:middle] == new[:middle]:
            low = middle
        else:
            high = middle - 1
    prefix = low
    low, high = 0, shortest - prefix
    while low < high:
        middle = (low + high + 1) // 2
        if old[len(old) - middle :] == new[len(new) - middle :]:
            low = middle
        else:
            high = middle - 1
    return prefix, low


def _parse_region(
    environment: Environment, name: str, items: list[Item], first: int, last: int
) -> tuple[list[nodes.Node] | None, TemplateSyntaxError | None]:
    """The nodes of `items[first:last]` parsed alone, or the syntax error the whole parse
    would raise too: one before the region's last token and not about the end of input."""
    parser = Parser(environment, "", name)
    indexed = ((first + offset, item[0], item[1]) for offset, item in enumerate(items[first:last]))
    parser.stream = TokenStream(environment.lexer.wrap(indexed, name), name, None)
    try:
        body = parser.subparse()
    except TemplateSyntaxError as error:
        message = error.message or ""
        is_local = error.lineno < last - 1 and not message.startswith("Unexpected end")
        return None, error if is_local else None
    except Exception:
        return None, None
    for node in body:
        node.set_environment(environment)
    return body, None


class _Shift:
    """Moves what follows the re-parsed region: token indices, offsets and lines."""

    def __init__(self, tokens: int, chars: int, index: TokenIndex, old: TokenIndex) -> None:
        self.tokens = tokens
        self.chars = chars
        self.lines = len(index.lines.starts) - len(old.lines.starts)
        self.index = index

    def items(self, items: list[Item]) -> list[Item]:
        chars, lines = self.chars, self.lines
        if not chars and not lines:
            return items
        return [
            (kind, value, start + chars, end + chars, line + lines)
            for kind, value, start, end, line in items
        ]

    def comments(self, comments: Iterable[Token]) -> list[Token]:
        chars, lines = self.chars, self.lines
        return [
            Token(
                self.index.lines,
                -1,
                c.kind,
                c.value,
                c.offset + chars,
                c.end + chars,
                c.line + lines,
                "",
            )
            for c in comments
        ]

    def node(self, node: nodes.Node) -> nodes.Node:
        """A copy of `node` whose tree's token indices (`lineno`) are moved; never mutates
        `node`, which the previous version's analysis still holds."""
        clone = object.__new__(type(node))
        clone.__dict__.update(node.__dict__)
        if node.lineno is not None:  # a comparison's operands have none
            clone.lineno = node.lineno + self.tokens
        for field in node.fields:
            value = getattr(node, field, None)
            if isinstance(value, nodes.Node):
                setattr(clone, field, self.node(value))
            elif type(value) is list:
                moved = [
                    self.node(item) if isinstance(item, nodes.Node) else item for item in value
                ]
                setattr(clone, field, moved)
        return clone
