"""`prompt-tool experiments`: A/B tests of orchestration strategies, from creation to promotion."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer

from prompt_tool.commands.context import database

app = typer.Typer(no_args_is_help=True)

JSON_OPTION = typer.Option(False, "--json", help="Print JSON for scripts.")
NAME_ARGUMENT = typer.Argument(..., metavar="NAME", help="The experiment's name.")


def print_json(data: Any) -> None:
    typer.echo(json.dumps(data, indent=2, ensure_ascii=False))


@app.command()
def create(
    ctx: typer.Context,
    name: str = NAME_ARGUMENT,
    project: str = typer.Option(..., "--project", help="The project whose sessions take part."),
    feature_type: str | None = typer.Option(
        None, "--feature-type", help="Only sessions of this feature type (default: any)."
    ),
    variants: list[str] = typer.Option(
        [],
        "--variant",
        help="NAME:WEIGHT[:PHASE=TEMPLATE@VERSION,...]; the first is the control.",
    ),
    file: Path | None = typer.Option(
        None, "--file", help="A TOML file of [[variant]] tables (name, weight, strategy)."
    ),
    description: str | None = typer.Option(None, "--description", "-d"),
    unit: str = typer.Option(
        "project+feature",
        "--unit",
        help="What assignment sticks to: project+feature, project, feature or session.",
    ),
    min_sample: int = typer.Option(
        30, "--min-sample", help="Outcomes per variant before the report gives a verdict."
    ),
    as_json: bool = JSON_OPTION,
) -> None:
    """Create a draft experiment; each strategy's versions are fixed now."""
    from prompt_tool.ab_testing.experiment_manager import (
        ExperimentManager,
        describe_experiment,
        parse_strategy_file,
        parse_variant,
    )
    from prompt_tool.core.errors import UsageError
    from prompt_tool.orchestration.experiment_templates import ExperimentTemplates

    if file is not None and variants:
        raise UsageError("--variant and --file exclude each other")
    specs = parse_strategy_file(file) if file is not None else [parse_variant(v) for v in variants]
    with database(ctx).session() as session:
        experiment = ExperimentManager(session, ExperimentTemplates(session)).create(
            name,
            project,
            specs,
            feature_type=feature_type,
            description=description,
            unit=unit,
            min_sample=min_sample,
        )
        data = describe_experiment(experiment)
    if as_json:
        print_json(data)
        return
    typer.echo(f"Created experiment {name} (draft) with {len(data['variants'])} variants;")
    typer.echo(f"start it with `prompt-tool experiments start {name}`.")


def _transition(ctx: typer.Context, name: str, action: str) -> str:
    from prompt_tool.ab_testing.experiment_manager import ExperimentManager

    with database(ctx).session() as session:
        manager = ExperimentManager(session)
        experiment = getattr(manager, action)(name)
        status: str = experiment.status
    return status


@app.command()
def start(ctx: typer.Context, name: str = NAME_ARGUMENT) -> None:
    """Start (or resume) it: new sessions of its scope get a variant."""
    typer.echo(f"Experiment {name} is {_transition(ctx, name, 'start')}.")


@app.command()
def pause(ctx: typer.Context, name: str = NAME_ARGUMENT) -> None:
    """Pause it: new sessions resolve as usual until it starts again."""
    typer.echo(f"Experiment {name} is {_transition(ctx, name, 'pause')}.")


@app.command()
def stop(ctx: typer.Context, name: str = NAME_ARGUMENT) -> None:
    """Stop it for good; report and conclude still work."""
    typer.echo(f"Experiment {name} is {_transition(ctx, name, 'stop')}.")


@app.command()
def weight(
    ctx: typer.Context,
    name: str = NAME_ARGUMENT,
    variant: str = typer.Argument(..., help="The variant's name."),
    value: float = typer.Argument(..., metavar="WEIGHT", help="Zero or more."),
) -> None:
    """Change a variant's weight: new units follow it, assigned units keep their variant."""
    from prompt_tool.ab_testing.experiment_manager import ExperimentManager

    with database(ctx).session() as session:
        ExperimentManager(session).set_weight(name, variant, value)
    typer.echo(f"Experiment {name}: variant {variant} now weighs {value:g}.")


