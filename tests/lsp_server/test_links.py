"""Document links on include/extends/import names, resolved through the template roots."""

from __future__ import annotations

from pathlib import Path

from lsprotocol import types


async def test_links_point_at_existing_templates_only(lsp, tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.prompt-tool.lint]\nroots = ["t"]\n')
    (tmp_path / "t" / "partials").mkdir(parents=True)
    (tmp_path / "t" / "partials" / "files.j2").write_text("files\n")
    (tmp_path / "t" / "base.j2").write_text("base\n")
    await lsp.initialize(tmp_path)
    text = '{% extends "base.j2" %}\n{% include "partials/files.j2" %}{% include "nope.j2" %}\n'
    uri = lsp.open(tmp_path / "t" / "main.j2", text)

    links = await lsp.client.text_document_document_link_async(
        types.DocumentLinkParams(types.TextDocumentIdentifier(uri))
    )

    assert [(link.range, link.target) for link in links] == [
        (
            types.Range(types.Position(0, 12), types.Position(0, 19)),
            lsp.uri_of(tmp_path / "t" / "base.j2"),
        ),
        (
            types.Range(types.Position(1, 12), types.Position(1, 29)),
            lsp.uri_of(tmp_path / "t" / "partials" / "files.j2"),
        ),
    ]
