"""Alembic environment: the URL comes from the caller, else from prompt-tool's configuration.

`prompt_tool.db.migrations` hands over an open connection (`config.attributes["connection"]`)
inside one transaction; a human running `alembic upgrade head` gets the URL from
`sqlalchemy.url`, else from the same precedence the CLI uses.
"""

from __future__ import annotations

from logging.config import fileConfig

from sqlalchemy import Connection

from alembic import context
from prompt_tool.checking.settings import resolve_database_url
from prompt_tool.db.engine import create_database_engine
from prompt_tool.db.models import Base

config = context.config
target_metadata = Base.metadata


def run_with(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=True,
        compare_type=True,
        transactional_ddl=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def configured_url() -> str:
    return config.get_main_option("sqlalchemy.url") or resolve_database_url(None).url


def run_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        run_with(connection)
        return
    if config.config_file_name is not None:
        fileConfig(config.config_file_name)
    engine = create_database_engine(configured_url(), enforce_foreign_keys=False)
    try:
        with engine.begin() as owned:
            run_with(owned)
    finally:
        engine.dispose()


def run_offline() -> None:
    context.configure(
        url=configured_url(),
        target_metadata=target_metadata,
        render_as_batch=True,
        literal_binds=True,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
