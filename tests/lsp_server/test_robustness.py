"""Documents that are huge, binary or half-typed never take the server down."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from lsprotocol import types


def huge() -> str:
    prose = "Some prose describing the task for the model, with plenty of words in it.\n"
    return (prose * 99 + "{% if x %}{{ x.y | upper }}{% endif %}\n") * 300


def binary_ish() -> str:
    generator = random.Random(7)
    data = bytes(generator.randrange(256) for _ in range(50_000))
    return data.decode("latin-1") + "\x00{{\x00{%\ufffd%}\udcff"


def half_typed() -> str:
    return '{% block a %}{% for x in %}{{ x.| }}{% include "' + "{%" * 1000


@pytest.mark.parametrize(
    "text",
    [
        pytest.param(huge(), id="huge-2MB-30000-lines"),
        pytest.param(binary_ish(), id="binary-ish"),
        pytest.param(half_typed(), id="half-typed"),
    ],
)
async def test_every_feature_answers_for_a_hostile_document(lsp, tmp_path: Path, text: str) -> None:
    await lsp.initialize(tmp_path)
    uri = lsp.open(tmp_path / "a.j2", text)
    document = types.TextDocumentIdentifier(uri)

    await lsp.published_version(uri, 1)
    symbols = await lsp.client.text_document_document_symbol_async(
        types.DocumentSymbolParams(document)
    )
    tokens = await lsp.client.text_document_semantic_tokens_full_async(
        types.SemanticTokensParams(document)
    )
    folds = await lsp.client.text_document_folding_range_async(types.FoldingRangeParams(document))
    links = await lsp.client.text_document_document_link_async(types.DocumentLinkParams(document))

    assert symbols is not None and tokens is not None and folds is not None and links is not None
    lsp.change(uri, 2, "{{ ok }}\n")
    assert await lsp.published_version(uri, 2) == []


async def test_a_failing_feature_answers_empty_and_the_server_carries_on(
    lsp, tmp_path: Path
) -> None:
    await lsp.initialize(tmp_path)
    missing = types.TextDocumentIdentifier(lsp.uri_of(tmp_path / "never-opened" / "gone.j2"))

    symbols = await lsp.client.text_document_document_symbol_async(
        types.DocumentSymbolParams(missing)
    )
    folds = await lsp.client.text_document_folding_range_async(types.FoldingRangeParams(missing))
    uri = lsp.open(tmp_path / "a.j2", "{{ x }\n")

    assert list(symbols) == [] and list(folds) == []
    assert [d.code for d in await lsp.published_version(uri, 1)] == ["PT001"]


async def test_a_document_over_the_size_limit_gets_one_warning_and_no_analysis(
    lsp, tmp_path: Path
) -> None:
    """A 50 MB document took 49 s and 3 GB per edit; over `maxDocumentSize` characters it
    is not analysed and no feature reads it, until an edit brings it under the limit."""
    await lsp.initialize(tmp_path, options={"maxDocumentSize": 1000})
    uri = lsp.open(tmp_path / "a.j2", "{{ x }\n" + "prose\n" * 300)
    document = types.TextDocumentIdentifier(uri)

    (warning,) = await lsp.published_version(uri, 1)
    tokens = await lsp.client.text_document_semantic_tokens_full_async(
        types.SemanticTokensParams(document)
    )
    symbols = await lsp.client.text_document_document_symbol_async(
        types.DocumentSymbolParams(document)
    )
    lsp.change(uri, 2, "{{ x }\n")

    assert warning.code == "PT090" and warning.severity == types.DiagnosticSeverity.Warning
    assert "1,807 characters is over the limit of 1,000" in warning.message
    assert tokens is not None and list(tokens.data) == [] and list(symbols) == []
    assert [d.code for d in await lsp.published_version(uri, 2)] == ["PT001"]
