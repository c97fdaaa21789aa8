"""Hover texts (Markdown): what an include resolves to, what a filter, test or name is."""

from __future__ import annotations

import inspect
from dataclasses import dataclass

from jinja2 import Environment

from prompt_tool.analysis.checks import AttributeAccess, Reference
from prompt_tool.analysis.diagnostics import Position, Span
from prompt_tool.analysis.document import DocumentModel
from prompt_tool.analysis.highlighting import TokenKind, classify
from prompt_tool.analysis.navigation import NameKind, definition_of, name_at
from prompt_tool.analysis.positions import lex
from prompt_tool.analysis.template_links import TemplateReference
from prompt_tool.analysis.typeinfo import Kind

PREVIEW_LINES = 10


@dataclass(frozen=True)
class HoverText:
    """Markdown to show, and the span of the text it describes."""

    markdown: str
    span: Span


def include_hover(
    reference: TemplateReference,
    location: str | None,
    target_source: str | None,
    published: str | None = None,
) -> HoverText:
    """The template an include/extends/import names: where it is (a file, or the published
    version it resolves to, `published`) and its first lines."""
    if target_source is None:
        return HoverText(f"**{reference.name}**: no such template", reference.span)
    lines = target_source.splitlines()
    preview = "\n".join(lines[:PREVIEW_LINES])
    more = f"\n\n…{len(lines) - PREVIEW_LINES} more lines" if len(lines) > PREVIEW_LINES else ""
    where = f" — `{location}`" if location else ""
    where = f" — published {published}" if published and not location else where
    markdown = f"**{reference.name}**{where}\n\n```jinja\n{preview}\n```{more}"
    return HoverText(markdown, reference.span)


def typed_hover(model: DocumentModel, position: Position) -> HoverText | None:
    """The type (and description) of the variable or attribute under the cursor; None when
    the analyser knows no type for it (the lexical hover then says what it can)."""
    found = model.reference_at(position)
    if found is None or found.type.kind == Kind.ANY:
        return None
    if isinstance(found, AttributeAccess):
        field = found.owner.fields.get(found.attribute)
        doc = field.doc if field is not None else ""
        title = f"**{found.owner.name}.{found.attribute}**: `{found.type.name}`"
        return HoverText(f"{title}\n\n{doc}".strip(), found.span)
    if isinstance(found, Reference):
        binding = model.bindings_at(position).get(found.name)
        doc = binding.doc if binding is not None else ""
        return HoverText(f"**{found.name}**: `{found.type.name}`\n\n{doc}".strip(), found.span)
    return None


def hover_at(source: str, position: Position, environment: Environment) -> HoverText | None:
    """A filter's or test's documentation, or how a name under the cursor is defined."""
    for token, kind in classify(lex(source)):
        if (
            kind in {TokenKind.FILTER, TokenKind.TEST}
            and token.span.start <= position <= token.span.end
        ):
            table = environment.filters if kind == TokenKind.FILTER else environment.tests
            doc = inspect.getdoc(table.get(token.value)) if token.value in table else None
            title = f"**{token.value}** ({kind.value})"
            body = doc.split("\n\n")[0] if doc else f"not a {kind.value} of this environment"
            return HoverText(f"{title}\n\n{body}", token.span)
    return _defined_name_hover(source, position)


def _defined_name_hover(source: str, position: Position) -> HoverText | None:
    name = name_at(source, position)
    defined = definition_of(source, name.value, position) if name else None
    if name is None or defined is None:
        return None
    signature = f"({', '.join(defined.parameters)})" if defined.kind == NameKind.MACRO else ""
    line = defined.span.start.line + 1
    return HoverText(f"**{name.value}{signature}** — {defined.kind.value}, line {line}", name.span)
