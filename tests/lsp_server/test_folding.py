"""Folding ranges over stdio."""

from __future__ import annotations

from pathlib import Path

from lsprotocol import types


async def test_folding_ranges_cover_paired_tags_and_comments(lsp, tmp_path: Path) -> None:
    await lsp.initialize(tmp_path)
    text = "{#\nlong\n#}\n{% for x in y %}\n  {{ x }}\n  {{ x }}\n{% endfor %}\n"
    uri = lsp.open(tmp_path / "a.j2", text)

    folds = await lsp.client.text_document_folding_range_async(
        types.FoldingRangeParams(types.TextDocumentIdentifier(uri))
    )

    assert [(f.start_line, f.end_line, f.kind) for f in folds] == [
        (0, 2, types.FoldingRangeKind.Comment),
        (3, 5, types.FoldingRangeKind.Region),
    ]
