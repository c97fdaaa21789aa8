"""Published templates as a template source, on both backends: one slot chain for every check."""

from __future__ import annotations

from pathlib import Path

import pytest

from prompt_tool.checking.published import PublishedSource, open_published
from prompt_tool.core.errors import NotFoundError
from prompt_tool.db.db_utils import DatabaseManager
from prompt_tool.orchestration.project_manager import ProjectManager
from prompt_tool.orchestration.template_manager import OrchestrationTemplateManager
from prompt_tool.orchestration.template_resolver import TemplateResolver


@pytest.fixture
def populated(db_manager: DatabaseManager) -> DatabaseManager:
    """`partials/a.j2`: global v1 (staging, production) and v2; the project shop's own v1;
    `partials/b.j2` global for feature type bugfix only; shop's variables."""
    with db_manager.session() as session:
        ProjectManager(session).create("shop", "A shop")
        ProjectManager(session).set_var("shop", "max_files", "3")
        manager = OrchestrationTemplateManager(session)
        for number in (1, 2):
            manager.create_orchestration_template("partials/a.j2", "partial", f"a{number}")
        manager.create_orchestration_template("partials/a.j2", "partial", "mine", "shop")
        manager.create_orchestration_template(
            "partials/b.j2", "partial", "b bugfix", feature_type="bugfix"
        )
        manager.set_label("partials/a.j2", "staging", 1)
        manager.set_label("partials/a.j2", "production", 1)
    return db_manager


def test_published_source_serves_pins_and_names(populated: DatabaseManager) -> None:
    with populated.session() as session:
        resolver = TemplateResolver(session)
        source = PublishedSource(resolver.catalog("shop", None))
        # The project's own partial shadows the global one, pins included.
        assert source.get_source("partials/a.j2") == "mine"
        assert source.get_source("partials/a.j2@1") == "mine"
        assert source.get_source("partials/a.j2@2") is None
        assert source.get_source("partials/a.j2@staging") is None
        global_source = PublishedSource(resolver.catalog(None, None))
        assert global_source.get_source("partials/a.j2") == "a1"  # production, not newest
        assert global_source.get_source("partials/a.j2@2") == "a2"
        assert global_source.get_source("partials/a.j2@staging") == "a1"
        assert global_source.get_source("partials/a.j2@9") is None
        assert global_source.get_source("partials/a.j2@nope") is None
        assert (source.has_pin("partials/a.j2", "1"), source.has_pin("partials/a.j2", "2")) == (
            True,
            False,
        )
        assert "partials/a.j2" in set(source.list_names())
        assert "partials/feature.j2" in set(source.list_names())  # a built-in


@pytest.mark.parametrize(
    ("project", "feature_type", "a", "b", "variables"),
    [
        pytest.param(None, None, "a1", None, None, id="global"),
        pytest.param(None, "bugfix", "a1", "b bugfix", None, id="global-feature-type"),
        pytest.param("shop", "bugfix", "mine", "b bugfix", {"max_files": 3}, id="project"),
    ],
)
def test_open_published_reads_the_slot_chain_and_the_project_variables(
    populated: DatabaseManager,
    project: str | None,
    feature_type: str | None,
    a: str,
    b: str | None,
    variables: dict[str, int] | None,
) -> None:
    with open_published(populated.url, project, feature_type) as view:
        assert view.source.get_source("partials/a.j2") == a
        assert view.source.get_source("partials/b.j2") == b
        assert view.project_variables == variables


def test_open_published_refuses_an_unknown_project(populated: DatabaseManager) -> None:
    with (
        pytest.raises(NotFoundError, match="project 'nope' does not exist"),
        open_published(populated.url, "nope", None),
    ):
        pass


def test_open_published_never_creates_a_database(tmp_path: Path) -> None:
    from prompt_tool.core.errors import DatabaseError

    path = tmp_path / "none.db"
    with (
        pytest.raises(DatabaseError, match="no database file"),
        open_published(f"sqlite:///{path}", None, None),
    ):
        pass
    assert not path.exists()


def test_open_published_never_migrates(tmp_path: Path) -> None:
    import sqlite3

    from prompt_tool.core.errors import SchemaOutdatedError

    path = tmp_path / "empty.db"
    sqlite3.connect(path).close()
    with (
        pytest.raises(SchemaOutdatedError, match="db upgrade"),
        open_published(f"sqlite:///{path}", None, None),
    ):
        pass
    with sqlite3.connect(path) as connection:
        tables = connection.execute("SELECT name FROM sqlite_master").fetchall()
    assert tables == []
