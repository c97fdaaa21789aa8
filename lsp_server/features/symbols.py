"""Document symbols (blocks, macros, set variables) and workspace symbols (template names)."""

from __future__ import annotations

import asyncio

from lsprotocol import types

from lsp_server import analysis_api as api
from lsp_server.server import PromptToolServer


def register(server: PromptToolServer) -> None:
    @server.feature(types.TEXT_DOCUMENT_DOCUMENT_SYMBOL)
    @server.guarded("document symbols", fallback=[])
    def document_symbols(params: types.DocumentSymbolParams) -> list[types.DocumentSymbol]:
        uri = params.text_document.uri
        found = api.outline(server.workspace.get_text_document(uri).source)
        text = server.client_text(uri)
        return [api.lsp_document_symbol(symbol, text) for symbol in found.symbols]

    @server.feature(types.WORKSPACE_SYMBOL)
    @server.guarded("workspace symbols", fallback=[])
    async def workspace_symbols(
        params: types.WorkspaceSymbolParams,
    ) -> list[types.WorkspaceSymbol]:
        """Async, the folders walked off the loop: a client re-asks on every keystroke of
        the query and cancels the previous request, which must not hold the loop."""
        query = params.query.lower()
        on_disk = await asyncio.to_thread(server.files.list_names)
        names = sorted(set(on_disk) | set(server.open_template_names()))
        symbols: list[types.WorkspaceSymbol] = []
        for name in names:
            if query in name.lower() and (uri := server.uri_for(name)) is not None:
                location = types.Location(
                    uri, types.Range(types.Position(0, 0), types.Position(0, 0))
                )
                symbols.append(types.WorkspaceSymbol(location, name, types.SymbolKind.File))
        return symbols
