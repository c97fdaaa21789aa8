"""SQLite files: a typo never creates a database, a read-only file can still be read."""

from __future__ import annotations

import os
import shutil
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from prompt_tool.core.errors import DatabaseError
from prompt_tool.db import migrations
from prompt_tool.db.db_utils import DatabaseManager
from prompt_tool.db.models import Project

RunCli = Callable[..., Any]


@pytest.mark.parametrize(
    "open_database",
    [
        pytest.param(lambda url: DatabaseManager(url).check_schema(), id="manager"),
        pytest.param(migrations.current, id="current"),
        pytest.param(lambda url: migrations.downgrade(url, "base"), id="downgrade"),
    ],
)
def test_a_missing_sqlite_file_is_an_error_not_a_new_database(
    tmp_path: Path, open_database: Callable[[str], object]
) -> None:
    path = tmp_path / "typo.db"
    with pytest.raises(DatabaseError, match=r"^no database file at .*typo\.db .*db upgrade"):
        open_database(f"sqlite:///{path}")
    assert not path.exists()


def test_the_embedded_default_and_db_upgrade_still_create_the_file(tmp_path: Path) -> None:
    embedded = tmp_path / "embedded" / "prompt-tool.db"
    manager = DatabaseManager(f"sqlite:///{embedded}", auto_migrate=True)
    try:
        manager.check_schema()
    finally:
        manager.dispose()
    assert migrations.current(f"sqlite:///{embedded}") == migrations.head()
    created = tmp_path / "new.db"
    assert migrations.current(f"sqlite:///{created}", missing_ok=True) is None
    migrations.upgrade(f"sqlite:///{created}")
    assert migrations.current(f"sqlite:///{created}") == migrations.head()


def test_the_cli_refuses_a_mistyped_database_url(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from prompt_tool.cli import app
    from tests.conftest import cli_environment

    path = tmp_path / "typo.db"
    result = CliRunner().invoke(
        app, ["--database-url", f"sqlite:///{path}", "projects", "list"], env=cli_environment(None)
    )
    assert result.exit_code == 1
    assert (
        result.stderr.startswith("error: no database file at ") and result.stderr.count("\n") == 1
    )
    assert not path.exists()


@pytest.fixture
def rollback_journal_database(sqlite_database_url: str, tmp_path: Path) -> Path:
    """A database in the rollback-journal mode, with one project: as another tool may leave it."""
    manager = DatabaseManager(sqlite_database_url)
    try:
        with manager.session(write=True) as session:
            session.add(Project(name="shop", variables={}))
    finally:
        manager.dispose()
    path = tmp_path / "copy.db"
    shutil.copyfile(sqlite_database_url.removeprefix("sqlite:///"), path)
    connection = sqlite3.connect(path)
    connection.execute("PRAGMA journal_mode=DELETE")
    connection.close()
    return path


def project_names(url: str) -> list[str]:
    from sqlalchemy import select

    manager = DatabaseManager(url)
    try:
        with manager.session() as session:
            return list(session.scalars(select(Project.name)))
    finally:
        manager.dispose()


def test_a_read_only_database_can_be_read_and_refuses_writes_in_one_line(
    rollback_journal_database: Path,
) -> None:
    url = f"sqlite:///file:{rollback_journal_database}?mode=ro&uri=true"
    assert project_names(url) == ["shop"]
    manager = DatabaseManager(url)
    try:
        with (
            pytest.raises(DatabaseError, match=r"readonly database$"),
            manager.session(write=True) as session,
        ):
            session.add(Project(name="other", variables={}))
    finally:
        manager.dispose()


def test_a_file_without_write_permission_is_opened_read_only(
    rollback_journal_database: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Permissions are what a non-root user meets (as root, the test asks os.access to say no)."""
    real_access = os.access
    path = str(rollback_journal_database)

    def access(target: Any, mode: int) -> bool:
        if str(target) == path and mode == os.W_OK:
            return False
        return real_access(target, mode)

    monkeypatch.setattr(os, "access", access)
    assert project_names(f"sqlite:///{path}") == ["shop"]
    connection = sqlite3.connect(path)
    try:
        [(mode,)] = connection.execute("PRAGMA journal_mode").fetchall()
    finally:
        connection.close()
    assert mode == "delete"
