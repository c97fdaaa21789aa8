"""The one way to reach the database: engine, transactional sessions, schema check, get_or_create."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any, TypeVar

from sqlalchemy import Engine, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from prompt_tool.core.errors import DatabaseError, SchemaOutdatedError
from prompt_tool.db import migrations
from prompt_tool.db.engine import (
    WRITE_OPTION,
    create_database_engine,
    display_url,
    require_existing_database,
    translated_errors,
)

ModelT = TypeVar("ModelT")


class DatabaseManager:
    """Owns the engine for one URL; nothing connects until a session or a check needs it.

    `auto_migrate` is for the embedded default SQLite: it is created and migrated on first
    use. Any other database is only checked, so that a shared PostgreSQL is never altered
    behind its owner's back.
    """

    def __init__(self, url: str, *, auto_migrate: bool = False) -> None:
        self.url = url
        self.auto_migrate = auto_migrate
        self._engine: Engine | None = None
        self._factory: dict[bool, sessionmaker[Session]] | None = None
        self._schema_checked = False

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            if not self.auto_migrate:
                require_existing_database(self.url)
            self._engine = create_database_engine(self.url)
        return self._engine

    @property
    def display_url(self) -> str:
        return display_url(self.url)

    def check_schema(self) -> None:
        """Raise SchemaOutdatedError unless the schema is at the code's head (migrate if allowed)."""
        if self._schema_checked:
            return
        with translated_errors(self.url), self.engine.connect() as connection:
            current = migrations.revision_of(connection)
        needed = migrations.head()
        if current != needed:
            known = {revision.revision for revision in migrations.history()}
            if current is not None and current not in known:
                raise SchemaOutdatedError(
                    f"database at {self.display_url} is at revision {current}, which this "
                    f"prompt-tool (revision {needed}) does not know: upgrade prompt-tool"
                )
            if not self.auto_migrate:
                raise SchemaOutdatedError(
                    f"database at {self.display_url} is at revision {current or 'none'}, "
                    f"code needs {needed}: run `prompt-tool db upgrade`"
                )
            self._auto_upgrade(needed)
        self._schema_checked = True

    def _auto_upgrade(self, needed: str) -> None:
        """Migrate the embedded database; a concurrent process doing the same may win the race."""
        try:
            migrations.upgrade(self.url)
        except DatabaseError:
            if migrations.current(self.url) != needed:
                raise

    @contextmanager
    def session(self, *, write: bool = False) -> Iterator[Session]:
        """A session in one transaction: committed on success, rolled back on any exception.

        `write=True` declares that the transaction will write: on SQLite it then takes the
        database's write lock before its first read, so concurrent writers queue (up to the
        busy timeout) instead of failing with "database is locked". Reads leave it False, so
        they never wait for a writer and work on a read-only file.
        """
        session = self._factories()[write]()
        try:
            with translated_errors(self.url):
                yield session
                session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def _factories(self) -> dict[bool, sessionmaker[Session]]:
        if self._factory is None:
            writer = self.engine.execution_options(**{WRITE_OPTION: True})
            self._factory = {
                False: sessionmaker(self.engine, expire_on_commit=False),
                True: sessionmaker(writer, expire_on_commit=False),
            }
        return self._factory

    def dispose(self) -> None:
        """Close pooled connections (tests and short-lived processes call this at the end)."""
        if self._engine is not None:
            self._engine.dispose()


def get_or_create(
    session: Session,
    model: type[ModelT],
    defaults: Mapping[str, Any] | None = None,
    **keys: Any,
) -> tuple[ModelT, bool]:
    """The row matching `keys`, created with `defaults` if missing; `(row, created)`.

    Safe under races: the insert runs in a SAVEPOINT, so when another process wins (a unique
    violation) only the savepoint is rolled back and the winner's row is read instead.
    `keys` must be covered by a unique constraint for the race to resolve this way.
    """
    query = select(model).filter_by(**keys).limit(1)
    found = session.scalars(query).first()
    if found is not None:
        return found, False
    instance = model(**keys, **dict(defaults or {}))
    try:
        with session.begin_nested():
            session.add(instance)
    except IntegrityError:
        found = session.scalars(query).first()
        if found is None:
            raise
        return found, False
    return instance, True
