"""Rename over stdio: prepareRename's range or refusal, and rename's exact edits."""

from __future__ import annotations

from pathlib import Path

import pytest
from lsprotocol import types
from pygls.exceptions import JsonRpcException

SOURCE = """{% set item = "-" %}
{% for item in items %}{{ item }}{% endfor %}
{% macro field(name) %}{{ name }}{% endmacro %}{{ field(item) }}
{{ user | upper }}
"""


def r(line: int, start: int, end: int) -> types.Range:
    return types.Range(types.Position(line, start), types.Position(line, end))


def at(uri: str, line: int, character: int) -> dict[str, object]:
    return {
        "text_document": types.TextDocumentIdentifier(uri),
        "position": types.Position(line, character),
    }


def changes(edit: types.WorkspaceEdit | None) -> dict[str, list[types.TextEdit]]:
    assert edit is not None and edit.changes is not None
    return {uri: list(edits) for uri, edits in edit.changes.items()}


async def start(lsp, tmp_path: Path, source: str = SOURCE) -> str:
    await lsp.initialize(tmp_path)
    uri = lsp.open(tmp_path / "main.j2", source)
    await lsp.published_version(uri, 1)
    return uri


async def test_prepare_rename_answers_the_name_under_the_cursor(lsp, tmp_path: Path) -> None:
    uri = await start(lsp, tmp_path)

    loop = await lsp.client.text_document_prepare_rename_async(
        types.PrepareRenameParams(**at(uri, 1, 28))
    )
    macro = await lsp.client.text_document_prepare_rename_async(
        types.PrepareRenameParams(**at(uri, 2, 51))
    )

    assert loop == r(1, 26, 30)
    assert macro == r(2, 50, 55)


@pytest.mark.parametrize(
    ("line", "character", "message"),
    [
        pytest.param(3, 4, "not bound in this template", id="contract-variable"),
        pytest.param(3, 12, "`upper` is a filter", id="filter"),
        pytest.param(1, 13, "`in` is a keyword", id="keyword"),
        pytest.param(0, 15, "no variable or macro", id="string"),
    ],
)
async def test_prepare_rename_refuses_with_a_message(
    lsp, tmp_path: Path, line: int, character: int, message: str
) -> None:
    uri = await start(lsp, tmp_path)

    with pytest.raises(JsonRpcException, match=message):
        await lsp.client.text_document_prepare_rename_async(
            types.PrepareRenameParams(**at(uri, line, character))
        )


async def test_prepare_rename_refuses_a_template_that_does_not_parse(lsp, tmp_path: Path) -> None:
    uri = await start(lsp, tmp_path, "{% set x = 1 %}{{ x }}\n{% if %}\n")

    with pytest.raises(JsonRpcException, match="does not parse"):
        await lsp.client.text_document_prepare_rename_async(
            types.PrepareRenameParams(**at(uri, 0, 7))
        )


async def test_rename_a_loop_variable_edits_exactly_its_binding_and_reads(
    lsp, tmp_path: Path
) -> None:
    uri = await start(lsp, tmp_path)

    edit = await lsp.client.text_document_rename_async(
        types.RenameParams(new_name="entry", **at(uri, 1, 8))
    )

    assert changes(edit) == {
        uri: [types.TextEdit(r(1, 7, 11), "entry"), types.TextEdit(r(1, 26, 30), "entry")]
    }


async def test_rename_a_macro_and_the_set_variable(lsp, tmp_path: Path) -> None:
    uri = await start(lsp, tmp_path)

    macro = await lsp.client.text_document_rename_async(
        types.RenameParams(new_name="row", **at(uri, 2, 10))
    )
    variable = await lsp.client.text_document_rename_async(
        types.RenameParams(new_name="fallback", **at(uri, 2, 57))
    )

    assert changes(macro) == {
        uri: [types.TextEdit(r(2, 9, 14), "row"), types.TextEdit(r(2, 50, 55), "row")]
    }
    assert changes(variable) == {
        uri: [types.TextEdit(r(0, 7, 11), "fallback"), types.TextEdit(r(2, 56, 60), "fallback")]
    }


@pytest.mark.parametrize(
    ("new_name", "message"),
    [
        pytest.param("field", "`field` is already defined", id="capture"),
        pytest.param("not", "keyword", id="keyword"),
        pytest.param("two words", "not a valid Jinja name", id="not-an-identifier"),
    ],
)
async def test_rename_refuses_a_bad_new_name(
    lsp, tmp_path: Path, new_name: str, message: str
) -> None:
    uri = await start(lsp, tmp_path)

    with pytest.raises(JsonRpcException, match=message):
        await lsp.client.text_document_rename_async(
            types.RenameParams(new_name=new_name, **at(uri, 0, 8))
        )


BASE = "{% block task %}T{% endblock task %}\n{{ self.task() }}\n"


async def test_rename_a_block_edits_its_tags_and_self_calls(lsp, tmp_path: Path) -> None:
    uri = await start(lsp, tmp_path, BASE)

    edit = await lsp.client.text_document_rename_async(
        types.RenameParams(new_name="job", **at(uri, 1, 10))
    )

    assert changes(edit) == {
        uri: [
            types.TextEdit(r(0, 9, 13), "job"),
            types.TextEdit(r(0, 29, 33), "job"),
            types.TextEdit(r(1, 8, 12), "job"),
        ]
    }


async def test_a_block_of_an_extended_template_is_not_renamed(lsp, tmp_path: Path) -> None:
    (tmp_path / "child.j2").write_text('{% extends "main.j2" %}{% block task %}C{% endblock %}')
    uri = await start(lsp, tmp_path, BASE)

    with pytest.raises(JsonRpcException, match=r"`child\.j2` extends this template"):
        await lsp.client.text_document_prepare_rename_async(
            types.PrepareRenameParams(**at(uri, 0, 10))
        )


async def test_a_macro_of_an_imported_template_is_not_renamed(lsp, tmp_path: Path) -> None:
    (tmp_path / "user.j2").write_text('{% from "main.j2" import field %}{{ field("x") }}')
    uri = await start(lsp, tmp_path)

    with pytest.raises(JsonRpcException, match=r"`user\.j2` imports this template"):
        await lsp.client.text_document_rename_async(
            types.RenameParams(new_name="row", **at(uri, 2, 10))
        )
