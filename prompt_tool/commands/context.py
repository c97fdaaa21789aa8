"""The one place commands get their database from: the URL the root parsed, opened lazily."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:
    from prompt_tool.core.config import DatabaseUrl
    from prompt_tool.db.db_utils import DatabaseManager

MANAGER_KEY = "prompt_tool.database_manager"


@dataclass
class CliState:
    """What the root callback parsed, handed to every command through `ctx.obj`.

    Defined here, below `cli.py`, so that commands read it without importing the CLI root
    (which imports the commands: no cycle)."""

    database_url: str | None = None
    debug: bool = False


def database_url(ctx: typer.Context) -> DatabaseUrl:
    """`--database-url`, else the environment, pyproject.toml or the embedded default."""
    from prompt_tool.checking.settings import resolve_database_url

    state = ctx.find_object(CliState)
    url = resolve_database_url(state.database_url if state else None)
    assert url is not None  # with the embedded default, there always is one
    return url


def database(ctx: typer.Context, *, check_schema: bool = True) -> DatabaseManager:
    """The DatabaseManager for this invocation, built once and disposed when the command ends.

    With `check_schema` an outdated schema is an error (the embedded default is migrated
    instead); `db` commands pass False because they are how the schema gets fixed.
    """
    from prompt_tool.db.db_utils import DatabaseManager

    root = ctx.find_root()
    manager = root.meta.get(MANAGER_KEY)
    if not isinstance(manager, DatabaseManager):
        url = database_url(ctx)
        manager = DatabaseManager(url.url, auto_migrate=url.is_embedded_default)
        root.meta[MANAGER_KEY] = manager
        root.call_on_close(manager.dispose)
    if check_schema:
        manager.check_schema()
    return manager
