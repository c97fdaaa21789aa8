"""workspace/willRenameFiles over stdio: include names follow a renamed template or folder."""

from __future__ import annotations

from pathlib import Path

from lsprotocol import types

OPTIONS = {"promptTool": {"templateRoots": ["templates"]}}
DRAFT = '{# unsaved #}\n{% include "partials/a.j2@production" %}\n'


def r(line: int, start: int, end: int) -> types.Range:
    return types.Range(types.Position(line, start), types.Position(line, end))


async def start(lsp, tmp_path: Path) -> Path:
    """Two templates include partials/a.j2 (the open one pinned, with unsaved text), one
    includes an unrelated partial."""
    templates = tmp_path / "templates"
    (templates / "partials").mkdir(parents=True)
    (templates / "partials" / "a.j2").write_text("A\n")
    (templates / "partials" / "other.j2").write_text("O\n")
    (templates / "one.j2").write_text('Hello\n{% include "partials/a.j2" %}\n')
    (templates / "two.j2").write_text('{% include "partials/a.j2@production" %}\n')
    (templates / "unrelated.j2").write_text('{% include "partials/other.j2" %}\n')
    capabilities = lsp.push_capabilities(
        file_operations=types.FileOperationClientCapabilities(will_rename=True)
    )
    result = await lsp.initialize(tmp_path, capabilities, OPTIONS)
    operations = result.capabilities.workspace.file_operations
    assert operations is not None and operations.will_rename is not None
    uri = lsp.open(templates / "two.j2", DRAFT)
    await lsp.published_version(uri, 1)
    return templates


async def will_rename(lsp, old: Path, new: Path) -> types.WorkspaceEdit | None:
    return await lsp.client.workspace_will_rename_files_async(
        types.RenameFilesParams([types.FileRename(lsp.uri_of(old), lsp.uri_of(new))])
    )


def changes(edit: types.WorkspaceEdit | None) -> dict[str, list[types.TextEdit]]:
    assert edit is not None and edit.changes is not None
    return {uri: list(edits) for uri, edits in edit.changes.items()}


async def test_renaming_a_template_rewrites_the_names_that_include_it(lsp, tmp_path: Path) -> None:
    templates = await start(lsp, tmp_path)

    edit = await will_rename(lsp, templates / "partials" / "a.j2", templates / "shared" / "b.j2")

    assert changes(edit) == {
        lsp.uri_of(templates / "one.j2"): [types.TextEdit(r(1, 12, 25), "shared/b.j2")],
        lsp.uri_of(templates / "two.j2"): [types.TextEdit(r(1, 12, 36), "shared/b.j2@production")],
    }


async def test_renaming_a_folder_renames_every_template_under_it(lsp, tmp_path: Path) -> None:
    templates = await start(lsp, tmp_path)

    edit = await will_rename(lsp, templates / "partials", templates / "shared")

    assert changes(edit) == {
        lsp.uri_of(templates / "one.j2"): [types.TextEdit(r(1, 12, 25), "shared/a.j2")],
        lsp.uri_of(templates / "two.j2"): [types.TextEdit(r(1, 12, 36), "shared/a.j2@production")],
        lsp.uri_of(templates / "unrelated.j2"): [types.TextEdit(r(0, 12, 29), "shared/other.j2")],
    }


async def test_a_template_moved_outside_every_root_gets_no_edit(lsp, tmp_path: Path) -> None:
    templates = await start(lsp, tmp_path)

    edit = await will_rename(lsp, templates / "partials" / "a.j2", tmp_path / "elsewhere.j2")

    assert edit is None
