"""Multi-root workspaces: each folder's template roots name its own templates."""

from __future__ import annotations

from pathlib import Path

from lsprotocol import types

PAGE = "{% include 'only_beta.j2' %}\n"


def make_folders(tmp_path: Path) -> tuple[Path, Path]:
    """Two projects with different roots; each has an include only its own roots resolve."""
    alpha, beta = tmp_path / "alpha", tmp_path / "beta"
    (alpha / "prompts").mkdir(parents=True)
    (alpha / "pyproject.toml").write_text('[tool.prompt-tool.lint]\nroots = ["prompts"]\n')
    (alpha / "prompts" / "main.j2").write_text("{% include 'only_alpha.j2' %}\n")
    (alpha / "prompts" / "only_alpha.j2").write_text("alpha\n")
    (beta / "templates").mkdir(parents=True)
    (beta / "pyproject.toml").write_text('[tool.prompt-tool.lint]\nroots = ["templates"]\n')
    (beta / "templates" / "page.j2").write_text(PAGE)
    (beta / "templates" / "only_beta.j2").write_text("beta\n")
    return alpha, beta


async def initialize(
    lsp, *folders: Path, capabilities: types.ClientCapabilities | None = None
) -> None:
    await lsp.client.initialize_session(
        types.InitializeParams(
            capabilities=capabilities or lsp.push_capabilities(),
            workspace_folders=[types.WorkspaceFolder(lsp.uri_of(f), f.name) for f in folders],
            root_uri=lsp.uri_of(folders[0]),
        )
    )


def change_folders(lsp, added: list[Path], removed: list[Path]) -> None:
    event = types.WorkspaceFoldersChangeEvent(
        added=[types.WorkspaceFolder(lsp.uri_of(f), f.name) for f in added],
        removed=[types.WorkspaceFolder(lsp.uri_of(f), f.name) for f in removed],
    )
    lsp.client.workspace_did_change_workspace_folders(
        types.DidChangeWorkspaceFoldersParams(event=event)
    )


async def test_each_folder_names_its_templates_from_its_own_roots(lsp, tmp_path: Path) -> None:
    alpha, beta = make_folders(tmp_path)
    await initialize(lsp, alpha, beta)

    page = lsp.open(beta / "templates" / "page.j2", PAGE)
    wrong = lsp.open(beta / "templates" / "wrong.j2", "{% include 'templates/only_beta.j2' %}\n")
    main = lsp.open(alpha / "prompts" / "main.j2", "{% include 'only_alpha.j2' %}\n")
    symbols = await lsp.client.workspace_symbol_async(types.WorkspaceSymbolParams(query=""))

    assert await lsp.published_version(page, 1) == []
    assert await lsp.published_version(main, 1) == []
    assert [d.code for d in await lsp.published_version(wrong, 1)] == ["PT007"]
    assert sorted((s.name, s.location.uri) for s in symbols or []) == [
        ("main.j2", lsp.uri_of(alpha / "prompts" / "main.j2")),
        ("only_alpha.j2", lsp.uri_of(alpha / "prompts" / "only_alpha.j2")),
        ("only_beta.j2", lsp.uri_of(beta / "templates" / "only_beta.j2")),
        ("page.j2", lsp.uri_of(beta / "templates" / "page.j2")),
        ("wrong.j2", wrong),
    ]


async def test_added_and_removed_folders_change_what_resolves(lsp, tmp_path: Path) -> None:
    alpha, beta = make_folders(tmp_path)
    await initialize(lsp, alpha)
    page = lsp.open(beta / "templates" / "page.j2", PAGE)
    outside = await lsp.published_version(page, 1)

    change_folders(lsp, added=[beta], removed=[])
    added = await lsp.published(page, lambda params: list(params.diagnostics) == [])
    change_folders(lsp, added=[], removed=[beta])
    removed = await lsp.published(page, lambda params: list(params.diagnostics) != [])

    assert [d.code for d in outside] == ["PT007"]
    assert added.version == 1
    assert [d.code for d in removed.diagnostics] == ["PT007"]


async def test_a_missing_include_is_created_in_its_own_folders_root(lsp, tmp_path: Path) -> None:
    alpha, beta = make_folders(tmp_path)
    capabilities = lsp.push_capabilities(
        workspace_edit=types.WorkspaceEditClientCapabilities(
            document_changes=True, resource_operations=[types.ResourceOperationKind.Create]
        )
    )
    await initialize(lsp, alpha, beta, capabilities=capabilities)
    text = "{% include 'new.j2' %}\n"
    uri = lsp.open(beta / "templates" / "page.j2", text)

    actions = await lsp.client.text_document_code_action_async(
        types.CodeActionParams(
            types.TextDocumentIdentifier(uri),
            types.Range(types.Position(0, 0), types.Position(0, len(text) - 1)),
            types.CodeActionContext(diagnostics=[]),
        )
    )

    [create] = [action for action in actions or [] if action.title == "Create template new.j2"]
    assert create.edit is not None and list(create.edit.document_changes or []) == [
        types.CreateFile(uri=lsp.uri_of(beta / "templates" / "new.j2"), kind="create")
    ]
