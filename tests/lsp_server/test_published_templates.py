"""Published templates from a real database (SQLite and PostgreSQL) in completion, and a
database outage that leaves every other feature working with one warning."""

from __future__ import annotations

import hashlib
from pathlib import Path

from lsprotocol import types

from prompt_tool.db.db_utils import DatabaseManager
from prompt_tool.db.models import Prompt, PromptLabel

UNREACHABLE = "postgresql://postgres@127.0.0.1:1/nowhere"


def publish(manager: DatabaseManager, name: str, content: str) -> None:
    with manager.session() as session:
        prompt = Prompt(
            name=name,
            version=1,
            content=content,
            content_hash=hashlib.sha256(content.encode()).hexdigest(),
            is_template=True,
        )
        session.add(prompt)
        session.flush()
        session.add(PromptLabel(name=name, label="production", prompt_id=prompt.id))


async def template_names(lsp, uri: str, typed: str, wanted: str) -> dict[str, str]:
    """Completions inside the include string, asked again until `wanted` is listed (each try
    is a real round trip while the catalog loads in the background)."""
    names: dict[str, str] = {}
    for _ in range(2000):
        result = await lsp.client.text_document_completion_async(
            types.CompletionParams(types.TextDocumentIdentifier(uri), types.Position(0, len(typed)))
        )
        names = {item.label: item.detail for item in result.items}
        if wanted in names:
            break
    return names


async def test_published_templates_are_offered_in_include_strings(
    lsp, tmp_path: Path, db_manager: DatabaseManager
) -> None:
    publish(db_manager, "shared/footer.j2", "Thanks.\n")
    (tmp_path / "shared").mkdir()
    (tmp_path / "shared" / "header.j2").write_text("Hello\n")
    await lsp.initialize(tmp_path, options={"promptTool": {"databaseUrl": db_manager.url}})
    typed = '{% include "shared/'
    uri = lsp.open(tmp_path / "main.j2", typed)

    names = await template_names(lsp, uri, typed, "shared/footer.j2")

    assert names == {
        "shared/footer.j2": "published template",
        "shared/header.j2": "workspace template",
    }


async def test_an_unreachable_database_warns_once_and_everything_else_works(
    lsp, tmp_path: Path, sqlite_database_url: str
) -> None:
    (tmp_path / "local.j2").write_text("x\n")
    await lsp.initialize(tmp_path, options={"promptTool": {"databaseUrl": UNREACHABLE}})
    uri = lsp.open(tmp_path / "main.j2", "{{ x }\n")

    warning = await lsp.message(lambda text: "127.0.0.1" in text or "connect" in text)
    diagnostics = await lsp.published_version(uri, 1)
    for _ in range(2):
        await lsp.client.workspace_execute_command_async(
            types.ExecuteCommandParams("promptTool.refreshDatabase", [])
        )
    publish(DatabaseManager(sqlite_database_url), "recovered.j2", "ok\n")
    lsp.client.workspace_did_change_configuration(
        types.DidChangeConfigurationParams({"promptTool": {"databaseUrl": sqlite_database_url}})
    )
    typed = '{% include "'
    other = lsp.open(tmp_path / "other.j2", typed)
    names = await template_names(lsp, other, typed, "recovered.j2")

    assert warning.type == types.MessageType.Warning
    assert [d.code for d in diagnostics] == ["PT001"]
    assert names["recovered.j2"] == "published template"
    assert names["local.j2"] == "workspace template"
    outages = [m for m in lsp.client.messages if "127.0.0.1" in m.message or "connect" in m.message]
    assert len(outages) == 1, [m.message for m in outages]
