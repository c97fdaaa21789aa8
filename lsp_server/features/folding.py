"""Folding ranges for paired tags (blocks, loops, conditions, macros) and long comments."""

from __future__ import annotations

from lsprotocol import types

from lsp_server.convert import lsp_folding_range
from lsp_server.server import PromptToolServer
from prompt_tool.analysis.outline import outline


def register(server: PromptToolServer) -> None:
    @server.feature(types.TEXT_DOCUMENT_FOLDING_RANGE)
    @server.guarded("folding ranges", fallback=[])
    def folding_ranges(params: types.FoldingRangeParams) -> list[types.FoldingRange]:
        source = server.workspace.get_text_document(params.text_document.uri).source
        return [lsp_folding_range(fold) for fold in outline(source).folds]
