"""Go to definition: include/extends/import targets, and macros, blocks, sets, loop variables."""

from __future__ import annotations

from lsprotocol import types

from lsp_server.convert import analysis_position, lsp_location
from lsp_server.server import PromptToolServer
from prompt_tool.analysis.diagnostics import Span
from prompt_tool.analysis.navigation import definition_of, name_at
from prompt_tool.analysis.template_links import reference_at, template_references

FILE_START = Span.at(0, 0, 0)


def register(server: PromptToolServer) -> None:
    @server.feature(types.TEXT_DOCUMENT_DEFINITION)
    @server.guarded("definition")
    def definition(params: types.DefinitionParams) -> types.Location | None:
        uri = params.text_document.uri
        source = server.workspace.get_text_document(uri).source
        text = server.client_text(uri)
        position = analysis_position(params.position, text)
        reference = reference_at(template_references(source), position)
        if reference is not None:
            target = server.target_uri(reference.name)
            return lsp_location(target, FILE_START, text) if target else None
        token = name_at(source, position)
        defined = definition_of(source, token.value, position) if token else None
        return lsp_location(uri, defined.span, text) if defined else None
