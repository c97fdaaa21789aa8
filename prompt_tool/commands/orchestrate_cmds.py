"""`prompt-tool orchestrate`: plan, advance, retry, cancel, show, list, export and import sessions.

A runner's command runs outside any database transaction: the session is committed before
the command starts, and its execution is recorded in a transaction of its own, so a slow,
failing or hanging command never holds a lock nor loses the session.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from prompt_tool.commands.context import database

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from prompt_tool.db.db_utils import DatabaseManager
    from prompt_tool.orchestration.orchestrator import Orchestrator
    from prompt_tool.orchestration.runner import RunnerSettings, RunResult

app = typer.Typer(no_args_is_help=True)

JSON_OPTION = typer.Option(False, "--json", help="Print JSON for scripts.")
RUNNER_OPTION = typer.Option(
    None, "--runner", help="Command the prompt is piped to (default: [tool.prompt-tool] runner)."
)
TIMEOUT_OPTION = typer.Option(
    None, "--runner-timeout", help="Seconds before the command is killed (runner_timeout)."
)
FILE_OPTION = typer.Option(
    [], "--file", help="A source file the analysis and implementation prompts show (repeat)."
)


def print_json(data: Any) -> None:
    typer.echo(json.dumps(data, indent=2, ensure_ascii=False))


def _runner(command: str | None, timeout: float | None) -> RunnerSettings:
    from prompt_tool.core.errors import UsageError
    from prompt_tool.orchestration.runner import runner_settings

    settings = runner_settings(command, timeout, Path.cwd())
    if settings is None:
        raise UsageError(
            "--run needs a command: pass --runner CMD or set [tool.prompt-tool] runner"
        )
    return settings


def orchestrator(session: Session) -> Orchestrator:
    """The orchestrator, rendering under the `[tool.prompt-tool.render]` budget of the project,
    with the checking service's pre-render check (the project's settings, its variables)."""
    from prompt_tool.checking.orchestrate import SessionChecker
    from prompt_tool.checking.settings import load_settings
    from prompt_tool.orchestration.orchestrator import Orchestrator

    settings = load_settings(Path.cwd())
    return Orchestrator(session, budget=settings.render, render_check=SessionChecker(settings))


def _print_problems(problems: Sequence[str]) -> None:
    for problem in problems:
        typer.secho(f"error: {problem}", err=True, fg="red")


def _fail_if_failed(
    session_id: int, status: str, reason: str | None, problems: Sequence[str] = ()
) -> None:
    """A render that failed is stored on the session; say so in one line and exit 1.

    A render the pre-render check refused prints its other diagnostics first, one a line.
    """
    if status == "failed":
        _print_problems(problems[1:])
        typer.secho(
            f"error: session {session_id} failed: {reason}; fix the template and run"
            f" `prompt-tool orchestrate retry {session_id} --re-resolve`",
            err=True,
            fg="red",
        )
        raise typer.Exit(1)


def _run_current(db: DatabaseManager, session_id: int, settings: RunnerSettings) -> RunResult:
    """Run the current phase's prompt and record the execution; exit 1 if it failed."""
    from prompt_tool.orchestration.runner import run_prompt

    with db.session() as session:
        phase, prompt = orchestrator(session).current_prompt(session_id)
    result = run_prompt(settings.command, prompt, timeout=settings.timeout)
    with db.session(write=True) as session:
        orchestrator(session).record_run(session_id, result)
    if not result.is_success:
        reason = "timed out" if result.timed_out else f"exited with status {result.exit_status}"
        typer.secho(
            f"error: runner {settings.command!r} {reason} in the {phase} phase;"
            f" session {session_id} stays at {phase} (failure recorded)",
            err=True,
            fg="red",
        )
        raise typer.Exit(1)
    return result


