"""Published templates served to the linter, on both database backends."""

from __future__ import annotations

import hashlib

from prompt_tool.db.db_utils import DatabaseManager
from prompt_tool.db.models import Project, Prompt, PromptLabel
from prompt_tool.orchestration.published_templates import (
    load_published_templates,
    published_template_source,
)


def _version(name: str, version: int, **extra: object) -> Prompt:
    content = f"{name} v{version} {extra.get('feature_type') or ''}".strip()
    return Prompt(
        name=name,
        version=version,
        content=content,
        content_hash=hashlib.sha256(content.encode()).hexdigest(),
        is_template=extra.pop("is_template", True),
        **extra,
    )


def _populate(manager: DatabaseManager) -> None:
    with manager.session() as session:
        shop = Project(name="shop")
        footer_v1 = _version("footer.j2", 1)
        session.add_all(
            [
                shop,
                footer_v1,
                _version("footer.j2", 2),
                _version("header.j2", 1),
                _version("header.j2", 2),
                _version("header.j2", 3, feature_type="bugfix"),
                _version("private.j2", 1, project=shop),
                _version("note.txt", 1, is_template=False),
            ]
        )
        session.flush()
        session.add(PromptLabel(name="footer.j2", label="production", prompt_id=footer_v1.id))


def test_label_wins_else_newest_global_template(db_manager: DatabaseManager) -> None:
    _populate(db_manager)
    with db_manager.session() as session:
        templates = load_published_templates(session)
    assert templates == {"footer.j2": "footer.j2 v1", "header.j2": "header.j2 v2"}


def test_another_label_falls_back_to_newest(db_manager: DatabaseManager) -> None:
    _populate(db_manager)
    with db_manager.session() as session:
        templates = load_published_templates(session, label="staging")
    assert templates["footer.j2"] == "footer.j2 v2"


def test_source_serves_names_and_contents(db_manager: DatabaseManager) -> None:
    _populate(db_manager)
    source = published_template_source(db_manager.url)
    assert source.get_source("footer.j2") == "footer.j2 v1"
    assert source.get_source("private.j2") is None
    assert sorted(source.list_names()) == ["footer.j2", "header.j2"]
