"""Experiments: create, start, pause, stop, record outcomes, report, conclude.

An experiment compares orchestration strategies for one project (and optionally one
feature type). Each variant has a weight and a strategy: the published prompt versions it
uses for one, two or all three phases; the phases it does not name resolve as usual, so the
first variant — the control — usually names none and runs what `production` runs. The
versions are fixed when the experiment is created (a label in `name@staging` is read then),
so that what a variant runs cannot change under a running experiment.

At most one experiment runs per project and feature type; the database enforces it (a
partial unique index), so two people starting two experiments at once cannot both win.

This layer sits below orchestration: finding template versions and moving labels are
asked of a `TemplateCatalog`, which orchestration implements with its own resolver and
template manager, so a promotion is recorded in the label history like any label move.
"""

from __future__ import annotations

import math
import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload, selectinload

from prompt_tool.ab_testing.stats import ExperimentStats, VariantCounts, analyse
from prompt_tool.ab_testing.variant_selector import DEFAULT_UNIT, session_assignments
from prompt_tool.core.errors import ConflictError, NotFoundError, UsageError, ValidationError
from prompt_tool.db.models import (
    EXPERIMENT_UNITS,
    RUN_PHASES,
    Experiment,
    ExperimentAssignment,
    ExperimentOutcome,
    ExperimentVariant,
    ExperimentVariantPrompt,
    OrchestrationSession,
    Project,
    Prompt,
    utc_now,
)

PROMOTED_LABEL = "production"
DEFAULT_MIN_SAMPLE = 30
VARIANT_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,99}")
STARTABLE = ("draft", "paused")
CONCLUDABLE = ("running", "paused", "stopped")


class TemplateCatalog(Protocol):
    """What experiments need from the template store (implemented in orchestration)."""

    def find_version(
        self, project: str, feature_type: str | None, name: str, pin: str | None
    ) -> Prompt:
        """The published version `name@pin` visible from the scope (newest when no pin)."""
        ...

    def move_label(self, prompt: Prompt, label: str, reason: str, author: str | None) -> bool:
        """Point `label` at `prompt` in its own scope, with a label event; False if it was."""
        ...

    def resolved_phases(self, project: str, feature_type: str | None) -> dict[str, int | None]:
        """The prompt id each phase resolves to now for the scope (label `production`)."""
        ...


@dataclass(frozen=True)
class StrategyStep:
    """One phase of a variant's strategy as written: `analysis=orchestration_analysis@5`."""

    phase: str
    name: str
    pin: str | None


@dataclass(frozen=True)
class VariantSpec:
    """A variant as the user wrote it, before its versions are looked up."""

    name: str
    weight: float
    strategy: tuple[StrategyStep, ...] = ()


@dataclass(frozen=True)
class Promotion:
    """One template whose `production` label concluding moved (or found in place)."""

    phase: str
    name: str
    version: int
    moved: bool


@dataclass(frozen=True)
class Conclusion:
    """What `conclude` did, and the phases whose promoted version a slot still shadows."""

    experiment: Experiment
    winner: ExperimentVariant
    promotions: list[Promotion]
    shadowed: list[str] = field(default_factory=list)


def parse_step(text: str, where: str) -> StrategyStep:
    """`phase=name[@version-or-label]`."""
    phase, equals, reference = text.partition("=")
    phase, reference = phase.strip(), reference.strip()
    if not equals or not reference:
        raise UsageError(f"{where}: expected PHASE=TEMPLATE[@VERSION], got {text!r}")
    if phase not in RUN_PHASES:
        raise UsageError(f"{where}: unknown phase {phase!r} (one of {', '.join(RUN_PHASES)})")
    name, at, pin = reference.rpartition("@")
    if not at:
        return StrategyStep(phase, reference, None)
    if not name or not pin:
        raise UsageError(f"{where}: expected TEMPLATE@VERSION or TEMPLATE@LABEL, got {reference!r}")
    return StrategyStep(phase, name, pin)


