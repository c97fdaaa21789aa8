"""Alembic through its Python API, with the scripts found from the package, not the cwd.

An installed wheel carries the top-level `alembic/` folder as `prompt_tool/_alembic`; a
checkout or editable install uses `<repo>/alembic`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from alembic import command
from prompt_tool.core.errors import DatabaseError
from prompt_tool.db.engine import (
    create_database_engine,
    display_url,
    first_line,
    require_existing_database,
    sqlite_file,
    translated_errors,
)

CONNECTION_ATTRIBUTE = "connection"


@dataclass(frozen=True)
class Revision:
    """One migration as `db history` lists it."""

    revision: str
    down_revision: str | None
    description: str


def script_location() -> Path:
    """The folder holding `env.py` and `versions/`: packaged copy first, then the checkout."""
    package = Path(__file__).resolve().parents[1]
    for candidate in (package / "_alembic", package.parent / "alembic"):
        if (candidate / "env.py").is_file():
            return candidate
    raise DatabaseError(f"the migration scripts are missing (looked in {package / '_alembic'})")


def alembic_config(url: str | None = None) -> Config:
    """An Alembic Config that needs no alembic.ini and no particular working directory."""
    config = Config()
    config.set_main_option("script_location", str(script_location()))
    if url is not None:
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def _scripts() -> ScriptDirectory:
    return ScriptDirectory.from_config(alembic_config())


def head() -> str:
    """The newest revision the code knows."""
    revision = _scripts().get_current_head()
    if revision is None:
        raise DatabaseError("the migration scripts define no revision")
    return revision


def history() -> list[Revision]:
    """All revisions, oldest first."""
    revisions = list(_scripts().walk_revisions())
    revisions.reverse()
    return [
        Revision(
            revision=script.revision,
            down_revision=script.down_revision if isinstance(script.down_revision, str) else None,
            description=(script.doc or "").strip(),
        )
        for script in revisions
    ]


def _run(url: str, action: str, revision: str) -> None:
    if action != "upgrade":
        require_existing_database(url)
    config = alembic_config(url)
    engine = create_database_engine(url, enforce_foreign_keys=False)
    try:
        with translated_errors(url):
            connection = engine.connect()
        with connection, connection.begin():
            config.attributes[CONNECTION_ATTRIBUTE] = connection
            if action == "upgrade":
                command.upgrade(config, revision)
            else:
                command.downgrade(config, revision)
    except DatabaseError:
        raise
    except Exception as error:  # a failing migration, Alembic's CommandError (unknown revision)
        cause = error.orig if isinstance(error, DBAPIError) and error.orig else error
        message = f"cannot {action} {display_url(url)} to {revision!r}: {first_line(cause)}"
        raise DatabaseError(message) from error
    finally:
        engine.dispose()


def upgrade(url: str, revision: str = "head") -> None:
    """Upgrade the database at `url` to `revision`, all in one transaction."""
    _run(url, "upgrade", revision)


def downgrade(url: str, revision: str) -> None:
    """Downgrade the database at `url` to `revision` ("base" empties it)."""
    _run(url, "downgrade", revision)


@dataclass(frozen=True)
class DowngradeLoss:
    """A revision whose downgrade deletes data, and what."""

    revision: str
    loses: str


UNDECLARED_LOSS = "data its downgrade drops (the migration does not say what)"


def downgrade_losses(url: str, target: str) -> list[DowngradeLoss]:
    """What `downgrade(url, target)` would delete, newest revision first.

    Each migration declares `DOWNGRADE_LOSES` (None when its downgrade keeps everything);
    one that does not declare it is assumed to lose data. A target that cannot be resolved
    returns nothing here: the downgrade itself then fails with Alembic's message.
    """
    scripts = _scripts()
    revision = current(url)
    steps = None
    if target.startswith("-") and target[1:].isdigit():
        steps, stop = int(target[1:]), None
    elif target == "base":
        stop = None
    else:
        try:
            found = scripts.get_revision(target)
        except Exception:  # Alembic's CommandError / ResolutionError for an unknown id
            return []
        if found is None:
            return []
        stop = found.revision
    losses: list[DowngradeLoss] = []
    while revision is not None and revision != stop and (steps is None or steps > 0):
        script = scripts.get_revision(revision)
        if script is None:
            break
        loses = getattr(script.module, "DOWNGRADE_LOSES", UNDECLARED_LOSS)
        if loses:
            losses.append(DowngradeLoss(script.revision, str(loses)))
        revision = script.down_revision if isinstance(script.down_revision, str) else None
        steps = None if steps is None else steps - 1
    return losses


def revision_of(connection: Connection) -> str | None:
    """The revision stamped in the database behind `connection` (None when never migrated)."""
    return MigrationContext.configure(connection).get_current_revision()


def current(url: str, *, missing_ok: bool = False) -> str | None:
    """The revision stamped in the database at `url`; a missing SQLite file is an error,
    or None with `missing_ok` (`db upgrade` is how a new file is created)."""
    if missing_ok and (path := sqlite_file(url)) is not None and not path.exists():
        return None
    require_existing_database(url)
    engine = create_database_engine(url)
    try:
        with translated_errors(url), engine.connect() as connection:
            return revision_of(connection)
    finally:
        engine.dispose()


def is_up_to_date(engine: Engine) -> bool:
    """Whether the database behind `engine` is at the code's head revision."""
    try:
        with engine.connect() as connection:
            return revision_of(connection) == head()
    except SQLAlchemyError as error:
        raise DatabaseError(f"cannot read the schema revision: {first_line(error)}") from error
