"""`prompt-tool templates publish|list|show|history|diff|label|labels|rollback|export|resolve`.

Thin adapters over `OrchestrationTemplateManager` and `TemplateResolver`: parse options,
open one transaction, call, print. `--project` omitted means the global scope.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from prompt_tool.commands.context import database

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from prompt_tool.analysis.diagnostics import Diagnostic
    from prompt_tool.db.models import Prompt, PromptLabelEvent
    from prompt_tool.orchestration.template_manager import PublishResult
    from prompt_tool.orchestration.template_resolver import Resolution

PROJECT = typer.Option(None, "--project", "-p", help="Project scope; omitted = global.")
FEATURE_TYPE = typer.Option(None, "--feature-type", "-t", help="Feature-type scope.")
JSON_OUT = typer.Option(False, "--json", help="Print JSON for scripts.")
AUTHOR = typer.Option(None, "--author", help="Who does it; default the OS user.")

defaults_app = typer.Typer(help="The built-in default templates.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    """Add the store commands to the `templates` group (once)."""
    if any(command.name == "publish" for command in app.registered_commands):
        return
    for name, function in COMMANDS:
        app.command(name)(function)
    app.add_typer(defaults_app, name="defaults")


def print_json(data: Any) -> None:
    typer.echo(json.dumps(data, indent=2, ensure_ascii=False, default=str))


def print_diagnostics(diagnostics: list[Diagnostic], files_checked: int) -> None:
    """The diagnostics exactly as `templates lint` prints them, on stderr (stdout may be JSON)."""
    import os

    from prompt_tool.analysis.formats import render

    color = sys.stderr.isatty() and "NO_COLOR" not in os.environ
    sys.stderr.write(render("text", diagnostics, files_checked, Path.cwd(), color))
    sys.stderr.flush()


def publish(
    ctx: typer.Context,
    paths: list[Path] = typer.Argument(..., metavar="PATH...", help="Template files or folders."),
    project: str | None = PROJECT,
    feature_type: str | None = FEATURE_TYPE,
    label: str | None = typer.Option(None, "--label", "-l", help="Move this label to the result."),
    message: str | None = typer.Option(None, "--message", "-m", help="Why this change."),
    author: str | None = AUTHOR,
    dry_run: bool = typer.Option(False, "--dry-run", help="Show what would change; write nothing."),
    as_json: bool = JSON_OUT,
    strict: bool = typer.Option(
        False, "--strict/--allow-warnings", help="Refuse on warnings too (default: allow)."
    ),
) -> None:
    """Validate templates, then store each changed one as a new version (all or nothing)."""
    from prompt_tool.checking.publish import PublishChecker, collect_files
    from prompt_tool.checking.settings import load_settings
    from prompt_tool.orchestration.template_manager import (
        OrchestrationTemplateManager,
        TemplateValidationError,
    )

    settings = load_settings(Path.cwd())
    files = collect_files(paths, settings)
    try:
        with database(ctx).session(write=not dry_run) as session:
            result = OrchestrationTemplateManager(session).publish(
                files,
                project,
                feature_type,
                label=label,
                message=message,
                author=author,
                dry_run=dry_run,
                strict=strict,
                checker=PublishChecker(settings),
            )
    except TemplateValidationError as error:
        print_diagnostics(error.diagnostics, len(files))
        if as_json:
            print_json({"refused": True, "diagnostics": _json_diagnostics(error.found)})
        raise
    if result.diagnostics:
        print_diagnostics(result.diagnostics, len(files))
    _print_publish(result, as_json)


def _json_diagnostics(diagnostics: list[Diagnostic]) -> list[dict[str, Any]]:
    """Diagnostics in the shape of `templates lint --format json`."""
    from prompt_tool.analysis.formats import json_diagnostics

    return json_diagnostics(diagnostics, Path.cwd())


def _print_publish(result: PublishResult, as_json: bool) -> None:
    if as_json:
        print_json(
            {
                "scope": result.scope,
                "dry_run": result.dry_run,
                "label": result.label,
                "refused": False,
                "diagnostics": _json_diagnostics(result.diagnostics),
                "templates": [
                    {
                        "name": item.name,
                        "phase": item.phase,
                        "version": item.version,
                        "status": item.status,
                        "source_path": item.source_path,
                    }
                    for item in result.items
                ],
            }
        )
        return
    verb = "would create" if result.dry_run else "created"
    for item in result.items:
        status = verb if item.status == "created" else "unchanged"
        typer.echo(f"{status:>12}  {item.name} v{item.version}  ({item.source_path})")
    created = len(result.created)
    suffix = f", label {result.label} moved on {result.labels_moved}" if result.labels_moved else ""
    typer.echo(
        f"{result.scope}: {created} new version(s), {len(result.items) - created} unchanged{suffix}."
    )


def list_templates(
    ctx: typer.Context, project: str | None = PROJECT, as_json: bool = JSON_OUT
) -> None:
    """Stored templates: scope, feature type, phase, newest version, labels."""
    from rich.console import Console
    from rich.table import Table

    from prompt_tool.orchestration.template_manager import OrchestrationTemplateManager

    with database(ctx).session() as session:
        rows = OrchestrationTemplateManager(session).list_templates(project)
    if as_json:
        print_json([row.__dict__ for row in rows])
        return
    if not rows:
        typer.echo("No templates stored. Try `prompt-tool templates defaults install`.")
        return
    table = Table("scope", "feature type", "phase")
    table.add_column("name", no_wrap=True)
    table.add_column("newest", justify="right")
    table.add_column("labels")
    for row in rows:
        labels = ", ".join(f"{label}→v{version}" for label, version in sorted(row.labels.items()))
        table.add_row(
            row.scope, row.feature_type or "-", row.phase or "-", row.name, str(row.newest), labels
        )
    console = Console()
    if not console.is_terminal:
        console.width = 200  # a pipe or a file: never truncate names to 80 columns
    console.print(table)


def prompt_dict(prompt: Prompt) -> dict[str, Any]:
    return {
        "name": prompt.name,
        "version": prompt.version,
        "phase": prompt.phase,
        "feature_type": prompt.feature_type,
        "created_by": prompt.created_by,
        "created_at": prompt.created_at.isoformat() if prompt.created_at else None,
        "message": prompt.message,
        "source_path": prompt.source_path,
        "content_hash": prompt.content_hash,
        "variables_used": prompt.variables_used,
        "referenced_templates": prompt.referenced_templates,
    }


def show(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="Stored template name."),
    version: int | None = typer.Option(None, "--version", "-v", help="Version number."),
    label: str | None = typer.Option(None, "--label", "-l", help="The version this label picks."),
    project: str | None = PROJECT,
    feature_type: str | None = FEATURE_TYPE,
    as_json: bool = JSON_OUT,
) -> None:
    """One version's content and metadata (default the newest)."""
    from prompt_tool.core.errors import UsageError
    from prompt_tool.orchestration.template_manager import OrchestrationTemplateManager

    if version is not None and label is not None:
        raise UsageError("--version and --label: give one of them")
    with database(ctx).session() as session:
        prompt = OrchestrationTemplateManager(session).get_version(
            name, version, project, feature_type, label=label
        )
    data = prompt_dict(prompt)
    if as_json:
        print_json({**data, "content": prompt.content})
        return
    for key, value in data.items():
        shown = ", ".join(value) if isinstance(value, list) else value
        typer.echo(f"# {key}: {shown if shown not in (None, '') else '-'}")
    typer.echo("")
    typer.echo(prompt.content, nl=not prompt.content.endswith("\n"))


