"""Code actions: "disable this check on this line" for each finding in the range."""

from __future__ import annotations

from pathlib import Path

from lsprotocol import types


async def test_disable_on_this_line_appends_a_suppression_comment(lsp, tmp_path: Path) -> None:
    await lsp.initialize(tmp_path)
    uri = lsp.open(tmp_path / "a.j2", "ok\n{{ x }\n")
    [diagnostic] = await lsp.published_version(uri, 1)

    actions = await lsp.client.text_document_code_action_async(
        types.CodeActionParams(
            types.TextDocumentIdentifier(uri),
            types.Range(types.Position(1, 2), types.Position(1, 2)),
            types.CodeActionContext(diagnostics=[diagnostic]),
        )
    )

    assert [(a.title, a.kind) for a in actions] == [
        ("Disable PT001 on this line", types.CodeActionKind.QuickFix)
    ]
    edit = list(actions[0].edit.changes[uri])
    assert edit == [
        types.TextEdit(
            types.Range(types.Position(1, 6), types.Position(1, 6)),
            " {# prompt-tool: disable=PT001 #}",
        )
    ]
    assert actions[0].diagnostics[0].code == "PT001"


async def test_no_action_outside_any_finding(lsp, tmp_path: Path) -> None:
    await lsp.initialize(tmp_path)
    uri = lsp.open(tmp_path / "a.j2", "ok\n{{ x }\n")
    await lsp.published_version(uri, 1)

    actions = await lsp.client.text_document_code_action_async(
        types.CodeActionParams(
            types.TextDocumentIdentifier(uri),
            types.Range(types.Position(0, 0), types.Position(0, 1)),
            types.CodeActionContext(diagnostics=[]),
        )
    )

    assert list(actions) == []


async def test_an_include_that_resolves_nowhere_offers_to_create_the_template(
    lsp, tmp_path: Path
) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.prompt-tool.lint]\nroots = ["prompts"]\n')
    (tmp_path / "prompts").mkdir()
    (tmp_path / "prompts" / "exists.j2").write_text("x\n")
    capabilities = lsp.push_capabilities(
        workspace_edit=types.WorkspaceEditClientCapabilities(
            document_changes=True, resource_operations=[types.ResourceOperationKind.Create]
        )
    )
    await lsp.initialize(tmp_path, capabilities)
    text = '{% include "exists.j2" %}{% include "partials/new.j2" %}\n'
    uri = lsp.open(tmp_path / "prompts" / "main.j2", text)

    actions = await lsp.client.text_document_code_action_async(
        types.CodeActionParams(
            types.TextDocumentIdentifier(uri),
            types.Range(types.Position(0, 0), types.Position(0, len(text) - 1)),
            types.CodeActionContext(diagnostics=[]),
        )
    )

    [create] = [a for a in actions if a.title.startswith("Create template")]
    assert create.title == "Create template partials/new.j2"
    [change] = create.edit.document_changes
    assert change == types.CreateFile(
        uri=lsp.uri_of(tmp_path / "prompts" / "partials" / "new.j2"), kind="create"
    )