def parse_weight(raw: Any, where: str) -> float:
    if isinstance(raw, bool) or not isinstance(raw, int | float | str):
        raise UsageError(f"{where}: the weight must be a number, got {raw!r}")
    try:
        weight = float(raw)
    except ValueError:
        raise UsageError(f"{where}: the weight must be a number, got {raw!r}") from None
    if not math.isfinite(weight) or weight <= 0:
        raise UsageError(f"{where}: the weight must be a positive number, got {raw!r}")
    return weight


def parse_variant(text: str) -> VariantSpec:
    """`NAME:WEIGHT[:PHASE=TEMPLATE@VERSION[,PHASE=…]]`, as `--variant` takes it."""
    where = f"--variant {text!r}"
    parts = text.split(":", 2)
    if len(parts) < 2:
        raise UsageError(f"{where}: expected NAME:WEIGHT[:PHASE=TEMPLATE@VERSION,...]")
    name, weight = parts[0].strip(), parse_weight(parts[1].strip(), where)
    steps = tuple(
        parse_step(item, where) for item in (parts[2].split(",") if len(parts) > 2 else ()) if item
    )
    return VariantSpec(name, weight, steps)


def parse_strategy_file(path: Path) -> list[VariantSpec]:
    """Variants from a TOML file: `[[variant]]` tables with name, weight and a strategy table."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise UsageError(f"{path}: cannot read: {error.strerror}") from None
    except UnicodeDecodeError as error:
        raise UsageError(f"{path}: not UTF-8 text: {error.reason}") from None
    except tomllib.TOMLDecodeError as error:
        raise UsageError(f"{path}: {error}") from None
    tables = data.get("variant")
    if not isinstance(tables, list) or not all(isinstance(t, dict) for t in tables):
        raise UsageError(f"{path}: expected [[variant]] tables with name, weight and strategy")
    specs = []
    for index, table in enumerate(tables):
        where = f"{path}: variant {index + 1}"
        unknown = sorted(set(table) - {"name", "weight", "strategy"})
        if unknown:
            raise UsageError(f"{where}: unknown key {unknown[0]!r} (name, weight, strategy)")
        name = table.get("name")
        if not isinstance(name, str):
            raise UsageError(f"{where}: `name` must be a string")
        strategy = table.get("strategy", {})
        if not isinstance(strategy, dict) or not all(isinstance(v, str) for v in strategy.values()):
            raise UsageError(f"{where}: `strategy` must map phases to TEMPLATE@VERSION strings")
        steps = tuple(parse_step(f"{phase}={ref}", where) for phase, ref in strategy.items())
        specs.append(VariantSpec(name, parse_weight(table.get("weight"), where), steps))
    return specs


def validate_variants(specs: Sequence[VariantSpec]) -> None:
    if len(specs) < 2:
        raise UsageError("an experiment needs at least two variants (the first is the control)")
    seen: set[str] = set()
    for spec in specs:
        if not VARIANT_NAME.fullmatch(spec.name):
            raise UsageError(
                f"variant name {spec.name!r}: use letters, digits, '_', '.', '-' (at most 100)"
            )
        if spec.name in seen:
            raise UsageError(f"variant {spec.name!r} is given twice")
        seen.add(spec.name)
        phases = [step.phase for step in spec.strategy]
        for phase in phases:
            if phases.count(phase) > 1:
                raise UsageError(f"variant {spec.name!r} names the {phase} phase twice")


def _with_variants(query: Any) -> Any:
    return query.options(
        joinedload(Experiment.project),
        selectinload(Experiment.variants)
        .selectinload(ExperimentVariant.strategy)
        .joinedload(ExperimentVariantPrompt.prompt),
    )


class ExperimentManager:
    """Owns no transaction: the caller's `DatabaseManager.session()` commits or rolls back."""

    def __init__(self, session: Session, templates: TemplateCatalog | None = None) -> None:
        self.session = session
        self.templates = templates

    def _catalog(self) -> TemplateCatalog:
        if self.templates is None:
            raise RuntimeError("this operation needs a TemplateCatalog")
        return self.templates

    def create(
        self,
        name: str,
        project: str,
        variants: Sequence[VariantSpec],
        *,
        feature_type: str | None = None,
        description: str | None = None,
        unit: str = DEFAULT_UNIT,
        min_sample: int = DEFAULT_MIN_SAMPLE,
    ) -> Experiment:
        """A draft experiment; every strategy step is looked up and fixed to one version now."""
        if not name.strip():
            raise UsageError("the experiment needs a name")
        if unit not in EXPERIMENT_UNITS:
            raise UsageError(f"--unit {unit!r}: one of {', '.join(EXPERIMENT_UNITS)}")
        if min_sample < 1:
            raise UsageError("--min-sample must be at least 1")
        validate_variants(variants)
        project_row = self.session.scalars(select(Project).where(Project.name == project)).first()
        if project_row is None:
            raise NotFoundError(f"project {project!r} does not exist")
        if self.session.scalars(select(Experiment.id).where(Experiment.name == name)).first():
            raise ConflictError(f"experiment {name!r} exists already")
        strategies = [self._strategy(spec, project, feature_type) for spec in variants]
        experiment = Experiment(
            name=name,
            description=description,
            project_id=project_row.id,
            feature_type=feature_type,
            unit=unit,
            min_sample=min_sample,
            status="draft",
            variants=[
                ExperimentVariant(name=spec.name, weight=spec.weight, strategy=strategy)
                for spec, strategy in zip(variants, strategies, strict=True)
            ],
        )
        try:
            with self.session.begin_nested():
                self.session.add(experiment)
                self.session.flush()
        except IntegrityError:
            raise ConflictError(f"experiment {name!r} exists already") from None
        return experiment

    def _strategy(
        self, spec: VariantSpec, project: str, feature_type: str | None
    ) -> list[ExperimentVariantPrompt]:
        """The variant's steps, each looked up now and checked to serve its phase."""
        steps = []
        for step in spec.strategy:
            prompt = self._catalog().find_version(project, feature_type, step.name, step.pin)
            if prompt.phase != step.phase:
                raise ValidationError(
                    f"variant {spec.name!r}: {prompt.name} v{prompt.version} is a"
                    f" {prompt.phase} template, not a {step.phase} template"
                )
            steps.append(ExperimentVariantPrompt(phase=step.phase, prompt=prompt))
        return steps

    def get(self, name: str) -> Experiment:
        found = self.session.scalars(
            _with_variants(select(Experiment)).where(Experiment.name == name)
        ).first()
        if found is None:
            raise NotFoundError(f"no experiment {name!r}")
        assert isinstance(found, Experiment)
        return found

    def list_experiments(
        self, project: str | None = None, status: str | None = None
    ) -> list[Experiment]:
        query = _with_variants(select(Experiment)).order_by(Experiment.id)
        if project is not None:
            query = query.join(Project, Experiment.project_id == Project.id).where(
                Project.name == project
            )
        if status is not None:
            query = query.where(Experiment.status == status)
        return list(self.session.scalars(query).unique())

    def start(self, name: str) -> Experiment:
        """Run it: new sessions of its scope are assigned variants from now on."""
        experiment = self.get(name)
        if experiment.status not in STARTABLE:
            raise ConflictError(f"experiment {name!r} is {experiment.status}: it cannot start")
        try:
            # Changed inside the savepoint: begin_nested() flushes what is pending first.
            with self.session.begin_nested():
                experiment.status = "running"
                experiment.started_at = experiment.started_at or utc_now()
                self.session.flush()
        except IntegrityError:
            scope = f"project {experiment.project.name!r}" + (
                f", feature type {experiment.feature_type!r}"
                if experiment.feature_type
                else " (any feature type)"
            )
            running = self._running_name(experiment)
            raise ConflictError(
                f"experiment {running!r} already runs for {scope}: pause or stop it first"
            ) from None
        return experiment

    def _running_name(self, experiment: Experiment) -> str:
        query = select(Experiment.name).where(
            Experiment.status == "running",
            Experiment.project_id == experiment.project_id,
            Experiment.id != experiment.id,
        )
        if experiment.feature_type is None:
            query = query.where(Experiment.feature_type.is_(None))
        else:
            query = query.where(Experiment.feature_type == experiment.feature_type)
        return self.session.scalars(query).first() or "another experiment"

    def pause(self, name: str) -> Experiment:
        """No new assignments; sessions already assigned keep their variant."""
        experiment = self.get(name)
        if experiment.status != "running":
            raise ConflictError(
                f"experiment {name!r} is {experiment.status}: only a running one pauses"
            )
        experiment.status = "paused"
        self.session.flush()
        return experiment

    def stop(self, name: str) -> Experiment:
        """End the data collection for good; the report still works, conclude decides."""
        experiment = self.get(name)
        if experiment.status not in ("running", "paused"):
            raise ConflictError(f"experiment {name!r} is {experiment.status}: it cannot stop")
        experiment.status = "stopped"
        experiment.stopped_at = utc_now()
        self.session.flush()
        return experiment

    def set_weight(self, name: str, variant: str, weight: float) -> ExperimentVariant:
        """Change a variant's weight: new units follow it, assigned units stay where they are."""
        experiment = self.get(name)
        if not math.isfinite(weight) or weight < 0:
            raise UsageError(f"weight {weight!r}: must be zero or a positive number")
        row = self._variant(experiment, variant)
        others = math.fsum(v.weight for v in experiment.variants if v is not row)
        if others + weight <= 0:
            raise UsageError("at least one variant must keep a positive weight")
        row.weight = weight
        self.session.flush()
        return row

    def _variant(self, experiment: Experiment, name: str) -> ExperimentVariant:
        for variant in experiment.variants:
            if variant.name == name:
                return variant
        names = ", ".join(v.name for v in experiment.variants)
        raise NotFoundError(f"experiment {experiment.name!r} has no variant {name!r} ({names})")

    def record_outcome(
        self,
        row: OrchestrationSession,
        *,
        success: bool,
        score: float | None = None,
        note: str | None = None,
        source: str = "manual",
    ) -> dict[str, ExperimentOutcome]:
        """The session's outcome in every experiment it was assigned in (replacing an earlier one),
        by experiment name. The runner never overwrites an outcome a person recorded."""
        if score is not None and not math.isfinite(score):
            raise UsageError(f"--score {score!r}: must be a finite number")
        recorded = {}
        for experiment, assignment in session_assignments(self.session, row):
            outcome = self.session.scalars(
                select(ExperimentOutcome).where(
                    ExperimentOutcome.assignment_id == assignment.id,
                    ExperimentOutcome.session_id == row.id,
                )
            ).first()
            if outcome is None:
                outcome = ExperimentOutcome(assignment=assignment, session_id=row.id)
                self.session.add(outcome)
            elif source == "runner" and outcome.source == "manual":
                continue
            outcome.success, outcome.score, outcome.note = success, score, note
            outcome.source = source
            recorded[experiment.name] = outcome
        self.session.flush()
        return recorded

    def counts(self, experiment: Experiment) -> list[VariantCounts]:
        """Units and outcomes per variant, control first: two statements."""
        units: dict[int, int] = {
            variant_id: count
            for variant_id, count in self.session.execute(
                select(ExperimentAssignment.variant_id, func.count())
                .where(ExperimentAssignment.experiment_id == experiment.id)
                .group_by(ExperimentAssignment.variant_id)
            )
        }
        outcomes: dict[int, list[tuple[bool, float | None]]] = {}
        for variant_id, success, score in self.session.execute(
            select(
                ExperimentAssignment.variant_id, ExperimentOutcome.success, ExperimentOutcome.score
            )
            .join(ExperimentAssignment, ExperimentOutcome.assignment_id == ExperimentAssignment.id)
            .where(ExperimentAssignment.experiment_id == experiment.id)
        ):
            outcomes.setdefault(variant_id, []).append((success, score))
        result = []
        for variant in experiment.variants:
            rows = outcomes.get(variant.id, [])
            successes = sum(1 for success, _score in rows if success)
            result.append(
                VariantCounts(
                    name=variant.name,
                    weight=variant.weight,
                    units=units.get(variant.id, 0),
                    successes=successes,
                    failures=len(rows) - successes,
                    scores=tuple(score for _success, score in rows if score is not None),
                )
            )
        return result

    def report(self, name: str) -> tuple[Experiment, ExperimentStats]:
        experiment = self.get(name)
        return experiment, analyse(self.counts(experiment), experiment.min_sample)

    def conclude(self, name: str, winner: str, author: str | None = None) -> Conclusion:
        """Stop the experiment and move `production` to every version of the winner's strategy.

        A control that wins with no strategy moves nothing: production already runs it.
        """
        experiment = self.get(name)
        if experiment.status not in CONCLUDABLE:
            raise ConflictError(
                f"experiment {name!r} is {experiment.status}: only a started one can conclude"
            )
        variant = self._variant(experiment, winner)
        catalog = self._catalog()
        reason = f"experiment {name}: variant {winner} won"
        promotions = [
            Promotion(
                step.phase,
                step.prompt.name,
                step.prompt.version,
                catalog.move_label(step.prompt, PROMOTED_LABEL, reason, author),
            )
            for step in sorted(variant.strategy, key=lambda s: RUN_PHASES.index(s.phase))
        ]
        experiment.status = "concluded"
        experiment.winner = variant.name
        experiment.stopped_at = experiment.stopped_at or utc_now()
        self.session.flush()
        resolved = catalog.resolved_phases(experiment.project.name, experiment.feature_type)
        shadowed = [
            step.phase for step in variant.strategy if resolved.get(step.phase) != step.prompt_id
        ]
        return Conclusion(experiment, variant, promotions, sorted(shadowed, key=RUN_PHASES.index))