def history(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="Stored template name."),
    project: str | None = PROJECT,
    feature_type: str | None = FEATURE_TYPE,
    as_json: bool = JSON_OUT,
) -> None:
    """Every version with author, date and message, newest first."""
    from prompt_tool.orchestration.template_manager import OrchestrationTemplateManager

    with database(ctx).session() as session:
        rows = OrchestrationTemplateManager(session).history(name, project, feature_type)
    if as_json:
        print_json([prompt_dict(row) for row in rows])
        return
    for row in rows:
        when = row.created_at.strftime("%Y-%m-%d %H:%M:%S") if row.created_at else "-"
        typer.echo(f"v{row.version:<4} {when}  {row.created_by or '-':<12} {row.message or ''}")


def diff(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="Stored template name."),
    old: str = typer.Argument(..., metavar="A", help="Version number or label."),
    new: str = typer.Argument(..., metavar="B", help="Version number or label."),
    project: str | None = PROJECT,
    feature_type: str | None = FEATURE_TYPE,
) -> None:
    """The semantic change (variables, includes), then the unified text diff."""
    from prompt_tool.orchestration.template_manager import OrchestrationTemplateManager

    with database(ctx).session() as session:
        result = OrchestrationTemplateManager(session).diff(name, old, new, project, feature_type)
    summary = [
        ("variables added", result.variables_added),
        ("variables removed", result.variables_removed),
        ("includes added", result.includes_added),
        ("includes removed", result.includes_removed),
        ("includes re-pinned", [f"{base}: {a} → {b}" for base, a, b in result.includes_repinned]),
    ]
    typer.echo(f"{name}: v{result.old.version} → v{result.new.version}")
    for title, values in summary:
        if values:
            typer.echo(f"  {title}: {', '.join(values)}")
    if not any(values for _title, values in summary):
        typer.echo("  no change in variables or includes")
    typer.echo("")
    colours = {"+": typer.colors.GREEN, "-": typer.colors.RED, "@": typer.colors.CYAN}
    for line in result.text:
        colour = None if line.startswith(("+++", "---")) else colours.get(line[:1])
        typer.secho(line, nl=not line.endswith("\n"), fg=colour)
    if not result.text:
        typer.echo("(identical text)")


