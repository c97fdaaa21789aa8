"""Hover: an include name shows the template it resolves to (a file, or a published version
with its labels) and its first lines; a filter or test its documentation; a defined name
how it is defined."""

from __future__ import annotations

from lsprotocol import types

from lsp_server import analysis_api as api
from lsp_server.capabilities import renders_markdown_in_hover
from lsp_server.server import PromptToolServer
from prompt_tool.analysis.diagnostics import Position


def register(server: PromptToolServer) -> None:
    @server.feature(types.TEXT_DOCUMENT_HOVER)
    @server.guarded("hover")
    async def hover(params: types.HoverParams) -> types.Hover | None:
        uri = params.text_document.uri
        source = server.workspace.get_text_document(uri).source
        text = server.client_text(uri)
        position = api.analysis_position(params.position, text)
        model = await server.runner.document(server.template_name(uri))
        typed = api.typed_hover(model, position) if model is not None else None
        found = typed or _hover(server, source, position)
        return (
            api.lsp_hover(
                found.markdown,
                found.span,
                text,
                renders_markdown_in_hover(server.client_capabilities),
            )
            if found
            else None
        )


def _hover(server: PromptToolServer, source: str, position: Position) -> api.HoverText | None:
    reference = api.reference_at(api.template_references(source), position)
    if reference is None:
        return api.hover_at(source, position, server.environment)
    path = server.files.path_for(reference.name)
    target = server.source_for(reference.name)
    published = server.published.summary(reference.name) if target is None else None
    if published is not None:
        return api.include_hover(reference, None, published[1], published=published[0])
    return api.include_hover(reference, str(path) if path else None, target)
