"""Rename over stdio: variables and macros in a template, template files in includes."""

from __future__ import annotations

from pathlib import Path

import pytest
from lsprotocol import types
from pygls.exceptions import JsonRpcException

LOOPS = "{% set item = 'top' %}\n{% for item in items %}{{ item.name }}{% endfor %}\n{{ item }}\n"


def r(line: int, start: int, end: int) -> types.Range:
    return types.Range(types.Position(line, start), types.Position(line, end))


def doc(uri: str) -> types.TextDocumentIdentifier:
    return types.TextDocumentIdentifier(uri)


async def opened(lsp, tmp_path: Path, text: str) -> str:
    await lsp.initialize(tmp_path)
    uri = lsp.open(tmp_path / "main.j2", text)
    await lsp.published_version(uri, 1)
    return uri


async def test_a_loop_variable_is_renamed_only_in_its_loop(lsp, tmp_path: Path) -> None:
    uri = await opened(lsp, tmp_path, LOOPS)

    prepared = await lsp.client.text_document_prepare_rename_async(
        types.PrepareRenameParams(doc(uri), types.Position(1, 27))
    )
    edit = await lsp.client.text_document_rename_async(
        types.RenameParams(doc(uri), types.Position(1, 27), "row")
    )

    assert prepared == r(1, 26, 30)
    assert edit is not None and edit.changes is not None
    assert list(edit.changes[uri]) == [
        types.TextEdit(r(1, 7, 11), "row"),
        types.TextEdit(r(1, 26, 30), "row"),
    ]


@pytest.mark.parametrize(
    ("position", "new_name", "reason"),
    [
        pytest.param(types.Position(1, 16), "rows", "not defined in this template", id="context"),
        pytest.param(types.Position(1, 27), "items", "already visible", id="capture"),
        pytest.param(types.Position(1, 27), "for", "not a name", id="keyword"),
    ],
)
async def test_a_refused_rename_says_why(
    lsp, tmp_path: Path, position: types.Position, new_name: str, reason: str
) -> None:
    uri = await opened(lsp, tmp_path, LOOPS)

    with pytest.raises(JsonRpcException, match=reason) as raised:
        await lsp.client.text_document_rename_async(
            types.RenameParams(doc(uri), position, new_name)
        )

    assert raised.value.code == -32803


def workspace(tmp_path: Path) -> Path:
    (tmp_path / "pyproject.toml").write_text('[tool.prompt-tool.lint]\nroots = ["templates"]\n')
    templates = tmp_path / "templates"
    (templates / "partials").mkdir(parents=True)
    (templates / "partials" / "a.j2").write_text("A\n")
    (templates / "partials" / "ab.j2").write_text("AB\n")
    (templates / "main.j2").write_text(
        '{% include "partials/a.j2" %}\n{% include "partials/a.j2@production" %}\n'
    )
    (templates / "other.j2").write_text('{% import "partials/ab.j2" as m %}\n')
    return templates


async def will_rename(lsp, old: Path, new: Path) -> types.WorkspaceEdit | None:
    return await lsp.client.workspace_will_rename_files_async(
        types.RenameFilesParams([types.FileRename(lsp.uri_of(old), lsp.uri_of(new))])
    )


async def test_renaming_a_template_file_rewrites_the_includes_naming_it(
    lsp, tmp_path: Path
) -> None:
    templates = workspace(tmp_path)
    await lsp.initialize(tmp_path)

    edit = await will_rename(lsp, templates / "partials" / "a.j2", templates / "shared" / "b.j2")

    assert edit is not None and edit.changes is not None
    assert {uri: list(changes) for uri, changes in edit.changes.items()} == {
        lsp.uri_of(templates / "main.j2"): [
            types.TextEdit(r(0, 12, 25), "shared/b.j2"),
            types.TextEdit(r(1, 12, 36), "shared/b.j2@production"),
        ]
    }


async def test_renaming_a_folder_renames_every_template_under_it(lsp, tmp_path: Path) -> None:
    templates = workspace(tmp_path)
    await lsp.initialize(tmp_path)

    edit = await will_rename(lsp, templates / "partials", templates / "shared")

    assert edit is not None and edit.changes is not None
    assert sorted(
        (uri.rsplit("/", 1)[1], [change.new_text for change in changes])
        for uri, changes in edit.changes.items()
    ) == [
        ("main.j2", ["shared/a.j2", "shared/a.j2@production"]),
        ("other.j2", ["shared/ab.j2"]),
    ]


async def test_moving_a_template_out_of_the_roots_edits_nothing(lsp, tmp_path: Path) -> None:
    templates = workspace(tmp_path)
    await lsp.initialize(tmp_path)

    edit = await will_rename(lsp, templates / "partials" / "a.j2", tmp_path / "attic" / "a.j2")

    assert edit is None