def label(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="Stored template name."),
    label_name: str = typer.Argument(..., metavar="LABEL", help="production, staging, …"),
    version: int = typer.Argument(..., help="The version the label points at from now on."),
    project: str | None = PROJECT,
    feature_type: str | None = FEATURE_TYPE,
    reason: str | None = typer.Option(None, "--reason", help="Why (kept in the label history)."),
    author: str | None = AUTHOR,
) -> None:
    """Move a label; the move is appended to the label history."""
    from prompt_tool.orchestration.template_manager import OrchestrationTemplateManager

    with database(ctx).session(write=True) as session:
        event = OrchestrationTemplateManager(session).set_label(
            name, label_name, version, project, feature_type, author=author, reason=reason
        )
    _print_move(name, event)


def _print_move(name: str, event: PromptLabelEvent | None) -> None:
    if event is None:
        return
    before = f"v{event.from_version}" if event.from_version else "(unset)"
    typer.echo(f"{name}: {event.label} {before} → v{event.to_version}")


def labels(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="Stored template name."),
    project: str | None = PROJECT,
    feature_type: str | None = FEATURE_TYPE,
    as_json: bool = JSON_OUT,
) -> None:
    """The label history of a template: who moved which label, when, from and to, why."""
    from prompt_tool.orchestration.template_manager import OrchestrationTemplateManager

    with database(ctx).session() as session:
        events = OrchestrationTemplateManager(session).label_events(name, project, feature_type)
    rows = [
        {
            "label": event.label,
            "from_version": event.from_version,
            "to_version": event.to_version,
            "created_by": event.created_by,
            "created_at": event.created_at.isoformat() if event.created_at else None,
            "reason": event.reason,
        }
        for event in events
    ]
    if as_json:
        print_json(rows)
        return
    if not rows:
        typer.echo(f"{name}: no label was ever set")
    for row in rows:
        before = f"v{row['from_version']}" if row["from_version"] else "(unset)"
        typer.echo(
            f"{row['created_at']}  {row['label']:<12} {before} → v{row['to_version']}  "
            f"{row['created_by'] or '-'}  {row['reason'] or ''}"
        )


def rollback(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="Stored template name."),
    label_name: str = typer.Option("production", "--label", "-l", help="The label to move back."),
    project: str | None = PROJECT,
    feature_type: str | None = FEATURE_TYPE,
    reason: str | None = typer.Option(None, "--reason", help="Why (kept in the label history)."),
    author: str | None = AUTHOR,
) -> None:
    """Move the label back to the version it pointed at before (repeatable)."""
    from prompt_tool.orchestration.template_manager import OrchestrationTemplateManager

    with database(ctx).session(write=True) as session:
        event = OrchestrationTemplateManager(session).rollback(
            name, label_name, project, feature_type, author=author, reason=reason
        )
    _print_move(name, event)


def export(
    ctx: typer.Context,
    project: str = typer.Argument(..., help="The project whose resolved templates to write."),
    directory: Path = typer.Argument(..., metavar="DIR", help="Folder to write into."),
    feature_type: str | None = FEATURE_TYPE,
    label_name: str = typer.Option("production", "--label", "-l", help="Label to resolve with."),
) -> None:
    """Write the resolved templates as files to edit and publish back."""
    from prompt_tool.orchestration.template_manager import OrchestrationTemplateManager

    with database(ctx).session() as session:
        written = OrchestrationTemplateManager(session).export(
            project, directory, feature_type, label_name
        )
    for path in written:
        typer.echo(str(path))
    typer.echo(f"Wrote {len(written)} template(s) to {directory}.")


