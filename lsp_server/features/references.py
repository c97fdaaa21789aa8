"""References: the uses of the variable under the cursor bound to the same binding; an
include name's includers in the workspace and in the database (a read-only copy of each)."""

from __future__ import annotations

import asyncio

from lsprotocol import types

from lsp_server import analysis_api as api
from lsp_server.server import PromptToolServer


def register(server: PromptToolServer) -> None:
    @server.feature(types.TEXT_DOCUMENT_REFERENCES)
    @server.guarded("references", fallback=[])
    async def references(params: types.ReferenceParams) -> list[types.Location]:
        uri = params.text_document.uri
        source = server.workspace.get_text_document(uri).source
        text = server.client_text(uri)
        position = api.analysis_position(params.position, text)
        reference = api.reference_at(api.template_references(source), position)
        if reference is not None:
            return await _includers(server, reference.name)
        model = await server.runner.document(server.template_name(uri))
        spans = api.uses_at(model, source, position, params.context.include_declaration)
        return [api.lsp_location(uri, span, text) for span in spans]


async def _includers(server: PromptToolServer, reference: str) -> list[types.Location]:
    """Every place that includes, extends or imports `reference` (any pin): the includers
    come from the analyser's include graph (workspace templates, open or not) and from the
    published templates, without blocking the event loop; only those few are read."""
    name = api.split_pin(reference)[0]
    held = [includer for includer, _ in await server.runner.includers(name)]
    published = await asyncio.to_thread(server.published.includers_of, name)
    locations: list[types.Location] = []
    for includer in dict.fromkeys([*held, *published]):
        if (opened := _opened(server, includer)) is None:
            continue
        uri, source = opened
        text = api.ClientText(api.split_lines(source), server.encoding)
        locations += [
            api.lsp_location(uri, found.span, text)
            for found in api.template_references(source)
            if api.split_pin(found.name)[0] == name
        ]
    return locations


def _opened(server: PromptToolServer, name: str) -> tuple[str, str] | None:
    """A workspace template's URI and text, else its published read-only copy's URI and the
    published text it holds (already in memory: the copy is not read back)."""
    uri = server.target_uri(name)
    source = server.source_for(name) or server.published.get_source(name)
    return (uri, source) if uri is not None and source is not None else None
