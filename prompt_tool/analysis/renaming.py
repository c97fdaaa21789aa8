"""Renaming a variable, macro, `with` variable or block inside one template, or why not;
and the include names to rewrite when template files are renamed.

Only bindings a statement of this template makes are renamed: a contract variable or a
global comes from the renderer, so renaming it in one template would break the contract.
The decision needs scopes, so a template that does not parse is refused rather than
renamed lexically (a guess could rename a different variable of the same spelling).
A block is matched by name across `extends`, so one is renamed only in a template that
neither extends another nor is extended: elsewhere the rename would break an override.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from prompt_tool.analysis.diagnostics import Position, Span
from prompt_tool.analysis.document import DocumentModel
from prompt_tool.analysis.highlighting import (
    STATEMENT_KEYWORDS,
    TokenKind,
    classify,
    statements,
)
from prompt_tool.analysis.name_resolution import is_current, resolve_at, scope_of
from prompt_tool.analysis.parsing import split_pin
from prompt_tool.analysis.positions import SpannedToken, lex
from prompt_tool.analysis.scopes import Frame
from prompt_tool.analysis.template_links import template_references

RESERVED_NAMES = STATEMENT_KEYWORDS | frozenset(
    {
        "block",
        "call",
        "endblock",
        "endcall",
        "endfilter",
        "endfor",
        "endif",
        "endmacro",
        "endset",
        "endwith",
        "extends",
        "filter",
        "for",
        "include",
        "loop",
        "macro",
        "raw",
        "self",
        "set",
        "super",
        "caller",
        "varargs",
        "kwargs",
    }
)
_WHAT_TOKENS_ARE = {
    TokenKind.FILTER: "a filter",
    TokenKind.TEST: "a test",
    TokenKind.KEYWORD: "a keyword",
    TokenKind.PROPERTY: "an attribute",
}


@dataclass(frozen=True)
class Replacement:
    """Put `text` where `span` is."""

    span: Span
    text: str


@dataclass(frozen=True)
class Dependants:
    """The workspace templates that extend this one (they override its blocks by name) and
    that import it (they call its macros by name, and may pass arguments by keyword)."""

    extenders: tuple[str, ...] = ()
    importers: tuple[str, ...] = ()


class RenameRefused(Exception):
    """Why the name under the cursor cannot be renamed (or not to the new name)."""


@dataclass(frozen=True)
class RenameTarget:
    """The binding under the cursor: its name, the span under the cursor, every binding
    site and read of it (in document order), and the frame that binds it (None for a
    block, whose name is its own namespace)."""

    name: str
    span: Span
    spans: tuple[Span, ...]
    frame: Frame | None


def rename_target(
    model: DocumentModel | None,
    source: str,
    position: Position,
    dependants: Dependants = Dependants(),
) -> RenameTarget:
    """The binding a rename at `position` would rename; raises `RenameRefused` otherwise."""
    if not is_current(model, source):
        raise RenameRefused("The template does not parse: fix it before renaming.")
    found = resolve_at(model, position)
    if found is None and (block := _block_at(source, position)) is not None:
        _check_block_is_local(source, block.name, dependants.extenders)
        return block
    if found is None:
        raise RenameRefused(_not_a_name(source, position))
    definition = found.definition
    if definition is None or definition.span is None:
        raise RenameRefused(
            f"`{found.name}` is not bound in this template (a contract variable, a global "
            "or an imported name): renaming it here would break what provides it."
        )
    if definition.origin in {"macro", "argument"} and dependants.importers:
        raise RenameRefused(
            f"`{dependants.importers[0]}` imports this template: it calls its macros by "
            f"name, so renaming `{found.name}` here would break it."
        )
    found_spans = {*found.uses, *found.definitions}
    if definition.origin == "argument":
        found_spans.update(_keyword_arguments(model, source, definition.span, found.name))
    spans = tuple(sorted(found_spans, key=lambda span: span.start))
    under = next(span for span in spans if span.start <= position <= span.end)
    return RenameTarget(found.name, under, spans, definition.frame)


def _keyword_arguments(model: DocumentModel, source: str, argument: Span, name: str) -> list[Span]:
    """The `name=` keywords of the calls (in this template) to the macro declaring the
    argument at `argument`: renaming the argument renames how callers pass it."""
    tokens = lex(source)
    declaring = next(
        (
            statement
            for statement in statements(tokens)
            if statement.tag == "macro"
            and statement.span.start <= argument.start <= statement.span.end
            and len(statement.body) > 1
        ),
        None,
    )
    macro = resolve_at(model, declaring.body[1].span.start) if declaring else None
    calls = set(macro.uses) if macro is not None else set()
    found: list[Span] = []
    for index, token in enumerate(tokens):
        if token.span in calls:
            found += _keywords_in_call(tokens, index + 1, name)
    return found


def _keywords_in_call(tokens: Sequence[SpannedToken], start: int, name: str) -> list[Span]:
    if start >= len(tokens) or tokens[start].value != "(":
        return []
    found: list[Span] = []
    depth = 0
    for index in range(start, len(tokens) - 1):
        token = tokens[index]
        if token.type == "operator" and token.value in {"(", "[", "{"}:
            depth += 1
        elif token.type == "operator" and token.value in {")", "]", "}"}:
            depth -= 1
            if depth == 0:
                break
        elif depth == 1 and token.value == name and tokens[index + 1].value == "=":
            found.append(token.span)
    return found


def rename_edits(
    model: DocumentModel | None,
    source: str,
    position: Position,
    new_name: str,
    dependants: Dependants = Dependants(),
) -> tuple[Span, ...]:
    """The spans to replace with `new_name`; raises `RenameRefused` when the rename is
    refused or `new_name` is not a free Jinja identifier where the binding is used."""
    target = rename_target(model, source, position, dependants)
    _check_identifier(new_name)
    if new_name == target.name:
        return target.spans
    if target.frame is None:
        if new_name in _block_names(source):
            raise RenameRefused(f"A block `{new_name}` already exists in this template.")
    else:
        assert model is not None
        _check_capture(model, target, new_name)
    return target.spans


def _block_names(source: str) -> set[str]:
    return {token.value for token in _block_tokens(lex(source))}


def _block_tokens(tokens: Sequence[SpannedToken]) -> list[SpannedToken]:
    """The tokens that name a block: in `block` and `endblock` tags, and after `self.`."""
    named = [
        statement.body[1]
        for statement in statements(tokens)
        if statement.tag in {"block", "endblock"}
        and len(statement.body) > 1
        and statement.body[1].type == "name"
    ]
    named += [
        token
        for first, dot, token in zip(tokens, tokens[1:], tokens[2:], strict=False)
        if first.value == "self" and dot.value == "." and token.type == "name"
    ]
    return sorted(named, key=lambda token: token.span.start)


def _block_at(source: str, position: Position) -> RenameTarget | None:
    tokens = _block_tokens(lex(source))
    under = next((t for t in tokens if t.span.start <= position <= t.span.end), None)
    if under is None:
        return None
    spans = tuple(token.span for token in tokens if token.value == under.value)
    return RenameTarget(under.value, under.span, spans, None)


def _check_block_is_local(source: str, name: str, extenders: Sequence[str]) -> None:
    if any(reference.tag == "extends" for reference in template_references(source)):
        raise RenameRefused(
            f"This template extends another: block `{name}` overrides the parent's by name."
        )
    if extenders:
        raise RenameRefused(
            f"`{extenders[0]}` extends this template: its blocks override `{name}` by name."
        )


def _not_a_name(source: str, position: Position) -> str:
    for token, kind in classify(lex(source)):
        if token.span.start <= position <= token.span.end and kind in _WHAT_TOKENS_ARE:
            return f"`{token.value}` is {_WHAT_TOKENS_ARE[kind]}, not a variable or macro."
    return "There is no variable or macro under the cursor to rename."


def _check_identifier(new_name: str) -> None:
    if not new_name.isidentifier():
        raise RenameRefused(f"`{new_name}` is not a valid Jinja name.")
    if new_name in RESERVED_NAMES:
        raise RenameRefused(f"`{new_name}` is a Jinja keyword or reserved name.")


def _check_capture(model: DocumentModel, target: RenameTarget, new_name: str) -> None:
    """Refuse when a binding of `new_name` is in scope where the renamed binding is used
    (the renamed reads would see it), or when a read of `new_name` would see the renamed
    binding instead of what it reads now."""
    scoped = scope_of(model)
    for span in target.spans:
        frame, _ = scoped.resolve(new_name, span.start)
        if frame is not None:
            raise RenameRefused(
                f"`{new_name}` is already defined where `{target.name}` is used "
                f"(line {span.start.line + 1}): the rename would change what it refers to."
            )
    for read in model.references:
        if read.name != new_name:
            continue
        sees, _ = scoped.resolve(target.name, read.span.start)
        now, _ = scoped.resolve(new_name, read.span.start)
        if sees is not None and sees is target.frame and (now is None or _encloses(now, sees)):
            raise RenameRefused(
                f"`{new_name}` is read on line {read.span.start.line + 1} where the renamed "
                f"`{target.name}` would shadow it."
            )


def _encloses(outer: Frame, inner: Frame) -> bool:
    frame: Frame | None = inner
    while frame is not None:
        if frame is outer:
            return True
        frame = frame.parent
    return False


def renamed_template_names(source: str, renamed: Mapping[str, str]) -> list[Replacement]:
    """The include/extends/import/from names in `source` naming a renamed template, each
    with its new name; a `@pin` suffix is kept (the pin names a version, not a file)."""
    if not any(old in source for old in renamed):
        return []
    replacements: list[Replacement] = []
    for reference in template_references(source):
        base, pin = split_pin(reference.name)
        if base in renamed:
            suffix = f"@{pin}" if pin is not None else ""
            replacements.append(Replacement(reference.span, renamed[base] + suffix))
    return replacements
