"""Push diagnostics end to end: exact ranges, versions, incremental edits, close, coalescing."""

from __future__ import annotations

from pathlib import Path

import pytest
from lsprotocol import types

BROKEN = "Hello 😀 {{ x }\n"
VALID = "Hello 😀 {{ x }}\n"


@pytest.mark.parametrize(
    ("encodings", "end_character"),
    [
        pytest.param(None, 15, id="utf-16-default-counts-the-emoji-twice"),
        pytest.param([types.PositionEncodingKind.Utf32], 14, id="utf-32-counts-code-points"),
        pytest.param([types.PositionEncodingKind.Utf8], 17, id="utf-8-counts-bytes"),
    ],
)
async def test_syntax_error_is_pushed_with_exact_range_in_the_client_encoding(
    lsp, tmp_path: Path, encodings: list[str] | None, end_character: int
) -> None:
    capabilities = lsp.push_capabilities()
    capabilities.general = types.GeneralClientCapabilities(position_encodings=encodings)
    await lsp.initialize(tmp_path, capabilities)

    uri = lsp.open(tmp_path / "a.j2", BROKEN)
    diagnostics = await lsp.published_version(uri, 1)

    assert [(d.code, d.severity, d.source, d.message) for d in diagnostics] == [
        ("PT001", types.DiagnosticSeverity.Error, "prompt-tool", "unexpected '}'")
    ]
    assert diagnostics[0].range == types.Range(
        types.Position(0, 0), types.Position(0, end_character)
    )


async def test_incremental_edits_update_and_clear_diagnostics(lsp, tmp_path: Path) -> None:
    await lsp.initialize(tmp_path)
    uri = lsp.open(tmp_path / "a.j2", VALID)
    assert await lsp.published_version(uri, 1) == []

    closing = types.Range(types.Position(0, 14), types.Position(0, 16))
    lsp.change(uri, 2, "}", closing)
    broken = await lsp.published_version(uri, 2)
    lsp.change(uri, 3, "}}", types.Range(types.Position(0, 14), types.Position(0, 15)))
    fixed = await lsp.published_version(uri, 3)

    assert [d.code for d in broken] == ["PT001"]
    assert fixed == []


async def test_close_clears_the_documents_diagnostics(lsp, tmp_path: Path) -> None:
    await lsp.initialize(tmp_path)
    uri = lsp.open(tmp_path / "a.j2", BROKEN)
    assert await lsp.published_version(uri, 1) != []

    lsp.client.text_document_did_close(
        types.DidCloseTextDocumentParams(types.TextDocumentIdentifier(uri))
    )

    assert await lsp.published_version(uri, None) == []


async def test_save_reanalyses_the_document(lsp, tmp_path: Path) -> None:
    await lsp.initialize(tmp_path)
    uri = lsp.open(tmp_path / "a.j2", BROKEN)
    await lsp.published_version(uri, 1)
    already = len(lsp.client.published)

    lsp.client.text_document_did_save(
        types.DidSaveTextDocumentParams(types.TextDocumentIdentifier(uri))
    )

    again = await lsp.published(
        uri, lambda params: any(params is later for later in lsp.client.published[already:])
    )
    assert [d.code for d in again.diagnostics] == ["PT001"]


async def test_a_burst_of_edits_coalesces_and_never_publishes_stale_results(
    lsp, tmp_path: Path
) -> None:
    """Edits arriving while a (large, slow) document is analysed are analysed once, newest."""
    await lsp.initialize(tmp_path)
    body = "{% for item in items %}{{ item.name | upper }}{% endfor %} text\n" * 3000
    uri = lsp.open(tmp_path / "a.j2", body + VALID)
    await lsp.published_version(uri, 1)
    final = 40
    for version in range(2, final + 1):
        lsp.change(uri, version, body + (BROKEN if version % 2 else VALID))

    last = await lsp.published_version(uri, final)

    versions = [params.version for params in lsp.client.published if params.uri == uri]
    assert last == []
    assert versions == sorted(versions), "a stale result was published after a newer one"
    assert len(versions) < final, "edits made during an analysis were not coalesced"
    for params in lsp.client.published:
        if params.uri == uri and params.version:
            expected = ["PT001"] if params.version % 2 and params.version > 1 else []
            assert [d.code for d in params.diagnostics] == expected, params.version


TYPED = (
    "{# prompt-tool: phase=orchestrator #}\n"
    "{% for f in files %}- {{ f.path }}{% endfor %}\n"
    "{% set total = files | length %}\n"
    "{% if total > 1 %}{{ feature.titel }}{% endif %}\n"
)
TYPING = "{% for g in files %}{{ g.pth | uper }}{{ totl }}{% endfor %}"


async def test_typing_a_line_key_by_key_ends_as_a_fresh_open_of_the_same_text(
    lsp, tmp_path: Path
) -> None:
    """Every keystroke is an incremental edit (re-parsed and re-checked incrementally);
    the last one's diagnostics must be those of the same text opened afresh."""
    await lsp.initialize(tmp_path)
    uri = lsp.open(tmp_path / "orchestrator.j2", TYPED)
    await lsp.published_version(uri, 1)
    start = TYPED.splitlines()[1].index("{{")  # typed into the first loop's body
    for typed_so_far, char in enumerate(TYPING):
        position = types.Position(1, start + typed_so_far)
        lsp.change(uri, typed_so_far + 2, char, types.Range(position, position))
    typed = await lsp.published_version(uri, len(TYPING) + 1)
    final = TYPED.replace("- {{", "- " + TYPING + "{{", 1)
    fresh_uri = lsp.open(tmp_path / "sub" / "orchestrator.j2", final)
    fresh = await lsp.published_version(fresh_uri, 1)

    assert [(d.code, d.range, d.message) for d in typed] == [
        (d.code, d.range, d.message) for d in fresh
    ]
    assert {d.code for d in typed} >= {"PT002", "PT005"}