def resolve(
    ctx: typer.Context,
    project: str | None = PROJECT,
    feature_type: str | None = FEATURE_TYPE,
    label_name: str = typer.Option("production", "--label", "-l", help="Label to resolve with."),
    as_json: bool = JSON_OUT,
) -> None:
    """Which version each phase uses, which slot won, and why the others did not."""
    from prompt_tool.orchestration.template_resolver import TemplateResolver

    with database(ctx).session() as session:
        resolution = TemplateResolver(session).resolve(project, feature_type, label_name)
        experiment = _running_experiment(session, resolution)
    if as_json:
        print_json({**_resolution_dict(resolution), "experiment": experiment})
        return
    scope = f"project {project}" if project else "global"
    typer.echo(
        f"Resolution for {scope}, feature type {feature_type or '(any)'}, label {label_name}:"
    )
    for phase, item in resolution.phases.items():
        chosen = _describe(item.prompt) if item.prompt is not None else "NOTHING"
        typer.echo(f"\n{phase}: {chosen}")
        for verdict in item.verdicts:
            marker = "✓" if verdict.outcome.startswith("won") else " "
            typer.echo(f"  {marker} {verdict.slot.title:<24} {verdict.outcome}")
    if resolution.includes:
        typer.echo("\nincludes:")
        for key, prompt in sorted(resolution.includes.items()):
            typer.echo(f"  {key:<40} {_describe(prompt)}")
    for key in resolution.missing_includes:
        typer.echo(f"  {key:<40} MISSING")
    if experiment is not None:
        typer.echo(f"\nexperiment {experiment['name']} is running: new sessions are split")
        for variant in experiment["variants"]:
            replaced = ", ".join(
                f"{phase} → {step['name']} v{step['version']}"
                for phase, step in variant["strategy"].items()
            )
            share = f"{variant['share']:.0%}"
            typer.echo(f"  {variant['name']:<12} {share:>5}  {replaced or 'the resolution above'}")


def _running_experiment(session: Session, resolution: Resolution) -> dict[str, Any] | None:
    """The experiment that replaces this resolution for new sessions' phases, if one runs:
    only `production` traffic of a project takes part, so resolve says so only there."""
    from prompt_tool.ab_testing.experiment_manager import describe_experiment
    from prompt_tool.ab_testing.variant_selector import VariantSelector
    from prompt_tool.orchestration.project_manager import ProjectManager
    from prompt_tool.orchestration.template_resolver import DEFAULT_LABEL

    if resolution.project is None or resolution.label != DEFAULT_LABEL:
        return None
    project = ProjectManager(session).get(resolution.project)
    found = VariantSelector(session).running_experiment(project.id, resolution.feature_type)
    if found is None:
        return None
    described = describe_experiment(found)
    return {
        "name": described["name"],
        "feature_type": described["feature_type"],
        "variants": [
            {
                "name": variant["name"],
                "share": variant["traffic"],
                "strategy": {
                    phase: {"name": step["template"], "version": step["version"]}
                    for phase, step in variant["strategy"].items()
                },
            }
            for variant in described["variants"]
        ],
    }


def _describe(prompt: Prompt) -> str:
    return f"{prompt.name} v{prompt.version}" if prompt.version else f"{prompt.name} (built-in)"


def _resolution_dict(resolution: Resolution) -> dict[str, Any]:
    return {
        "project": resolution.project,
        "feature_type": resolution.feature_type,
        "label": resolution.label,
        "phases": {
            phase: {
                "name": item.prompt.name if item.prompt else None,
                "version": item.prompt.version if item.prompt else None,
                "slot": item.slot.title if item.slot else None,
                "chosen_by": item.chosen_by,
                "slots": [{"slot": v.slot.title, "outcome": v.outcome} for v in item.verdicts],
            }
            for phase, item in resolution.phases.items()
        },
        "includes": {key: prompt.version for key, prompt in sorted(resolution.includes.items())},
        "missing_includes": resolution.missing_includes,
    }


@defaults_app.command("install")
def install_defaults(ctx: typer.Context, author: str | None = AUTHOR) -> None:
    """Store the built-in templates as global templates (idempotent)."""
    from prompt_tool.orchestration.template_manager import OrchestrationTemplateManager

    with database(ctx).session(write=True) as session:
        result = OrchestrationTemplateManager(session).install_defaults(author)
    _print_publish(result, False)


COMMANDS: list[tuple[str, Callable[..., None]]] = [
    ("publish", publish),
    ("list", list_templates),
    ("show", show),
    ("history", history),
    ("diff", diff),
    ("label", label),
    ("labels", labels),
    ("rollback", rollback),
    ("export", export),
    ("resolve", resolve),
]
