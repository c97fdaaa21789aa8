"""`prompt-tool templates lint`: a thin adapter over the checking service."""

from __future__ import annotations

import contextlib
import os
import sys
from pathlib import Path

import typer

app = typer.Typer(help="Lint, publish and inspect prompt templates.", no_args_is_help=True)


@app.command("lint")
def lint(
    ctx: typer.Context,
    paths: list[Path] | None = typer.Argument(
        None, metavar="PATH", help="Template files and folders to lint.", show_default=False
    ),
    output_format: str = typer.Option(
        "text",
        "--format",
        metavar="FORMAT",
        help="Output: text, json, sarif or github (annotations).",
    ),
    strict: bool = typer.Option(False, "--strict", help="Warnings fail the run too."),
    phase: str | None = typer.Option(
        None, "--phase", metavar="PHASE", help="Check every template against this phase's contract."
    ),
    stdin: bool = typer.Option(False, "--stdin", help="Read one template from standard input."),
    stdin_filename: Path | None = typer.Option(
        None,
        "--stdin-filename",
        metavar="FILE",
        help="The path the --stdin template is reported (and named) as.",
    ),
    database_url: str | None = typer.Option(
        None,
        "--database-url",
        metavar="URL",
        help="Also resolve includes to templates published in this database "
        "(default: PROMPT_TOOL_DATABASE_URL, else pyproject's database_url).",
        show_default=False,
    ),
) -> None:
    """Check templates; exit 0 when clean, 1 on findings, 2 on bad arguments or configuration."""
    from prompt_tool.analysis.formats import FORMATS, render
    from prompt_tool.checking.lint import StdinDocument, run_lint
    from prompt_tool.checking.published import open_published
    from prompt_tool.checking.settings import load_settings, resolve_database_url, resolve_setting
    from prompt_tool.core.errors import ConfigError, UsageError

    if output_format not in FORMATS:
        raise UsageError(
            f"--format: unknown format {output_format!r} (choose {', '.join(FORMATS)})"
        )
    if stdin_filename is not None and not stdin:
        raise UsageError("--stdin-filename: only meaningful with --stdin")
    if stdin and stdin_filename is None:
        raise UsageError("--stdin: needs --stdin-filename to name the template it reads")
    document = StdinDocument(sys.stdin.buffer.read(), stdin_filename) if stdin_filename else None
    cwd = Path.cwd()
    try:
        settings = load_settings(cwd)
    except ConfigError as error:
        raise UsageError(str(error)) from None
    url = resolve_database_url(database_url or _root_database_url(ctx), use_default=False)
    project = resolve_setting("project", None, settings).value
    feature_type = resolve_setting("feature_type", None, settings).value
    with contextlib.ExitStack() as stack:
        view = (
            stack.enter_context(open_published(url.url, project, feature_type))
            if url is not None
            else None
        )
        try:
            result = run_lint(
                paths or [],
                settings,
                strict=strict,
                phase=phase,
                stdin=document,
                published=view.source if view else None,
                project_variables=view.project_variables if view else None,
            )
        except ConfigError as error:
            raise UsageError(str(error)) from None
    color = output_format == "text" and sys.stdout.isatty() and "NO_COLOR" not in os.environ
    sys.stdout.write(render(output_format, result.diagnostics, result.files_checked, cwd, color))
    sys.stdout.flush()
    raise typer.Exit(result.exit_code)


def _root_database_url(ctx: typer.Context) -> str | None:
    """`prompt-tool --database-url URL templates lint` means the same as the lint option."""
    from prompt_tool.commands.context import CliState

    state = ctx.find_object(CliState)
    return state.database_url if state else None
