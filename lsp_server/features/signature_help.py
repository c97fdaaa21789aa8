"""Signature help for calls of macros the template defines or imports by name."""

from __future__ import annotations

from lsprotocol import types

from lsp_server import analysis_api as api
from lsp_server.server import PromptToolServer


def register(server: PromptToolServer) -> None:
    @server.feature(
        types.TEXT_DOCUMENT_SIGNATURE_HELP,
        types.SignatureHelpOptions(trigger_characters=["(", ","]),
    )
    @server.guarded("signature help")
    def signature_help(params: types.SignatureHelpParams) -> types.SignatureHelp | None:
        uri = params.text_document.uri
        source = server.workspace.get_text_document(uri).source
        call = api.call_at(source, api.analysis_position(params.position, server.client_text(uri)))
        if call is None:
            return None
        macros = [
            d
            for d in api.defined_names(source)
            if d.kind == api.NameKind.MACRO and d.name == call.callee
        ]
        if not macros:
            return None
        parameters = macros[0].parameters
        signature = types.SignatureInformation(
            label=f"{call.callee}({', '.join(parameters)})",
            parameters=[types.ParameterInformation(label=name) for name in parameters],
        )
        active = min(call.argument, max(len(parameters) - 1, 0))
        return types.SignatureHelp([signature], active_signature=0, active_parameter=active)
