"""Completion from the analyser's document model: contract variables with their type and
description, and typed attributes after a `.`, also while the text does not parse."""

from __future__ import annotations

from pathlib import Path

from lsprotocol import types

MODELS = '''from dataclasses import dataclass


@dataclass(frozen=True)
class User:
    name: str
    """The user's display name."""
    email: str
    """Where replies go."""


@dataclass(frozen=True)
class Context:
    user: User
    """Who asked."""
'''


def project(folder: Path) -> Path:
    (folder / "pyproject.toml").write_text(
        '[tool.prompt-tool.contracts]\n"prompts/*.j2" = "myapp.models:Context"\n'
    )
    (folder / "myapp").mkdir()
    (folder / "myapp" / "models.py").write_text(MODELS)
    (folder / "prompts").mkdir()
    template = folder / "prompts" / "a.j2"
    template.write_text("{{ user.name }}\n")
    return template


async def complete(lsp, uri: str, line: int, character: int) -> dict[str, types.CompletionItem]:
    result = await lsp.client.text_document_completion_async(
        types.CompletionParams(types.TextDocumentIdentifier(uri), types.Position(line, character))
    )
    return {item.label: item for item in result.items}


async def test_contract_variables_and_their_attributes_are_offered_with_types(
    lsp, tmp_path: Path
) -> None:
    template = project(tmp_path)
    await lsp.initialize(tmp_path)
    uri = lsp.open(template, "{{ user.name }}\n")
    assert await lsp.published_version(uri, 1) == []

    variables = await complete(lsp, uri, 0, 5)
    attributes = await complete(lsp, uri, 0, 8)

    assert variables["user"].detail == "User"
    assert variables["user"].documentation.value == "Who asked."
    assert sorted(attributes) == ["email", "name"]
    assert attributes["name"].detail == "str"
    assert attributes["name"].documentation.value == "The user's display name."


async def test_attributes_are_offered_while_the_text_is_half_typed(lsp, tmp_path: Path) -> None:
    template = project(tmp_path)
    await lsp.initialize(tmp_path)
    uri = lsp.open(template, "{{ user.name }}\n")
    await complete(lsp, uri, 0, 8)

    lsp.change(uri, 2, "{{ user.\n")
    attributes = await complete(lsp, uri, 0, 8)

    assert sorted(attributes) == ["email", "name"]


LOOP = "{{ user.name }}\n{% for f in team %}{{ f.email }}{% endfor %}\n"


def team_project(folder: Path) -> Path:
    template = project(folder)
    models = folder / "myapp" / "models.py"
    models.write_text(models.read_text() + '    team: list[User]\n    """Everyone involved."""\n')
    template.write_text(LOOP)
    return template


async def test_hover_shows_the_type_and_description_of_variables_and_attributes(
    lsp, tmp_path: Path
) -> None:
    template = team_project(tmp_path)
    await lsp.initialize(tmp_path)
    uri = lsp.open(template, LOOP)
    assert await lsp.published_version(uri, 1) == []

    async def hover(line: int, character: int) -> types.Hover:
        return await lsp.client.text_document_hover_async(
            types.HoverParams(types.TextDocumentIdentifier(uri), types.Position(line, character))
        )

    variable, attribute, looped = await hover(0, 4), await hover(0, 9), await hover(1, 26)

    assert variable.contents.value == "**user**: `User`\n\nWho asked."
    assert variable.range == types.Range(types.Position(0, 3), types.Position(0, 7))
    assert attribute.contents.value == "**User.name**: `str`\n\nThe user's display name."
    assert looped.contents.value == "**User.email**: `str`\n\nWhere replies go."


async def test_loop_variables_get_their_contract_type_as_an_inlay_hint(lsp, tmp_path: Path) -> None:
    template = team_project(tmp_path)
    await lsp.initialize(tmp_path)
    uri = lsp.open(template, LOOP)

    hints = await lsp.client.text_document_inlay_hint_async(
        types.InlayHintParams(
            types.TextDocumentIdentifier(uri),
            types.Range(types.Position(0, 0), types.Position(2, 0)),
        )
    )

    assert [(h.position, h.label, h.kind) for h in hints] == [
        (types.Position(1, 8), ": User", types.InlayHintKind.Type)
    ]