@app.command("list")
def list_experiments(
    ctx: typer.Context,
    project: str | None = typer.Option(None, "--project"),
    status: str | None = typer.Option(None, "--status"),
    as_json: bool = JSON_OPTION,
) -> None:
    """List experiments, oldest first."""
    from prompt_tool.ab_testing.experiment_manager import ExperimentManager, describe_experiment

    with database(ctx).session() as session:
        rows = [
            describe_experiment(e)
            for e in ExperimentManager(session).list_experiments(project, status)
        ]
    if as_json:
        print_json(rows)
        return
    if not rows:
        typer.echo("No experiments.")
    for row in rows:
        variants = ", ".join(f"{v['name']} {100 * v['traffic']:.0f}%" for v in row["variants"])
        typer.echo(
            f"{row['name']}\t{row['project']}\t{row['feature_type'] or '-'}\t"
            f"{row['status']}\t{variants}"
        )


@app.command()
def show(ctx: typer.Context, name: str = NAME_ARGUMENT, as_json: bool = JSON_OPTION) -> None:
    """Show variants, their strategies, traffic, units and outcomes."""
    from prompt_tool.ab_testing.experiment_manager import (
        ExperimentManager,
        describe_experiment,
        strategy_text,
    )

    with database(ctx).session() as session:
        manager = ExperimentManager(session)
        experiment = manager.get(name)
        counts = {c.name: c for c in manager.counts(experiment)}
        data = describe_experiment(experiment, counts)
        strategies = {v.name: strategy_text(v) for v in experiment.variants}
    if as_json:
        print_json(data)
        return
    scope = data["project"] + (
        f", feature type {data['feature_type']}" if data["feature_type"] else ""
    )
    typer.echo(f"Experiment {name} ({scope}): {data['status']}, unit {data['unit']}")
    if data["description"]:
        typer.echo(f"  {data['description']}")
    for variant in data["variants"]:
        control = " (control)" if variant["is_control"] else ""
        typer.echo(
            f"  {variant['name']}{control}: weight {variant['weight']:g}"
            f" ({100 * variant['traffic']:.0f}% of new units), {variant['units']} units,"
            f" {variant['outcomes']} outcomes ({variant['successes']} successes)"
        )
        typer.echo(f"    strategy: {strategies[variant['name']]}")
    if data["winner"]:
        typer.echo(f"  winner: {data['winner']}")


@app.command()
def report(ctx: typer.Context, name: str = NAME_ARGUMENT, as_json: bool = JSON_OPTION) -> None:
    """Success rates, scores and the comparison with the control, with a verdict."""
    from prompt_tool.ab_testing.experiment_manager import ExperimentManager
    from prompt_tool.ab_testing.report import report_data, report_text

    with database(ctx).session() as session:
        experiment, stats = ExperimentManager(session).report(name)
        output = (
            json.dumps(report_data(experiment, stats), indent=2, ensure_ascii=False)
            if as_json
            else report_text(experiment, stats)
        )
    typer.echo(output)


@app.command()
def conclude(
    ctx: typer.Context,
    name: str = NAME_ARGUMENT,
    promote: str = typer.Option(..., "--promote", help="The winning variant."),
    author: str | None = typer.Option(None, "--author", help="Recorded in the label history."),
) -> None:
    """End it and move `production` to the winner's template versions (label history kept)."""
    from prompt_tool.ab_testing.experiment_manager import ExperimentManager
    from prompt_tool.orchestration.experiment_templates import ExperimentTemplates

    with database(ctx).session() as session:
        result = ExperimentManager(session, ExperimentTemplates(session)).conclude(
            name, promote, author
        )
        promotions, shadowed = result.promotions, result.shadowed
    typer.echo(f"Experiment {name} concluded; winner {promote}.")
    if not promotions:
        typer.echo("  its strategy names no template: production already runs it.")
    for item in promotions:
        how = "moved to" if item.moved else "already at"
        typer.echo(f"  {item.phase}: production of {item.name} {how} v{item.version}")
    for phase in shadowed:
        typer.echo(
            f"  note: new sessions still resolve {phase} elsewhere (a higher-precedence slot);"
            f" see `prompt-tool templates resolve`"
        )
