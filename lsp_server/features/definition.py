"""Go to definition: include/extends/import targets (a workspace file, or a read-only copy
of a published template), and the binding in scope of a macro, block, set or loop variable."""

from __future__ import annotations

from lsprotocol import types

from lsp_server.convert import analysis_position, lsp_location
from lsp_server.server import PromptToolServer
from prompt_tool.analysis.diagnostics import Span
from prompt_tool.analysis.name_resolution import definition_at
from prompt_tool.analysis.template_links import reference_at, template_references

FILE_START = Span.at(0, 0, 0)


def register(server: PromptToolServer) -> None:
    @server.feature(types.TEXT_DOCUMENT_DEFINITION)
    @server.guarded("definition")
    async def definition(params: types.DefinitionParams) -> types.Location | None:
        uri = params.text_document.uri
        source = server.workspace.get_text_document(uri).source
        text = server.client_text(uri)
        position = analysis_position(params.position, text)
        reference = reference_at(template_references(source), position)
        if reference is not None:
            target = server.target_uri(reference.name)
            return lsp_location(target, FILE_START, text) if target else None
        model = await server.runner.document(server.template_name(uri))
        defined = definition_at(model, source, position)
        return lsp_location(uri, defined, text) if defined else None