@app.command()
def plan(
    ctx: typer.Context,
    project: str = typer.Argument(..., help="The project the feature belongs to."),
    feature: str = typer.Argument(..., help="Short title of the feature."),
    feature_type: str | None = typer.Option(None, "--feature-type", help="e.g. bugfix."),
    description: str | None = typer.Option(None, "--description", "-d", help="What and why."),
    criteria: list[str] = typer.Option([], "--criterion", help="An acceptance criterion."),
    variables: list[str] = typer.Option([], "--var", help="NAME=VALUE template variable."),
    label: str = typer.Option("production", "--label", help="Label of the versions to use."),
    unit_key: str | None = typer.Option(
        None, "--unit-key", help="What a running experiment's assignment sticks to (a user, ...)."
    ),
    files: list[Path] = FILE_OPTION,
    run: bool = typer.Option(False, "--run", help="Pipe the plan prompt to the runner."),
    runner: str | None = RUNNER_OPTION,
    runner_timeout: float | None = TIMEOUT_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """Start a session: resolve the templates, render the planning prompt, store it."""
    from prompt_tool.orchestration.orchestrator import parse_variables
    from prompt_tool.orchestration.render_check import RenderRefused
    from prompt_tool.orchestration.session_files import read_session_files
    from prompt_tool.orchestration.session_io import describe_session

    parsed = parse_variables(variables)
    given = read_session_files(files)
    settings = _runner(runner, runner_timeout) if run else None
    db = database(ctx)
    try:
        with db.session(write=True) as session:
            row = orchestrator(session).create_planning_session(
                project,
                feature,
                feature_type=feature_type,
                label=label,
                variables=parsed,
                description=description,
                acceptance_criteria=criteria,
                unit_key=unit_key,
                files=given,
            )
            session_id, prompt = row.id, row.orchestrator_prompt or ""
            status, reason = row.status, row.status_reason
            described = describe_session(row)
    except RenderRefused as refused:
        _print_problems(refused.problems)
        raise typer.Exit(1) from None
    _fail_if_failed(session_id, status, reason)
    if settings is not None:
        _run_current(db, session_id, settings)
    if as_json:
        print_json(described)
    elif settings is None:
        typer.echo(f"Created session {session_id} (phase orchestrator). Prompt:\n")
        typer.echo(prompt)
    else:
        typer.echo(f"Created session {session_id}; the plan run is recorded.")


@app.command()
def advance(
    ctx: typer.Context,
    session_id: int = typer.Argument(..., metavar="SESSION", help="The session's id."),
    output_file: Path | None = typer.Option(
        None, "--output-file", help="The current phase's output, as written by hand or a tool."
    ),
    run: bool = typer.Option(False, "--run", help="Run the current prompt; its output is used."),
    files: list[Path] = FILE_OPTION,
    runner: str | None = RUNNER_OPTION,
    runner_timeout: float | None = TIMEOUT_OPTION,
) -> None:
    """Record the current phase's output and render the next phase's prompt.

    With neither --output-file nor --run, the last successful run of the phase is used.
    """
    from prompt_tool.core.errors import UsageError
    from prompt_tool.orchestration.session_files import read_session_files

    if output_file is not None and run:
        raise UsageError("--output-file and --run exclude each other")
    output = None
    if output_file is not None:
        try:
            output = output_file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise UsageError(f"--output-file {output_file}: cannot read: {error}") from None
    given = read_session_files(files)
    db = database(ctx)
    if run:
        _run_current(db, session_id, _runner(runner, runner_timeout))
    with db.session(write=True) as session:
        orchestration = orchestrator(session)
        result = orchestration.advance(session_id, output, given)
        row = result.session
        status, phase, reason = row.status, row.phase, row.status_reason
        prompt = getattr(row, f"{phase}_prompt") or ""
    _fail_if_failed(session_id, status, reason, orchestration.refused)
    if status == "completed":
        typer.echo(f"Session {session_id}: {result.finished_phase} recorded; session completed.")
        return
    typer.echo(f"Session {session_id}: {result.finished_phase} recorded; now {phase}. Prompt:\n")
    typer.echo(prompt)


@app.command()
def retry(
    ctx: typer.Context,
    session_id: int = typer.Argument(..., metavar="SESSION", help="The session's id."),
    re_resolve: bool = typer.Option(
        False,
        "--re-resolve",
        help="Render from the versions resolved now (e.g. a fix just published), not the recorded ones.",
    ),
) -> None:
    """Render the current phase again (a new attempt); a failed session becomes active."""
    with database(ctx).session(write=True) as session:
        orchestration = orchestrator(session)
        row = orchestration.retry(session_id, re_resolve)
        status, phase, reason = row.status, row.phase, row.status_reason
        prompt = getattr(row, f"{phase}_prompt") or ""
    _fail_if_failed(session_id, status, reason, orchestration.refused)
    typer.echo(f"Session {session_id}: {phase} rendered again. Prompt:\n")
    typer.echo(prompt)


@app.command()
def cancel(
    ctx: typer.Context,
    session_id: int = typer.Argument(..., metavar="SESSION", help="The session's id."),
    reason: str | None = typer.Option(None, "--reason", help="Why, shown by `show`."),
) -> None:
    """Cancel a session: it stops for good and can no longer advance or retry."""
    with database(ctx).session(write=True) as session:
        row = orchestrator(session).cancel(session_id, reason)
        phase = row.phase
    typer.echo(f"Session {session_id}: cancelled in the {phase} phase.")


@app.command()
def complete(
    ctx: typer.Context,
    session_id: int = typer.Argument(..., metavar="SESSION", help="The session's id."),
    outcome: str = typer.Option(..., "--outcome", help="success or failure."),
    score: float | None = typer.Option(None, "--score", help="A number, e.g. a review grade."),
    note: str | None = typer.Option(None, "--note", help="Why, in a sentence."),
) -> None:
    """Record how a session went (for its experiment) and mark it completed."""
    from prompt_tool.core.errors import UsageError
    from prompt_tool.orchestration.session_outcomes import complete_session

    if outcome not in ("success", "failure"):
        raise UsageError(f"--outcome {outcome!r}: use success or failure")
    with database(ctx).session(write=True) as session:
        result = complete_session(
            session, session_id, success=outcome == "success", score=score, note=note
        )
        status = result.session.status
    where = (
        f"recorded for experiment {', '.join(result.experiments)}"
        if result.experiments
        else "no experiment covers it, so nothing was recorded for one"
    )
    typer.echo(f"Session {session_id}: {outcome} ({status}); {where}.")


@app.command()
def show(
    ctx: typer.Context,
    session_id: int = typer.Argument(..., metavar="SESSION"),
    as_json: bool = JSON_OPTION,
) -> None:
    """Show a session: phase, status, versions used, rendered prompts, executions."""
    from prompt_tool.orchestration.session_io import describe_session
    from prompt_tool.orchestration.session_manager import SessionManager

    with database(ctx).session() as session:
        manager = SessionManager(session)
        row = manager.get(session_id)
        data = describe_session(row, manager.versions_used(row))
    if as_json:
        print_json(data)
        return
    typer.echo(
        f"Session {data['id']}: {data['project']} / {data['feature']}"
        f" ({data['feature_type'] or 'feature'}) — {data['status']}, phase {data['phase']}"
    )
    if data["status_reason"]:
        typer.echo(f"  reason: {data['status_reason']}")
    for experiment, record in (data["variant_assignments"] or {}).items():
        typer.echo(f"  experiment {experiment}: variant {record['variant']}")
    for phase, version in data["versions"].items():
        used = "legacy text" if version is None else f"{version['name']} v{version['version']}"
        typer.echo(f"  {phase}: {used}")
    for key, template in data["templates"].items():
        scope = template["scope"]
        where = "/".join(part for part in (scope["project"], scope["feature_type"]) if part)
        typer.echo(f"  renders {key} as v{template['version']} ({where or 'global'})")
    for phase, prompt in data["prompts"].items():
        if prompt is not None:
            typer.echo(f"\n--- {phase} prompt ---\n{prompt}")
    typer.echo(f"\nExecutions: {len(data['executions'])}")
    for execution in data["executions"]:
        how = "supplied" if execution["duration_ms"] is None else f"{execution['duration_ms']} ms"
        typer.echo(f"  {execution['phase']}: exit {execution['exit_status']} ({how})")


@app.command("list")
def list_sessions(
    ctx: typer.Context,
    project: str | None = typer.Option(None, "--project"),
    status: str | None = typer.Option(None, "--status"),
    feature_type: str | None = typer.Option(None, "--feature-type"),
    as_json: bool = JSON_OPTION,
) -> None:
    """List sessions, newest first."""
    from prompt_tool.orchestration.session_manager import SessionFilter, SessionManager

    where = SessionFilter(project=project, status=status, feature_type=feature_type)
    with database(ctx).session() as session:
        rows = [
            {
                "id": row.id,
                "project": row.project.name,
                "feature": row.feature_name,
                "feature_type": row.feature_type,
                "status": row.status,
                "phase": row.phase,
            }
            for row in SessionManager(session).list(where)
        ]
    if as_json:
        print_json(rows)
        return
    if not rows:
        typer.echo("No sessions.")
    for item in rows:
        typer.echo(
            f"{item['id']}\t{item['project']}\t{item['feature']}\t"
            f"{item['feature_type'] or '-'}\t{item['status']}\t{item['phase']}"
        )


@app.command("export")
def export_command(
    ctx: typer.Context,
    session_id: int = typer.Argument(..., metavar="SESSION"),
    file: Path = typer.Argument(..., help="The JSON file to write."),
) -> None:
    """Write a session, its prompts, executions and template versions to a JSON file."""
    from prompt_tool.core.errors import UsageError
    from prompt_tool.orchestration.session_io import export_session, write_export
    from prompt_tool.orchestration.session_manager import SessionManager

    with database(ctx).session() as session:
        document = export_session(session, SessionManager(session).get(session_id))
    try:
        write_export(file, document)
    except OSError as error:
        raise UsageError(f"{file}: cannot write: {error.strerror}") from None
    typer.echo(f"Exported session {session_id} to {file}.")


@app.command("import")
def import_command(
    ctx: typer.Context, file: Path = typer.Argument(..., help="A file written by export.")
) -> None:
    """Store a session exported from this or another database."""
    from prompt_tool.checking.publish import PublishChecker
    from prompt_tool.checking.settings import load_settings
    from prompt_tool.orchestration.session_io import import_session

    checker = PublishChecker(load_settings(Path.cwd()))
    with database(ctx).session(write=True) as session:
        row = import_session(session, file, checker)
        session_id = row.id
    typer.echo(f"Imported {file} as session {session_id}.")
