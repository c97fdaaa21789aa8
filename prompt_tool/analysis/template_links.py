"""Literal template names in `include`, `extends`, `import` and `from` tags, with their spans.

Only string literals are names a reader can follow; a computed name is the analyser's
`dynamic-template-name` finding, not a link.
"""

from __future__ import annotations

from dataclasses import dataclass

from jinja2 import Environment

from prompt_tool.analysis.diagnostics import Position, Span
from prompt_tool.analysis.highlighting import Statement, statements
from prompt_tool.analysis.positions import SpannedToken, lex

REFERENCING_TAGS = frozenset({"include", "extends", "import", "from"})
_NAME_LIST_END = frozenset({"as", "import", "with", "without", "ignore"})


@dataclass(frozen=True)
class TemplateReference:
    """One template name written in a tag: `span` covers the name between the quotes."""

    tag: str
    name: str
    span: Span


def template_references(
    source: str, environment: Environment | None = None
) -> list[TemplateReference]:
    """Every literal template name `source` refers to, in document order."""
    references: list[TemplateReference] = []
    for statement in statements(lex(source, environment)):
        if statement.tag in REFERENCING_TAGS:
            references.extend(_references_in(statement))
    return references


def _references_in(statement: Statement) -> list[TemplateReference]:
    references: list[TemplateReference] = []
    for token in statement.body[1:]:
        if token.type == "name" and token.value in _NAME_LIST_END:
            break
        if token.type == "string" and (reference := _literal(statement.tag, token)) is not None:
            references.append(reference)
    return references


def _literal(tag: str, token: SpannedToken) -> TemplateReference | None:
    text = token.value
    if len(text) < 2 or "\\" in text or token.span.start.line != token.span.end.line:
        return None
    start = token.span.start
    span = Span(
        Position(start.line, start.column + 1), Position(start.line, start.column + len(text) - 1)
    )
    return TemplateReference(tag, text[1:-1], span)


def reference_at(
    references: list[TemplateReference], position: Position
) -> TemplateReference | None:
    """The reference whose name contains `position` (its closing quote included)."""
    for reference in references:
        if reference.span.start <= position <= reference.span.end:
            return reference
    return None
