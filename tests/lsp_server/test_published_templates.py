"""Published templates from a real database (SQLite and PostgreSQL) in completion, and a
database outage that leaves every other feature working with one warning."""

from __future__ import annotations

import hashlib
import stat
from pathlib import Path

import pytest
from lsprotocol import types

from lsp_server.published import PublishedTemplates, PublishedVersion
from prompt_tool.db.db_utils import DatabaseManager
from prompt_tool.db.models import ORCHESTRATION_CATEGORY, Project, Prompt, PromptLabel

UNREACHABLE = "postgresql://postgres@127.0.0.1:1/nowhere"


@pytest.fixture(autouse=True)
def cache_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Published copies go under the test's folder: set before the server starts."""
    monkeypatch.setenv("PROMPT_TOOL_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache"


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


@pytest.mark.parametrize(
    ("reference", "version"),
    [
        pytest.param("shared/a.j2", 1, id="resolved-by-label"),
        pytest.param("shared/a.j2@production", 1, id="label-pin"),
        pytest.param("shared/a.j2@3", 3, id="newest-pin"),
        pytest.param("shared/a.j2@2", 1, id="unread-version-falls-back"),
        pytest.param("shared/a.j2@staging", 1, id="unknown-label-falls-back"),
    ],
)
def test_a_pinned_include_opens_its_version_when_the_store_read_it(
    db_manager: DatabaseManager, reference: str, version: int
) -> None:
    publish(db_manager, "shared/a.j2", "Body", versions=3)
    published = PublishedTemplates(db_manager.url)
    assert published.load() is None

    found = published.version_for(reference)

    assert found == ("shared/a.j2", PublishedVersion(version, f"Body v{version}"))
    assert published.version_for("missing.j2") is None


def test_a_published_template_knows_its_version_and_labels(db_manager: DatabaseManager) -> None:
    publish(db_manager, "shared/a.j2", "Body", versions=2)
    published = PublishedTemplates(db_manager.url)
    assert published.load() is None

    found = published.template("shared/a.j2")

    assert found is not None
    assert (found.version, found.labels, found.content) == (1, ("production",), "Body v1")


async def test_definition_of_a_published_include_opens_a_read_only_copy(
    lsp, tmp_path: Path, db_manager: DatabaseManager
) -> None:
    publish(db_manager, "partials/footer.j2", "Thanks.\n{{ name }}", versions=2)
    await lsp.initialize(
        tmp_path / "project", options={"promptTool": {"databaseUrl": db_manager.url}}
    )
    text = '{% include "partials/footer.j2" %}\n{% include "partials/footer.j2@2" %}\n'
    uri = lsp.open(tmp_path / "project" / "main.j2", text)
    await template_names(lsp, uri, '{% include "', "partials/footer.j2")

    resolved, pinned = [
        await lsp.client.text_document_definition_async(
            types.DefinitionParams(types.TextDocumentIdentifier(uri), types.Position(line, 14))
        )
        for line in (0, 1)
    ]
    links = await lsp.client.text_document_document_link_async(
        types.DocumentLinkParams(types.TextDocumentIdentifier(uri))
    )

    folder = tmp_path / "cache" / "prompt-tool" / "published"
    (store,) = folder.iterdir()
    first = store / "partials" / "footer.j2@v1.j2"
    second = store / "partials" / "footer.j2@v2.j2"
    assert resolved.uri == lsp.uri_of(first)
    assert pinned.uri == lsp.uri_of(second)
    assert first.read_text() == "Thanks.\n{{ name }} v1"
    assert second.read_text() == "Thanks.\n{{ name }} v2"
    assert stat.S_IMODE(first.stat().st_mode) == 0o444
    assert [link.target for link in links] == [resolved.uri, pinned.uri]


@pytest.mark.parametrize(
    ("reference", "summary"),
    [
        pytest.param("shared/a.j2", "v1 (production) · global", id="resolved"),
        pytest.param("shared/a.j2@3", "v3 · global", id="pinned-newest"),
    ],
)
def test_a_published_include_is_summarised_with_its_version_and_labels(
    db_manager: DatabaseManager, reference: str, summary: str
) -> None:
    publish(db_manager, "shared/a.j2", "Body", versions=3)
    published = PublishedTemplates(db_manager.url)
    assert published.load() is None

    found = published.summary(reference)

    assert found is not None and found[0] == summary
    assert published.summary("missing.j2") is None


async def test_hover_on_a_published_include_shows_its_version_labels_and_first_lines(
    lsp, tmp_path: Path, db_manager: DatabaseManager
) -> None:
    publish(db_manager, "partials/footer.j2", "Thanks.\n{{ name }}", versions=2)
    await lsp.initialize(tmp_path, options={"promptTool": {"databaseUrl": db_manager.url}})
    uri = lsp.open(tmp_path / "main.j2", '{% include "partials/footer.j2" %}\n')
    await template_names(lsp, uri, '{% include "', "partials/footer.j2")

    hover = await lsp.client.text_document_hover_async(
        types.HoverParams(types.TextDocumentIdentifier(uri), types.Position(0, 14))
    )

    assert hover.contents.value == (
        "**partials/footer.j2** — published v1 (production) · global\n\n"
        "```jinja\nThanks.\n{{ name }} v1\n```"
    )


async def test_references_of_an_include_name_reach_published_includers(
    lsp, tmp_path: Path, db_manager: DatabaseManager
) -> None:
    publish(db_manager, "partials/footer.j2", "Thanks.")
    publish(db_manager, "emails/welcome.j2", 'Hi\n{% include "partials/footer.j2@1" %}')
    project = tmp_path / "project"
    (project / "partials").mkdir(parents=True)
    (project / "closing.j2").write_text('{% include "partials/footer.j2" %}\n')
    await lsp.initialize(project, options={"promptTool": {"databaseUrl": db_manager.url}})
    uri = lsp.open(project / "main.j2", 'Body\n  {% include "partials/footer.j2" %}\n')
    await template_names(lsp, uri, '{% include "', "emails/welcome.j2")

    found = await lsp.client.text_document_references_async(
        types.ReferenceParams(
            text_document=types.TextDocumentIdentifier(uri),
            position=types.Position(1, 16),
            context=types.ReferenceContext(include_declaration=True),
        )
    )

    (copy,) = (tmp_path / "cache" / "prompt-tool" / "published").glob("*/emails/welcome.j2@v1.j2")
    assert sorted((location.uri, location.range.start) for location in found) == sorted(
        [
            (lsp.uri_of(project / "closing.j2"), types.Position(0, 12)),
            (uri, types.Position(1, 14)),
            (lsp.uri_of(copy), types.Position(1, 12)),
        ]
    )


def test_a_missing_database_file_is_reported_not_created(tmp_path: Path) -> None:
    path = tmp_path / "typo.db"
    problem = PublishedTemplates(f"sqlite:///{path}").load()
    assert problem is not None and problem.startswith("no database file at ")
    assert not path.exists()
