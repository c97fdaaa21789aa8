"""Go to definition: include/extends/import targets (a workspace file, or a read-only copy
of a published template), and the binding in scope of a macro, block, set or loop variable."""

from __future__ import annotations

from lsprotocol import types

from lsp_server import analysis_api as api
from lsp_server.server import PromptToolServer
from prompt_tool.analysis.diagnostics import Span

FILE_START = Span.at(0, 0, 0)


def register(server: PromptToolServer) -> None:
    @server.feature(types.TEXT_DOCUMENT_DEFINITION)
    @server.guarded("definition")
    async def definition(params: types.DefinitionParams) -> types.Location | None:
        uri = params.text_document.uri
        source = server.workspace.get_text_document(uri).source
        text = server.client_text(uri)
        position = api.analysis_position(params.position, text)
        reference = api.reference_at(api.template_references(source), position)
        if reference is not None:
            target = server.target_uri(reference.name)
            return api.lsp_location(target, FILE_START, text) if target else None
        model = await server.runner.document(server.template_name(uri))
        defined = api.definition_at(model, source, position)
        return api.lsp_location(uri, defined, text) if defined else None
