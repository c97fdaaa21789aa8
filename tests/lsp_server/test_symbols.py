"""Document symbols (blocks, macros, sets) and workspace symbols (template names)."""

from __future__ import annotations

from pathlib import Path

from lsprotocol import types

TEMPLATE = "{% block body %}\n  {% set who = 'é' %}{% macro m(a) %}{% endmacro %}\n{% endblock %}\n"


def r(line: int, start: int, end_line: int, end: int) -> types.Range:
    return types.Range(types.Position(line, start), types.Position(end_line, end))


async def test_document_symbols_nest_blocks_macros_and_sets(lsp, tmp_path: Path) -> None:
    await lsp.initialize(tmp_path)
    uri = lsp.open(tmp_path / "a.j2", TEMPLATE)

    symbols = await lsp.client.text_document_document_symbol_async(
        types.DocumentSymbolParams(types.TextDocumentIdentifier(uri))
    )

    assert [(s.name, s.kind, s.range, s.selection_range) for s in symbols] == [
        ("body", types.SymbolKind.Namespace, r(0, 0, 2, 14), r(0, 9, 0, 13))
    ]
    children = symbols[0].children
    assert [(c.name, c.kind, c.detail, c.selection_range) for c in children] == [
        ("who", types.SymbolKind.Variable, "variable", r(1, 9, 1, 12)),
        ("m", types.SymbolKind.Function, "m(a)", r(1, 30, 1, 31)),
    ]


async def test_workspace_symbols_are_the_template_files_matching_the_query(
    lsp, tmp_path: Path
) -> None:
    (tmp_path / "prompts").mkdir()
    for name in ("planning.j2", "analysis.prompt", "notes.txt"):
        (tmp_path / "prompts" / name).write_text("x\n")
    (tmp_path / ".hidden").mkdir()
    (tmp_path / ".hidden" / "skip.j2").write_text("x\n")
    await lsp.initialize(tmp_path)

    every = await lsp.client.workspace_symbol_async(types.WorkspaceSymbolParams(query=""))
    matching = await lsp.client.workspace_symbol_async(types.WorkspaceSymbolParams(query="PLAN"))

    assert sorted(s.name for s in every) == ["prompts/analysis.prompt", "prompts/planning.j2"]
    assert [(s.name, s.kind, s.location.uri) for s in matching] == [
        (
            "prompts/planning.j2",
            types.SymbolKind.File,
            lsp.uri_of(tmp_path / "prompts" / "planning.j2"),
        )
    ]
