"""`prompt-tool templates render`: print a template's prompt exactly as a session would send it.

A thin adapter over `PreviewService`: parse the options into a context choice, open one
(read-only) transaction, print. The prompt goes to standard output untouched, so it can be
piped or diffed; its size and token estimate go to standard error.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from prompt_tool.commands.context import database
from prompt_tool.commands.template_store_cmds import FEATURE_TYPE, JSON_OUT, PROJECT, print_json

if TYPE_CHECKING:
    from prompt_tool.checking.settings import ProjectSettings
    from prompt_tool.core.token_count import TokenCounter
    from prompt_tool.orchestration.preview import ContextChoice, PreviewOutcome


def register(app: typer.Typer) -> None:
    """Add `render` to the `templates` group (once)."""
    if not any(command.name == "render" for command in app.registered_commands):
        app.command("render")(render)


def render(
    ctx: typer.Context,
    target: str = typer.Argument(
        ..., metavar="NAME|PATH", help="A template file, a phase, or a published template's name."
    ),
    project: str | None = PROJECT,
    feature_type: str | None = FEATURE_TYPE,
    label: str | None = typer.Option(
        None, "--label", "-l", help="Label includes follow (default production, else newest)."
    ),
    phase: str | None = typer.Option(
        None, "--phase", help="The phase whose context renders it (needed for partials)."
    ),
    session_id: int | None = typer.Option(
        None, "--session", metavar="N", help="Use stored session N's real context."
    ),
    context_file: Path | None = typer.Option(
        None, "--context", metavar="FILE.json", help="Use a context written as JSON."
    ),
    sample: bool = typer.Option(
        False, "--sample", help="Use a context generated from the contract."
    ),
    seed: int = typer.Option(0, "--seed", help="Seed of the --sample generator."),
    token_counter: str | None = typer.Option(
        None,
        "--token-counter",
        metavar="NAME",
        help="An installed token counter (default: [tool.prompt-tool.preview] token_counter,"
        " else the built-in heuristic).",
    ),
    as_json: bool = JSON_OUT,
) -> None:
    """Render a template with a session's, a file's or a generated context; unpublished files
    take the place of their published versions."""
    from prompt_tool.checking.settings import load_settings
    from prompt_tool.core.templating import TemplateRenderError
    from prompt_tool.orchestration.preview import PreviewService

    choice = _choice(session_id, context_file, sample, seed)
    settings = load_settings(Path.cwd())
    counter = _counter(token_counter, settings)
    with database(ctx).session() as session:
        outcome = PreviewService(session, settings.render).preview(
            target,
            choice,
            project=project,
            feature_type=feature_type,
            label=label,
            phase=phase,
            counter=counter,
        )
        session.rollback()
    error = outcome.preview.error
    if as_json:
        print_json(_as_json(outcome))
    if error is not None:
        where = ""
        if error.template is not None and error.line is not None:
            where = f"{error.template.path or error.template.describe()}:{error.line + 1}: "
        raise TemplateRenderError(f"{where}{error.message}")
    if not as_json:
        sys.stdout.write(outcome.preview.text)
        sys.stdout.flush()
        typer.echo(
            f"{outcome.preview.characters} characters, ~{outcome.preview.tokens} tokens "
            f"({outcome.preview.token_counter}) · {outcome.target.describe()} as {outcome.phase}"
            f" with {outcome.context}",
            err=True,
        )


def _choice(
    session_id: int | None, context_file: Path | None, sample: bool, seed: int
) -> ContextChoice:
    from prompt_tool.core.errors import UsageError
    from prompt_tool.orchestration.preview import JsonChoice, SampleChoice, SessionChoice

    given = [
        name
        for name, value in (
            ("--session", session_id is not None),
            ("--context", context_file is not None),
            ("--sample", sample),
        )
        if value
    ]
    if len(given) != 1:
        raise UsageError(
            "give exactly one context: --session N, --context FILE.json or --sample"
            + (f" (got {' and '.join(given)})" if given else "")
        )
    if session_id is not None:
        return SessionChoice(session_id)
    if context_file is not None:
        try:
            text = context_file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise UsageError(f"--context {context_file}: cannot read: {error}") from None
        return JsonChoice(text, str(context_file))
    return SampleChoice(seed)


def _counter(flag: str | None, settings: ProjectSettings) -> TokenCounter:
    """The flag's counter, else the project's (`[tool.prompt-tool.preview] token_counter`),
    else the built-in heuristic: the usual precedence, without an environment variable."""
    from prompt_tool.core.token_count import DEFAULT_COUNTER_NAME, load_token_counter

    name = flag or settings.preview.token_counter or DEFAULT_COUNTER_NAME
    return load_token_counter(name)


def _as_json(outcome: PreviewOutcome) -> dict[str, Any]:
    preview = outcome.preview
    error = preview.error
    return {
        "template": _origin(outcome.target),
        "phase": outcome.phase,
        "scope": {
            "project": outcome.project,
            "feature_type": outcome.feature_type,
            "label": outcome.label,
        },
        "context": outcome.context,
        "text": preview.text,
        "characters": preview.characters,
        "tokens": preview.tokens,
        "token_counter": preview.token_counter,
        "source_map": [
            {
                "line": number,
                **(_origin(line.template) if line.template else {"template": None}),
                "source_line": line.line + 1 if line.line is not None else None,
            }
            for number, line in enumerate(preview.lines, 1)
        ],
        "error": None
        if error is None
        else {
            "message": error.message,
            **(_origin(error.template) if error.template else {"template": None}),
            "source_line": error.line + 1 if error.line is not None else None,
        },
    }


def _origin(origin: Any) -> dict[str, Any]:
    return {"template": origin.name, "version": origin.version, "file": origin.path}
