"""DatabaseManager and get_or_create against real SQLite files and a real PostgreSQL."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy import func, select

from prompt_tool.core.errors import DatabaseError, SchemaOutdatedError
from prompt_tool.db import migrations
from prompt_tool.db.db_utils import DatabaseManager, get_or_create
from prompt_tool.db.models import Project


def project_names(manager: DatabaseManager) -> list[str]:
    with manager.session() as session:
        return list(session.scalars(select(Project.name).order_by(Project.name)))


def test_session_commits_on_success(db_manager: DatabaseManager) -> None:
    with db_manager.session() as session:
        session.add(Project(name="shop"))
    assert project_names(db_manager) == ["shop"]


def test_session_rolls_back_on_exception(db_manager: DatabaseManager) -> None:
    with pytest.raises(RuntimeError, match="halfway"), db_manager.session() as session:
        session.add(Project(name="shop"))
        session.flush()
        raise RuntimeError("halfway")
    assert project_names(db_manager) == []


def test_driver_errors_leave_the_session_as_one_line_database_errors(
    db_manager: DatabaseManager,
) -> None:
    with db_manager.session() as session:
        session.add(Project(name="shop"))
    with pytest.raises(DatabaseError) as caught, db_manager.session() as session:
        session.add(Project(name="blog"))
        session.add(Project(name="shop"))
    assert "\n" not in str(caught.value)
    assert project_names(db_manager) == ["shop"]


def test_get_or_create_creates_once_then_finds(db_manager: DatabaseManager) -> None:
    with db_manager.session() as session:
        created, was_created = get_or_create(
            session, Project, defaults={"description": "first"}, name="shop"
        )
        found, found_created = get_or_create(
            session, Project, defaults={"description": "second"}, name="shop"
        )
    assert (was_created, found_created) == (True, False)
    assert found.id == created.id
    assert found.description == "first"


@pytest.mark.postgres
def test_get_or_create_races_to_exactly_one_row_on_postgresql(
    postgres_database_url: str,
) -> None:
    workers = 8
    manager = DatabaseManager(postgres_database_url)
    start = threading.Barrier(workers)

    def create() -> tuple[int, bool]:
        with manager.session() as session:
            start.wait()
            project, created = get_or_create(session, Project, name="contended")
            return project.id, created

    try:
        with ThreadPoolExecutor(workers) as pool:
            results = list(pool.map(lambda _: create(), range(workers)))
        with manager.session() as session:
            rows = session.scalar(select(func.count()).select_from(Project))
    finally:
        manager.dispose()
    assert rows == 1
    assert len({project_id for project_id, _ in results}) == 1
    assert sum(created for _, created in results) == 1


def test_check_schema_accepts_a_database_at_head(db_manager: DatabaseManager) -> None:
    db_manager.check_schema()


def test_check_schema_names_the_command_when_the_schema_is_behind(
    empty_database_url: str,
) -> None:
    migrations.upgrade(empty_database_url, "0002")
    manager = DatabaseManager(empty_database_url)
    try:
        with pytest.raises(SchemaOutdatedError) as caught:
            manager.check_schema()
    finally:
        manager.dispose()
    message = str(caught.value)
    assert (
        f"is at revision 0002, code needs {migrations.head()}: run `prompt-tool db upgrade`"
        in message
    )
    assert migrations.current(empty_database_url) == "0002"


def test_the_embedded_default_is_created_and_migrated_on_first_use(tmp_path: Path) -> None:
    path = tmp_path / ".prompt-tool" / "prompt-tool.db"
    manager = DatabaseManager(f"sqlite:///{path}", auto_migrate=True)
    try:
        manager.check_schema()
        with manager.session() as session:
            session.add(Project(name="shop"))
    finally:
        manager.dispose()
    assert path.is_file()
    assert migrations.current(f"sqlite:///{path}") == migrations.head()


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        pytest.param("not a url", "malformed database URL 'not a url'", id="malformed"),
        pytest.param("mysql://u@h/db", "unsupported database URL", id="unsupported"),
        pytest.param(
            "postgresql://u:secret@h:port/db",
            "malformed database URL 'postgresql://u:***@h:port/db'",
            id="malformed-password-hidden",
        ),
        pytest.param(
            "postgresql://postgres@127.0.0.1:1/x",
            "cannot connect to postgresql://postgres@127.0.0.1:1/x: ",
            id="unreachable",
        ),
        pytest.param(
            "postgresql://postgres:secret@127.0.0.1:1/x", "postgres:***@", id="password-hidden"
        ),
        pytest.param(
            "postgresql://postgres@127.0.0.1:5432/prompt_tool_no_such_db",
            "cannot connect to postgresql://postgres@127.0.0.1:5432/prompt_tool_no_such_db: ",
            id="missing-database",
        ),
    ],
)
def test_bad_urls_give_one_line(url: str, expected: str) -> None:
    manager = DatabaseManager(url)
    with pytest.raises(DatabaseError) as caught:
        manager.check_schema()
    message = str(caught.value)
    assert expected in message
    assert "\n" not in message
    assert "secret" not in message


def test_sqlite_files_use_the_write_ahead_log(sqlite_database_url: str) -> None:
    """WAL with synchronous=NORMAL: commits skip the fsync, readers never block the writer."""
    manager = DatabaseManager(sqlite_database_url)
    try:
        with manager.engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert connection.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL
            assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    finally:
        manager.dispose()
