"""Pull diagnostics for clients that announce them: result ids, `unchanged`, no pushing."""

from __future__ import annotations

from pathlib import Path

from lsprotocol import types


async def pull(lsp, uri: str, previous: str | None = None):
    return await lsp.client.text_document_diagnostic_async(
        types.DocumentDiagnosticParams(
            types.TextDocumentIdentifier(uri), previous_result_id=previous
        )
    )


async def test_pull_reports_full_then_unchanged_then_full_after_a_change(
    lsp, tmp_path: Path
) -> None:
    await lsp.initialize(tmp_path, lsp.pull_capabilities())
    uri = lsp.open(tmp_path / "a.j2", "{{ x }\n")

    first = await pull(lsp, uri)
    again = await pull(lsp, uri, first.result_id)
    lsp.change(uri, 2, "{{ x }}\n")
    after_fix = await pull(lsp, uri, first.result_id)

    assert first.kind == "full" and first.result_id
    assert [(d.code, d.range.start.line) for d in first.items] == [("PT001", 0)]
    assert again.kind == "unchanged" and again.result_id == first.result_id
    assert after_fix.kind == "full" and list(after_fix.items) == []
    assert after_fix.result_id != first.result_id
    assert lsp.client.published == [], "a pulling client must not also be pushed to"


async def test_an_edit_that_keeps_the_same_findings_answers_unchanged(lsp, tmp_path: Path) -> None:
    await lsp.initialize(tmp_path, lsp.pull_capabilities())
    uri = lsp.open(tmp_path / "a.j2", "{{ x }\n")
    first = await pull(lsp, uri)

    lsp.change(uri, 2, "!", types.Range(types.Position(1, 0), types.Position(1, 0)))
    second = await pull(lsp, uri, first.result_id)

    assert second.kind == "unchanged"