def record_runner_outcome(
    session: Session, row: OrchestrationSession, is_success: bool, note: str | None = None
) -> None:
    """The automatic verdict on an experiment's session: a failed run of any phase, or a
    phase prompt that failed to render, is a failure, a successful run of the last phase a
    success; a person's outcome stands."""
    if not row.variant_assignments or (is_success and row.phase != RUN_PHASES[-1]):
        return
    ExperimentManager(session).record_outcome(row, success=is_success, note=note, source="runner")


def strategy_text(variant: ExperimentVariant) -> str:
    """`analysis=name@5, implementation=other@2`, or `(production)` for none."""
    steps = sorted(variant.strategy, key=lambda s: RUN_PHASES.index(s.phase))
    return (
        ", ".join(f"{s.phase}={s.prompt.name}@{s.prompt.version}" for s in steps) or "(production)"
    )


def describe_experiment(
    experiment: Experiment, counts: Mapping[str, VariantCounts] | None = None
) -> dict[str, Any]:
    """Plain data for `show --json` and `list --json`."""
    total = math.fsum(v.weight for v in experiment.variants)
    return {
        "name": experiment.name,
        "description": experiment.description,
        "project": experiment.project.name,
        "feature_type": experiment.feature_type,
        "status": experiment.status,
        "unit": experiment.unit,
        "min_sample": experiment.min_sample,
        "winner": experiment.winner,
        "created_at": experiment.created_at.isoformat() if experiment.created_at else None,
        "started_at": experiment.started_at.isoformat() if experiment.started_at else None,
        "stopped_at": experiment.stopped_at.isoformat() if experiment.stopped_at else None,
        "variants": [
            {
                "name": variant.name,
                "is_control": index == 0,
                "weight": variant.weight,
                "traffic": variant.weight / total if total > 0 else 0.0,
                "strategy": {
                    step.phase: {
                        "template": step.prompt.name,
                        "version": step.prompt.version,
                        "prompt_id": step.prompt_id,
                    }
                    for step in variant.strategy
                },
                **(
                    {
                        "units": counts[variant.name].units,
                        "outcomes": counts[variant.name].outcomes,
                        "successes": counts[variant.name].successes,
                    }
                    if counts is not None and variant.name in counts
                    else {}
                ),
            }
            for index, variant in enumerate(experiment.variants)
        ],
    }
