"""What the client announced it can do, asked in one place so features read as prose; and
the semantic-token legend the server announces, kept here (not in `convert`) so that
registering the feature does not import the analyser."""

from __future__ import annotations

from lsprotocol import types

SEMANTIC_TOKEN_TYPES: tuple[str, ...] = (
    types.SemanticTokenTypes.Macro,
    types.SemanticTokenTypes.Keyword,
    types.SemanticTokenTypes.Variable,
    types.SemanticTokenTypes.Property,
    types.SemanticTokenTypes.Function,
    types.SemanticTokenTypes.Method,
    types.SemanticTokenTypes.String,
    types.SemanticTokenTypes.Number,
    types.SemanticTokenTypes.Operator,
    types.SemanticTokenTypes.Comment,
)
"""The legend's order: `convert` maps each highlight kind to its index here."""
SEMANTIC_TOKENS_LEGEND = types.SemanticTokensLegend(
    token_types=list(SEMANTIC_TOKEN_TYPES), token_modifiers=[]
)


def uses_pull_diagnostics(capabilities: types.ClientCapabilities) -> bool:
    text_document = capabilities.text_document
    return bool(text_document and text_document.diagnostic)


def accepts_diagnostic_refresh(capabilities: types.ClientCapabilities) -> bool:
    workspace = capabilities.workspace
    diagnostics = workspace.diagnostics if workspace else None
    return bool(diagnostics and diagnostics.refresh_support)


def serves_configuration(capabilities: types.ClientCapabilities) -> bool:
    workspace = capabilities.workspace
    return bool(workspace and workspace.configuration)


def registers_file_watchers(capabilities: types.ClientCapabilities) -> bool:
    workspace = capabilities.workspace
    watched = workspace.did_change_watched_files if workspace else None
    return bool(watched and watched.dynamic_registration)


def creates_files(capabilities: types.ClientCapabilities) -> bool:
    workspace = capabilities.workspace
    edit = workspace.workspace_edit if workspace else None
    operations = edit.resource_operations if edit else None
    return bool(operations and types.ResourceOperationKind.Create in operations)


def shows_link_tooltips(capabilities: types.ClientCapabilities) -> bool:
    text_document = capabilities.text_document
    link = text_document.document_link if text_document else None
    return bool(link and link.tooltip_support)


def renders_markdown_in_completion(capabilities: types.ClientCapabilities) -> bool:
    text_document = capabilities.text_document
    completion = text_document.completion if text_document else None
    item = completion.completion_item if completion else None
    formats = item.documentation_format if item else None
    return bool(formats and types.MarkupKind.Markdown in formats)


def renders_markdown_in_hover(capabilities: types.ClientCapabilities) -> bool:
    text_document = capabilities.text_document
    hover = text_document.hover if text_document else None
    formats = hover.content_format if hover else None
    return bool(formats and types.MarkupKind.Markdown in formats)
