"""Published templates from a real database (SQLite and PostgreSQL) in completion, and a
database outage that leaves every other feature working with one warning."""

from __future__ import annotations

import hashlib
from pathlib import Path

from lsprotocol import types

from prompt_tool.db.db_utils import DatabaseManager
from prompt_tool.db.models import ORCHESTRATION_CATEGORY, Project, Prompt, PromptLabel

UNREACHABLE = "postgresql://postgres@127.0.0.1:1/nowhere"


def publish(
    manager: DatabaseManager,
    name: str,
    content: str,
    versions: int = 1,
    project: str | None = None,
    label: bool = True,
) -> None:
    """`versions` versions of `name` (the first labelled production), globally or for a project."""
    with manager.session() as session:
        owner = None
        if project is not None:
            owner = session.query(Project).filter_by(name=project).one_or_none() or Project(
                name=project
            )
        prompts = [
            Prompt(
                name=name,
                version=version,
                content=f"{content} v{version}",
                content_hash=hashlib.sha256(f"{content}{version}".encode()).hexdigest(),
                is_template=True,
                category=ORCHESTRATION_CATEGORY,
                project=owner,
            )
            for version in range(1, versions + 1)
        ]
        session.add_all(prompts)
        session.flush()
        if label:
            session.add(
                PromptLabel(
                    name=name,
                    label="production",
                    prompt_id=prompts[0].id,
                    project_id=owner.id if owner else None,
                )
            )


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
    publish(db_manager, "shared/footer.j2", "Thanks.", versions=2)
    publish(db_manager, "shared/rules.j2", "Rules", versions=3, project="shop", label=False)
    publish(db_manager, "shared/other.j2", "Not ours", project="elsewhere")
    (tmp_path / "shared").mkdir()
    (tmp_path / "shared" / "header.j2").write_text("Hello\n")
    options = {"promptTool": {"databaseUrl": db_manager.url, "project": "shop"}}
    await lsp.initialize(tmp_path, options=options)
    typed = '{% include "shared/'
    uri = lsp.open(tmp_path / "main.j2", typed)

    names = await template_names(lsp, uri, typed, "shared/footer.j2")

    assert names == {
        "shared/footer.j2": "v1 (production) · global",
        "shared/rules.j2": "v3 · project",
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
    assert names["recovered.j2"] == "v1 (production) · global"
    assert names["local.j2"] == "workspace template"
    outages = [m for m in lsp.client.messages if "127.0.0.1" in m.message or "connect" in m.message]
    assert len(outages) == 1, [m.message for m in outages]


async def test_an_include_only_the_database_holds_shows_the_version_it_resolves_to(
    lsp, tmp_path: Path, db_manager: DatabaseManager
) -> None:
    publish(db_manager, "shared/footer.j2", "Thanks.", versions=2)
    (tmp_path / "local.j2").write_text("x\n")
    await lsp.initialize(tmp_path, options={"promptTool": {"databaseUrl": db_manager.url}})
    text = '{% include "local.j2" %}{% include "shared/footer.j2" %}'
    uri = lsp.open(tmp_path / "main.j2", text)
    await template_names(lsp, uri, '{% include "', "shared/footer.j2")

    hints = await lsp.client.text_document_inlay_hint_async(
        types.InlayHintParams(
            types.TextDocumentIdentifier(uri),
            types.Range(types.Position(0, 0), types.Position(0, len(text))),
        )
    )

    assert [(h.position, h.label) for h in hints] == [
        (types.Position(0, 53), "→ v1 (production) · global")
    ]
