"""Engines for SQLite and PostgreSQL with the settings this tool relies on, and error wording.

SQLite: foreign keys are off unless each connection turns them on, and the stdlib driver
defers BEGIN in a way that breaks SAVEPOINT and transactional DDL; both are fixed on connect.
"""

from __future__ import annotations

import os
import re
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import URL, Engine, create_engine, event, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError, SQLAlchemyError

from prompt_tool.core.errors import DatabaseError

CONNECT_TIMEOUT_SECONDS = 5
PASSWORD_IN_URL = re.compile(r"(://[^:/@]*:)[^@]*@")
SQLITE_BUSY_TIMEOUT_SECONDS = 30
WRITE_OPTION = "prompt_tool_writes"
"""Execution option of a connection whose transaction will write (see `DatabaseManager.session`)."""


def parse_url(url: str) -> URL:
    """The parsed URL, or a one-line DatabaseError naming what is wrong with it."""
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError) as error:
        masked = PASSWORD_IN_URL.sub(r"\1***@", url)
        raise DatabaseError(f"malformed database URL {masked!r}: {first_line(error)}") from None
    if parsed.get_backend_name() not in {"sqlite", "postgresql"}:
        raise DatabaseError(
            f"unsupported database URL {display_url(parsed)!r}: use sqlite:/// or postgresql://"
        )
    if parsed.drivername == "postgresql":
        # SQLAlchemy 2.1 defaults to psycopg 3; the dependency this tool ships is psycopg2.
        return parsed.set(drivername="postgresql+psycopg2")
    return parsed


def display_url(url: str | URL) -> str:
    """The URL as it may be shown to a user: the password masked."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except (ArgumentError, ValueError):
        return str(url)


def first_line(error: BaseException) -> str:
    lines = str(error).strip().splitlines()
    return lines[0].strip() if lines else type(error).__name__


def create_database_engine(url: str, *, enforce_foreign_keys: bool = True) -> Engine:
    """An engine for `url`; migrations pass `enforce_foreign_keys=False` to rebuild SQLite tables."""
    parsed = parse_url(url)
    try:
        if parsed.get_backend_name() == "sqlite":
            return _sqlite_engine(parsed, enforce_foreign_keys)
        return create_engine(
            parsed,
            pool_pre_ping=True,
            pool_size=5,
            max_overflow=10,
            pool_recycle=1800,
            connect_args={"connect_timeout": CONNECT_TIMEOUT_SECONDS},
        )
    except (NoSuchModuleError, ArgumentError, ImportError) as error:
        raise DatabaseError(
            f"cannot use database URL {display_url(parsed)!r}: {first_line(error)}"
        ) from None


def sqlite_file(url: str | URL) -> Path | None:
    """The file behind a `sqlite:///path` URL; None for other URLs, memory and `file:` URIs."""
    parsed = parse_url(url) if isinstance(url, str) else url
    database = parsed.database or ""
    if parsed.get_backend_name() != "sqlite" or not database or database == ":memory:":
        return None
    if database.startswith("file:"):
        return None
    return Path(database).expanduser()


def require_existing_database(url: str | URL) -> None:
    """A SQLite URL must name an existing file: a typo must not create an empty database.

    Only `db upgrade` (and the embedded default, migrated on first use) create the file.
    """
    path = sqlite_file(url)
    if path is not None and not path.exists():
        raise DatabaseError(
            f"no database file at {path} ({display_url(url)}): check the URL, "
            "or create the database with `prompt-tool db upgrade`"
        )


def _sqlite_engine(url: URL, enforce_foreign_keys: bool) -> Engine:
    database = url.database or ""
    path = sqlite_file(url)
    if path is not None and not path.exists():
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise DatabaseError(f"cannot create the folder for {database}: {error}") from None
    if path is not None and path.exists() and not os.access(path, os.W_OK):
        # Open read-only explicitly: reads work, a write fails with one clear line.
        url = url.set(database=f"file:{path.resolve()}", query={"mode": "ro", "uri": "true"})
    engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS})
    is_file = bool(database) and database != ":memory:" and "mode=memory" not in database

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA foreign_keys={'ON' if enforce_foreign_keys else 'OFF'}")
        if is_file:
            # WAL: readers never block the writer, and with synchronous=NORMAL a commit
            # does not wait for an fsync (a power cut may lose the last commits, never
            # corrupt the file); the rollback journal's fsync per commit cost ~12 ms here.
            # A read-only file keeps the journal mode it has: it can still be read.
            try:
                cursor.execute("PRAGMA journal_mode=WAL")
                cursor.execute("PRAGMA synchronous=NORMAL")
            except sqlite3.OperationalError as error:
                if "readonly" not in str(error):
                    raise
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        # A writing transaction takes the write lock first (BEGIN IMMEDIATE), so it waits
        # out the busy timeout for a concurrent writer; a deferred one that read first could
        # only fail with "database is locked" when it tries to write.
        writes = connection.get_execution_options().get(WRITE_OPTION, False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if writes else "BEGIN")

    return engine


def describe_database_error(error: SQLAlchemyError, url: str | URL) -> DatabaseError:
    """One line for a driver failure: which database, and the driver's first line."""
    cause = error.orig if isinstance(error, DBAPIError) and error.orig is not None else error
    if isinstance(error, DBAPIError) and error.connection_invalidated:
        return DatabaseError(f"lost the connection to {display_url(url)}: {first_line(cause)}")
    if isinstance(error, DBAPIError) and _is_connect_failure(error):
        return DatabaseError(f"cannot connect to {display_url(url)}: {first_line(cause)}")
    return DatabaseError(f"database error on {display_url(url)}: {first_line(cause)}")


CONNECT_FAILURE = re.compile(
    r"connection refused|could not connect|could not translate host|connection to server"
    r"|timeout expired|password authentication failed|unable to open database"
    r'|(database|role) "[^"]*" does not exist',
    re.IGNORECASE,
)


def _is_connect_failure(error: DBAPIError) -> bool:
    return CONNECT_FAILURE.search(str(error.orig)) is not None


@contextmanager
def translated_errors(url: str | URL) -> Iterator[None]:
    """Turn driver exceptions into a one-line DatabaseError (domain errors pass through)."""
    try:
        yield
    except SQLAlchemyError as error:
        raise describe_database_error(error, url) from error
