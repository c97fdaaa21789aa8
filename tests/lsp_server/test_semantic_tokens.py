"""Semantic tokens over stdio, decoded with the legend the server announced."""

from __future__ import annotations

from pathlib import Path

from lsprotocol import types


def decode(data: list[int], legend: list[str]) -> list[tuple[int, int, int, str]]:
    tokens, line, start = [], 0, 0
    for index in range(0, len(data), 5):
        delta_line, delta_start, length, kind, _ = data[index : index + 5]
        line += delta_line
        start = start + delta_start if delta_line == 0 else delta_start
        tokens.append((line, start, length, legend[kind]))
    return tokens


async def test_tokens_mark_delimiters_keywords_variables_filters(lsp, tmp_path: Path) -> None:
    result = await lsp.initialize(tmp_path)
    legend = result.capabilities.semantic_tokens_provider.legend.token_types
    uri = lsp.open(tmp_path / "a.j2", "😀{{ a | e }}\n{% if b %}")

    tokens = await lsp.client.text_document_semantic_tokens_full_async(
        types.SemanticTokensParams(types.TextDocumentIdentifier(uri))
    )

    assert decode(list(tokens.data), legend) == [
        (0, 2, 2, "macro"),
        (0, 5, 1, "variable"),
        (0, 7, 1, "operator"),
        (0, 9, 1, "function"),
        (0, 11, 2, "macro"),
        (1, 0, 2, "macro"),
        (1, 3, 2, "keyword"),
        (1, 6, 1, "variable"),
        (1, 8, 2, "macro"),
    ]
