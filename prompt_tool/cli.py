"""The `prompt-tool` command: global options, one error path, and the mounted groups.

Command modules import their heavy dependencies (SQLAlchemy, the analyser) inside the
commands, so that `prompt-tool --help` and `templates lint` start fast.
"""

from __future__ import annotations

import logging
import os
import sys
from typing import Any

import typer
from typer.core import TyperGroup

from prompt_tool import __version__
from prompt_tool.commands.context import CliState
from prompt_tool.core.config import LOG_LEVEL_ENV
from prompt_tool.core.errors import PromptToolError

LOG_FORMAT = "%(asctime)s - %(name)s - %(levelname)s - %(message)s"


def print_error(message: str) -> None:
    """The single error line every command prints: red on a terminal, plain otherwise."""
    if not sys.stderr.isatty():
        print(f"error: {message}", file=sys.stderr)
        return
    from rich.console import Console
    from rich.markup import escape

    Console(stderr=True, highlight=False, soft_wrap=True).print(
        f"[bold red]error:[/] {escape(message)}"
    )


class ErrorHandlingGroup(TyperGroup):
    """Turns every expected failure of any subcommand into one line and an exit code."""

    def invoke(self, ctx: Any) -> Any:  # Typer vendors click privately; ctx is its Context.
        try:
            return super().invoke(ctx)
        except PromptToolError as error:
            if _is_debug(ctx):
                raise
            print_error(str(error))
            raise typer.Exit(error.exit_code) from None
        except (typer.Exit, typer.Abort, typer.TyperException):
            raise
        except KeyboardInterrupt:
            print_error("interrupted")
            raise typer.Exit(130) from None
        except Exception as error:
            if _is_debug(ctx):
                raise
            from prompt_tool.core.error_messages import describe_unexpected

            print_error(describe_unexpected(error))
            raise typer.Exit(1) from None


def _is_debug(ctx: Any) -> bool:
    state = ctx.find_object(CliState)
    return bool(state and state.debug)


app = typer.Typer(
    cls=ErrorHandlingGroup,
    help="Author, validate, version and A/B-test the Jinja2 prompt templates of an LLM orchestrator.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"prompt-tool {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    ctx: typer.Context,
    database_url: str | None = typer.Option(
        None,
        "--database-url",
        help="SQLAlchemy URL; else PROMPT_TOOL_DATABASE_URL, pyproject.toml, or .prompt-tool/.",
        show_default=False,
    ),
    log_level: str = typer.Option(
        "WARNING", "--log-level", envvar=LOG_LEVEL_ENV, help="DEBUG, INFO, WARNING or ERROR."
    ),
    debug: bool = typer.Option(
        False, "--debug", help="Show tracebacks instead of one-line errors."
    ),
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    level = logging.getLevelName(log_level.upper())
    if not isinstance(level, int):
        raise typer.BadParameter(f"unknown log level {log_level!r}", param_hint="--log-level")
    logging.basicConfig(level=level, format=LOG_FORMAT, stream=sys.stderr)
    ctx.obj = CliState(
        database_url=database_url or None, debug=debug or bool(os.environ.get("PROMPT_TOOL_DEBUG"))
    )


def _mount_groups() -> None:
    """Mount each command group; their modules import only Typer at load time."""
    from prompt_tool.commands import registry

    for group, name, help_text in registry.groups():
        app.add_typer(group, name=name, help=help_text)


_mount_groups()


def main() -> None:
    """Console-script entry point."""
    app(prog_name="prompt-tool")
