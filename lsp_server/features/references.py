"""References: the uses of the variable under the cursor bound to the same binding; an
include name's includers in the workspace."""

from __future__ import annotations

from lsprotocol import types

from lsp_server.convert import analysis_position, lsp_location
from lsp_server.server import PromptToolServer
from prompt_tool.analysis.name_resolution import uses_at
from prompt_tool.analysis.template_links import reference_at, template_references


def register(server: PromptToolServer) -> None:
    @server.feature(types.TEXT_DOCUMENT_REFERENCES)
    @server.guarded("references", fallback=[])
    async def references(params: types.ReferenceParams) -> list[types.Location]:
        uri = params.text_document.uri
        source = server.workspace.get_text_document(uri).source
        text = server.client_text(uri)
        position = analysis_position(params.position, text)
        reference = reference_at(template_references(source), position)
        if reference is not None:
            return _includers(server, reference.name)
        model = await server.runner.document(server.template_name(uri))
        spans = uses_at(model, source, position, params.context.include_declaration)
        return [lsp_location(uri, span, text) for span in spans]


def _includers(server: PromptToolServer, name: str) -> list[types.Location]:
    """Every place in the workspace that includes, extends or imports template `name`."""
    names = dict.fromkeys([*server.files.list_names(), *server.open_template_names()])
    locations: list[types.Location] = []
    for includer in names:
        source = server.source_for(includer)
        target = server.uri_for(includer)
        if source is None or target is None:
            continue
        text = server.text_for(includer)
        for found in template_references(source):
            if found.name == name:
                locations.append(lsp_location(target, found.span, text))
    return locations
