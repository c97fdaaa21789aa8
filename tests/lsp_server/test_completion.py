"""Completion over stdio: each context offers its own kind of candidate."""

from __future__ import annotations

from pathlib import Path

import pytest
from lsprotocol import types


async def complete(lsp, uri: str, line: int, character: int) -> list[types.CompletionItem]:
    result = await lsp.client.text_document_completion_async(
        types.CompletionParams(types.TextDocumentIdentifier(uri), types.Position(line, character))
    )
    return list(result.items)


def workspace(tmp_path: Path) -> Path:
    (tmp_path / "pyproject.toml").write_text('[tool.prompt-tool.lint]\nroots = ["prompts"]\n')
    (tmp_path / "prompts" / "partials").mkdir(parents=True)
    (tmp_path / "prompts" / "partials" / "files.j2").write_text("files\n")
    (tmp_path / "prompts" / "partials" / "fixes.j2").write_text("fixes\n")
    (tmp_path / "prompts" / "base.j2").write_text(
        "{% block intro %}{% endblock %}{% block task %}{% endblock %}\n"
    )
    return tmp_path


@pytest.mark.parametrize(
    ("typed", "expected", "kind"),
    [
        pytest.param("{{ name | up", ["upper"], types.CompletionItemKind.Function, id="filter"),
        pytest.param("{% if x is div", ["divisibleby"], types.CompletionItemKind.Method, id="test"),
        pytest.param(
            "{% endf", ["endfilter", "endfor"], types.CompletionItemKind.Keyword, id="tag"
        ),
        pytest.param(
            "{% for f in files %}{{ loop.rev",
            ["revindex", "revindex0"],
            types.CompletionItemKind.Property,
            id="loop-attribute",
        ),
        pytest.param(
            '{% include "partials/fi',
            ["partials/files.j2", "partials/fixes.j2"],
            types.CompletionItemKind.File,
            id="template-name",
        ),
        pytest.param(
            '{% extends "base.j2" %}{% block ',
            ["intro", "task"],
            types.CompletionItemKind.Module,
            id="blocks-of-the-parent",
        ),
        pytest.param(
            "{% set greeting = 1 %}{% macro greet(who) %}{% endmacro %}{{ gre",
            ["greet", "greeting"],
            None,
            id="defined-names",
        ),
    ],
)
async def test_completion_offers_candidates_for_the_context(
    lsp, tmp_path: Path, typed: str, expected: list[str], kind
) -> None:
    folder = workspace(tmp_path)
    await lsp.initialize(folder)
    uri = lsp.open(folder / "prompts" / "main.j2", "first line\n" + typed)

    items = await complete(lsp, uri, 1, len(typed))

    assert [item.label for item in items] == expected
    if kind is not None:
        assert {item.kind for item in items} == {kind}


async def test_completion_replaces_the_typed_prefix(lsp, tmp_path: Path) -> None:
    await lsp.initialize(tmp_path)
    typed = "😀 {{ name | upp"
    uri = lsp.open(tmp_path / "a.j2", typed)

    [item] = await complete(lsp, uri, 0, len(typed) + 1)

    assert item.label == "upper"
    assert item.text_edit == types.TextEdit(
        types.Range(types.Position(0, 13), types.Position(0, 16)), "upper"
    )
    assert item.documentation is not None and "uppercase" in item.documentation.value


async def test_a_new_template_file_is_offered_after_the_client_reports_it(
    lsp, tmp_path: Path
) -> None:
    folder = workspace(tmp_path)
    await lsp.initialize(folder)
    new = folder / "prompts" / "partials" / "findings.j2"
    new.write_text("x\n")
    lsp.client.workspace_did_change_watched_files(
        types.DidChangeWatchedFilesParams(
            [types.FileEvent(lsp.uri_of(new), types.FileChangeType.Created)]
        )
    )
    typed = '{% include "partials/fin'
    uri = lsp.open(folder / "prompts" / "main.j2", typed)

    labels: list[str] = []
    for _ in range(1000):  # each try is a real round trip while the listing refreshes
        labels = [item.label for item in await complete(lsp, uri, 0, len(typed))]
        if labels:
            break

    assert labels == ["partials/findings.j2"]


def many_templates(tmp_path: Path, count: int) -> Path:
    (tmp_path / "pyproject.toml").write_text('[tool.prompt-tool.lint]\nroots = ["prompts"]\n')
    for folder in ("partials/deep", "phases"):
        (tmp_path / "prompts" / folder).mkdir(parents=True)
    for index in range(count):
        (tmp_path / "prompts" / "partials" / "deep" / f"d{index:04d}.j2").write_text("x\n")
    (tmp_path / "prompts" / "partials" / "footer.j2").write_text("x\n")
    (tmp_path / "prompts" / "phases" / "plan.j2").write_text("x\n")
    (tmp_path / "prompts" / "top.j2").write_text("x\n")
    return tmp_path


@pytest.mark.parametrize(
    ("typed", "expected", "incomplete"),
    [
        pytest.param('{% include "', ["partials/", "phases/", "top.j2"], False, id="bare"),
        pytest.param('{% include "p', ["partials/", "phases/"], False, id="prefix"),
        pytest.param(
            '{% include "partials/', ["partials/deep/", "partials/footer.j2"], False, id="folder"
        ),
        pytest.param(
            '{% include "partials/deep/d00',
            [f"partials/deep/d{index:04d}.j2" for index in range(100)],
            False,
            id="filtered-server-side",
        ),
        pytest.param(
            '{% include "partials/deep/',
            [f"partials/deep/d{index:04d}.j2" for index in range(200)],
            True,
            id="cut-and-incomplete",
        ),
    ],
)
async def test_template_names_are_offered_one_folder_level_at_a_time(
    lsp, tmp_path: Path, typed: str, expected: list[str], incomplete: bool
) -> None:
    folder = many_templates(tmp_path, 250)
    await lsp.initialize(folder)
    uri = lsp.open(folder / "prompts" / "main.j2", typed)

    result = await lsp.client.text_document_completion_async(
        types.CompletionParams(types.TextDocumentIdentifier(uri), types.Position(0, len(typed)))
    )

    assert [item.label for item in result.items] == expected
    assert result.is_incomplete is incomplete
    folders = [item for item in result.items if item.label.endswith("/")]
    assert {item.kind for item in folders} <= {types.CompletionItemKind.Folder}
