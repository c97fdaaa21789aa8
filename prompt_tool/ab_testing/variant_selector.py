"""Sticky, weighted assignment of a session's unit to a variant of the running experiment.

A unit (by default the session's project and feature name) is placed by hashing
(experiment id, unit key) to a point in [0, 1) and taking the variant whose slice of the
cumulative weights holds it, so every process computes the same answer without asking
anyone. The first assignment is then stored (`experiment_assignments`, unique per
experiment and unit) and read back afterwards: changing the weights later moves only
new units, never those already assigned. Two processes assigning the same new unit at
once race on that unique key; the loser reads the winner's row (`get_or_create`).
"""

from __future__ import annotations

import hashlib
import math
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.orm import Session, selectinload

from prompt_tool.db.db_utils import get_or_create
from prompt_tool.db.models import (
    Experiment,
    ExperimentAssignment,
    ExperimentVariant,
    ExperimentVariantPrompt,
    OrchestrationSession,
    Project,
    Prompt,
)

DEFAULT_UNIT = "project+feature"
UNIT_KEY_LENGTH = 255
_HASH_SPACE = float(2**64)


def bucket_point(experiment_id: int, unit_key: str) -> float:
    """Where the unit falls in [0, 1): the first 64 bits of SHA-256, uniform and stable."""
    digest = hashlib.sha256(f"{experiment_id}\x00{unit_key}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / _HASH_SPACE


def choose_index(weights: Sequence[float], point: float) -> int:
    """The variant whose slice of the cumulative weights holds `point`; zero weights get none."""
    total = math.fsum(weights)
    if total <= 0:
        raise ValueError("at least one variant needs a positive weight")
    target = point * total
    reached = 0.0
    last_positive = 0
    for index, weight in enumerate(weights):
        if weight <= 0:
            continue
        reached += weight
        last_positive = index
        if target < reached:
            return index
    return last_positive  # rounding at the very top of the range


def unit_key_for(unit: str, project: str, feature: str) -> str:
    """The key a session is assigned by, following the experiment's `unit` setting."""
    if unit == "project":
        key = project
    elif unit == "feature":
        key = feature
    elif unit == "session":
        key = f"session:{uuid.uuid4().hex}"
    else:
        key = f"{project}/{feature}"
    if len(key) <= UNIT_KEY_LENGTH:
        return key
    # Long feature names keep a readable start and stay distinct through their digest.
    digest = hashlib.sha256(key.encode()).hexdigest()
    return f"{key[: UNIT_KEY_LENGTH - len(digest) - 1]}#{digest}"


@dataclass(frozen=True)
class VariantChoice:
    """The variant a new session runs, and the strategy that replaces the resolver's choice."""

    experiment_id: int
    experiment: str
    variant_id: int
    variant: str
    unit_key: str
    strategy: dict[str, Prompt]

    def as_record(self) -> dict[str, Any]:
        """What the session stores in `variant_assignments`, keyed by experiment name."""
        return {
            self.experiment: {
                "experiment_id": self.experiment_id,
                "variant": self.variant,
                "variant_id": self.variant_id,
                "unit_key": self.unit_key,
            }
        }


def session_variant_id(row: OrchestrationSession) -> int | None:
    """The variant a session runs (its executions carry it), None outside any experiment."""
    for record in (row.variant_assignments or {}).values():
        if isinstance(record, dict) and isinstance(record.get("variant_id"), int):
            variant_id: int = record["variant_id"]
            return variant_id
    return None


class VariantSelector:
    """Finds the running experiment covering a session and assigns its unit a variant."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def running_experiment(self, project_id: int, feature_type: str | None) -> Experiment | None:
        """The running experiment for this feature type, else the one for any feature type."""
        covers: ColumnElement[bool] = Experiment.feature_type.is_(None)
        if feature_type is not None:
            covers = or_(covers, Experiment.feature_type == feature_type)
        candidates = self.session.scalars(
            select(Experiment)
            .options(
                selectinload(Experiment.variants)
                .selectinload(ExperimentVariant.strategy)
                .joinedload(ExperimentVariantPrompt.prompt)
            )
            .where(Experiment.status == "running", Experiment.project_id == project_id, covers)
        ).all()
        return min(candidates, key=lambda e: e.feature_type is None, default=None)

    def assign(self, experiment: Experiment, unit_key: str) -> ExperimentVariant:
        """The unit's stored variant, or a new sticky assignment by hash and current weights."""
        variants = experiment.variants
        point = bucket_point(experiment.id, unit_key)
        chosen = variants[choose_index([v.weight for v in variants], point)]
        assignment, _created = get_or_create(
            self.session,
            ExperimentAssignment,
            defaults={"variant_id": chosen.id},
            experiment_id=experiment.id,
            unit_key=unit_key,
        )
        by_id = {variant.id: variant for variant in variants}
        return by_id[assignment.variant_id]

    def choose(
        self, project: Project, feature: str, feature_type: str | None, unit_key: str | None = None
    ) -> VariantChoice | None:
        """The variant for a new session, or None when no running experiment covers it."""
        experiment = self.running_experiment(project.id, feature_type)
        if experiment is None:
            return None
        key = unit_key or unit_key_for(experiment.unit, project.name, feature)
        variant = self.assign(experiment, key)
        return VariantChoice(
            experiment_id=experiment.id,
            experiment=experiment.name,
            variant_id=variant.id,
            variant=variant.name,
            unit_key=key,
            strategy={step.phase: step.prompt for step in variant.strategy},
        )

    def recorded(self, row: OrchestrationSession) -> VariantChoice | None:
        """The variant a session was assigned, with its strategy, so that resolving the
        session again (a retry) keeps the strategy it is measured under."""
        for name, record in (row.variant_assignments or {}).items():
            if not isinstance(record, dict):
                continue
            variant = self.session.scalars(
                select(ExperimentVariant)
                .options(
                    selectinload(ExperimentVariant.strategy).joinedload(
                        ExperimentVariantPrompt.prompt
                    )
                )
                .where(ExperimentVariant.id == record.get("variant_id"))
            ).first()
            if variant is not None:
                return VariantChoice(
                    experiment_id=variant.experiment_id,
                    experiment=name,
                    variant_id=variant.id,
                    variant=variant.name,
                    unit_key=str(record.get("unit_key")),
                    strategy={step.phase: step.prompt for step in variant.strategy},
                )
        return None


def session_assignments(
    session: Session, row: OrchestrationSession
) -> list[tuple[Experiment, ExperimentAssignment]]:
    """The experiments a session was assigned in, with the stored assignment of its unit."""
    found = []
    for record in (row.variant_assignments or {}).values():
        if not isinstance(record, dict):
            continue
        assignment = session.scalars(
            select(ExperimentAssignment).where(
                ExperimentAssignment.experiment_id == record.get("experiment_id"),
                ExperimentAssignment.unit_key == record.get("unit_key"),
            )
        ).first()
        experiment = session.get(Experiment, assignment.experiment_id) if assignment else None
        if assignment is not None and experiment is not None:
            found.append((experiment, assignment))
    return found
