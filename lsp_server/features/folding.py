"""Folding ranges for paired tags (blocks, loops, conditions, macros) and long comments."""

from __future__ import annotations

from lsprotocol import types

from lsp_server import analysis_api as api
from lsp_server.server import PromptToolServer


def register(server: PromptToolServer) -> None:
    @server.feature(types.TEXT_DOCUMENT_FOLDING_RANGE)
    @server.guarded("folding ranges", fallback=[])
    def folding_ranges(params: types.FoldingRangeParams) -> list[types.FoldingRange]:
        source = server.workspace.get_text_document(params.text_document.uri).source
        return [api.lsp_folding_range(fold) for fold in api.outline(source).folds]
