"""`prompt-tool db`: apply and inspect schema migrations on the configured database."""

from __future__ import annotations

import sys

import typer

from prompt_tool.commands.context import database_url

app = typer.Typer(no_args_is_help=True)


def can_ask() -> bool:
    """Whether a person can answer a question: stdin is a terminal, not a pipe or CI."""
    return sys.stdin.isatty()


@app.command()
def upgrade(
    ctx: typer.Context,
    revision: str = typer.Argument("head", help="Target revision (default: the newest)."),
) -> None:
    """Migrate the database up to REVISION, in one transaction."""
    from prompt_tool.db import migrations
    from prompt_tool.db.engine import display_url

    url = database_url(ctx).url
    before = migrations.current(url, missing_ok=True)
    migrations.upgrade(url, revision)
    after = migrations.current(url)
    typer.echo(f"{display_url(url)}: {before or 'empty'} -> {after or 'empty'}")


@app.command()
def downgrade(
    ctx: typer.Context,
    revision: str = typer.Argument(..., help='Target revision, e.g. 0002, or "base" for empty.'),
    yes: bool = typer.Option(
        False, "--yes", "-y", help="Do not ask, even when the downgrade deletes data."
    ),
) -> None:
    """Migrate the database down to REVISION, in one transaction.

    A downgrade that deletes data (every revision says what) asks first; without a terminal
    to ask on, it needs --yes.
    """
    from prompt_tool.core.errors import PromptToolError
    from prompt_tool.db import migrations
    from prompt_tool.db.engine import display_url

    url = database_url(ctx).url
    before = migrations.current(url)
    losses = migrations.downgrade_losses(url, revision)
    if losses and not yes:
        deletes = "; ".join(f"{loss.loses} ({loss.revision})" for loss in losses)
        question = f"Downgrading {display_url(url)} to {revision} deletes {deletes}."
        if not can_ask():
            raise PromptToolError(f"{question[:-1]}: pass --yes to confirm")
        if not typer.confirm(f"{question} Continue?", default=False):
            raise PromptToolError(f"not downgraded to {revision} (confirm, or pass --yes)")
    migrations.downgrade(url, revision)
    after = migrations.current(url)
    typer.echo(f"{display_url(url)}: {before or 'empty'} -> {after or 'empty'}")


@app.command()
def current(ctx: typer.Context) -> None:
    """Print the database's revision and whether it is the newest."""
    from prompt_tool.db import migrations

    revision = migrations.current(database_url(ctx).url, missing_ok=True)
    head = migrations.head()
    if revision == head:
        typer.echo(f"{revision} (head)")
    elif revision is None:
        typer.echo(f"empty (head is {head}: run `prompt-tool db upgrade`)")
    else:
        typer.echo(f"{revision} (head is {head}: run `prompt-tool db upgrade`)")


@app.command()
def history() -> None:
    """List the migrations the code knows, oldest first."""
    from rich.console import Console
    from rich.table import Table

    from prompt_tool.db import migrations

    table = Table("Revision", "Down", "Description")
    for revision in migrations.history():
        table.add_row(revision.revision, revision.down_revision or "-", revision.description)
    Console().print(table)
