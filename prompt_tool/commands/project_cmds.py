"""`prompt-tool projects`: create, inspect and delete projects and their template variables."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import typer

from prompt_tool.commands.context import database

if TYPE_CHECKING:
    from prompt_tool.db.models import Project

app = typer.Typer(no_args_is_help=True)

JSON_OPTION = typer.Option(False, "--json", help="Print JSON for scripts instead of a table.")


def project_dict(project: Project) -> dict[str, Any]:
    return {
        "name": project.name,
        "description": project.description,
        "variables": project.variables,
        "created_at": project.created_at.isoformat(),
    }


def print_json(data: Any) -> None:
    typer.echo(json.dumps(data, indent=2, ensure_ascii=False))


@app.command()
def create(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="Unique project name."),
    description: str | None = typer.Option(None, "--description", "-d", help="What it is."),
) -> None:
    """Create a project."""
    from prompt_tool.orchestration.project_manager import ProjectManager

    with database(ctx).session(write=True) as session:
        ProjectManager(session).create(name, description)
    typer.echo(f"Created project {name}.")


@app.command("list")
def list_projects(ctx: typer.Context, as_json: bool = JSON_OPTION) -> None:
    """List projects."""
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    from prompt_tool.orchestration.project_manager import ProjectManager

    with database(ctx).session() as session:
        projects = ProjectManager(session).list()
    if as_json:
        print_json([project_dict(project) for project in projects])
        return
    if not projects:
        typer.echo("No projects yet: create one with `prompt-tool projects create NAME`.")
        return
    table = Table("Name", "Description", "Variables", "Created")
    for project in projects:
        table.add_row(
            escape(project.name),
            escape(project.description or ""),
            ", ".join(sorted(project.variables)),
            f"{project.created_at:%Y-%m-%d %H:%M}",
        )
    Console().print(table)


@app.command()
def show(ctx: typer.Context, name: str, as_json: bool = JSON_OPTION) -> None:
    """Show a project, its variables and how many templates and sessions it has."""
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    from prompt_tool.orchestration.project_manager import ProjectManager

    with database(ctx).session() as session:
        summary = ProjectManager(session).summary(name)
    project = summary.project
    if as_json:
        data = project_dict(project)
        data.update(prompt_versions=summary.prompt_versions, sessions=summary.sessions)
        print_json(data)
        return
    console = Console()
    console.print(
        f"[bold]{escape(project.name)}[/]  {escape(project.description or '')}", highlight=False
    )
    console.print(
        f"{summary.prompt_versions} template versions, {summary.sessions} sessions, "
        f"created {project.created_at:%Y-%m-%d %H:%M}",
        highlight=False,
    )
    if not project.variables:
        console.print("No variables.")
        return
    table = Table("Variable", "Value (JSON)")
    for key, value in sorted(project.variables.items()):
        table.add_row(key, escape(json.dumps(value, ensure_ascii=False)))
    console.print(table)


@app.command()
def delete(
    ctx: typer.Context,
    name: str,
    yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask for confirmation."),
) -> None:
    """Delete a project with its templates, labels and sessions."""
    from prompt_tool.core.errors import PromptToolError
    from prompt_tool.orchestration.project_manager import ProjectManager

    with database(ctx).session(write=True) as session:
        manager = ProjectManager(session)
        summary = manager.summary(name)
        question = (
            f"Delete project {name} with {summary.prompt_versions} template versions "
            f"and {summary.sessions} sessions?"
        )
        if not yes and not _confirmed(question):
            raise PromptToolError(f"project {name!r} not deleted (confirm, or pass --yes)")
        manager.delete(name)
    typer.echo(f"Deleted project {name}.")


def _confirmed(question: str) -> bool:
    """Ask on the terminal; no answer (closed stdin) counts as no."""
    try:
        return typer.confirm(question, default=False)
    except typer.Abort:
        typer.echo("", err=True)
        return False


@app.command("set-var")
def set_var(
    ctx: typer.Context,
    name: str,
    key: str,
    value: str = typer.Argument(..., help="JSON if it parses as JSON (42, true, [1]), else text."),
) -> None:
    """Set a template variable of a project."""
    from prompt_tool.orchestration.project_manager import ProjectManager

    with database(ctx).session(write=True) as session:
        stored = ProjectManager(session).set_var(name, key, value)
    typer.echo(f"Set {name}.{key} = {json.dumps(stored, ensure_ascii=False)}")


@app.command("unset-var")
def unset_var(ctx: typer.Context, name: str, key: str) -> None:
    """Remove a template variable of a project."""
    from prompt_tool.orchestration.project_manager import ProjectManager

    with database(ctx).session(write=True) as session:
        ProjectManager(session).unset_var(name, key)
    typer.echo(f"Removed {name}.{key}.")
