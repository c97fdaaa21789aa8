"""Semantic tokens, so that editors without a Jinja grammar (Neovim) still highlight."""

from __future__ import annotations

from lsprotocol import types

from lsp_server import analysis_api as api
from lsp_server.capabilities import SEMANTIC_TOKENS_LEGEND
from lsp_server.server import PromptToolServer


def register(server: PromptToolServer) -> None:
    @server.feature(
        types.TEXT_DOCUMENT_SEMANTIC_TOKENS_FULL,
        types.SemanticTokensRegistrationOptions(legend=SEMANTIC_TOKENS_LEGEND, full=True),
    )
    @server.guarded("semantic tokens", fallback=types.SemanticTokens(data=[]))
    def semantic_tokens(params: types.SemanticTokensParams) -> types.SemanticTokens:
        uri = params.text_document.uri
        source = server.workspace.get_text_document(uri).source
        return types.SemanticTokens(
            data=api.lsp_semantic_tokens(api.highlight(source), server.client_text(uri))
        )
