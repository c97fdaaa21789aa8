"""The SQLAlchemy 2.0 data model; migrations in `alembic/versions/` must match it exactly.

A template's *scope* is the pair (project_id, feature_type), either of which may be NULL
(NULL project = global, NULL feature type = any). SQL treats NULLs as distinct in unique
keys, so uniqueness per scope is enforced by one partial unique index per scope kind
(`scope_unique_indexes`), which both SQLite and PostgreSQL support.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    event,
    func,
    text,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

from prompt_tool.core.contract import PHASES, TEMPLATE_PHASES

NAMING_CONVENTION: dict[str, str] = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

ORCHESTRATION_CATEGORY = "__orchestration__"
RUN_PHASES: tuple[str, ...] = PHASES
PROMPT_PHASES: tuple[str, ...] = TEMPLATE_PHASES
SESSION_STATUSES: tuple[str, ...] = ("active", "completed", "failed", "cancelled")
EXPERIMENT_STATUSES: tuple[str, ...] = ("draft", "running", "paused", "stopped", "concluded")
# What an experiment's sticky unit is made of: the session's project and feature name (the
# default), the project alone, the feature name alone, or each session on its own.
EXPERIMENT_UNITS: tuple[str, ...] = ("project+feature", "project", "feature", "session")
OUTCOME_SOURCES: tuple[str, ...] = ("manual", "runner")
RUNNING_EXPERIMENT_KINDS: dict[str, tuple[str, tuple[str, ...]]] = {
    "any": ("status = 'running' AND feature_type IS NULL", ("project_id",)),
    "feature": ("status = 'running' AND feature_type IS NOT NULL", ("project_id", "feature_type")),
}


def sql_in(column: str, values: tuple[str, ...]) -> str:
    """A CHECK expression `column IN (...)`; NULL passes, as SQL CHECK semantics intend."""
    quoted = ", ".join(f"'{value}'" for value in values)
    return f"{column} IN ({quoted})"


SCOPE_KINDS: dict[str, str] = {
    "global_any": "project_id IS NULL AND feature_type IS NULL",
    "global_feature": "project_id IS NULL AND feature_type IS NOT NULL",
    "project_any": "project_id IS NOT NULL AND feature_type IS NULL",
    "project_feature": "project_id IS NOT NULL AND feature_type IS NOT NULL",
}


# A scope's run-phase template: a published (non-legacy) row of a run phase. The legacy
# archives of migration 0003 (`orchestration_<phase>_legacy_…`) are many per scope by design.
PHASE_TEMPLATE_CONDITION = (
    f"{sql_in('phase', RUN_PHASES)}"
    " AND substr(name, 1, length(phase) + 22) <> ('orchestration_' || phase || '_legacy_')"
)


def scope_unique_indexes(
    table: str, *columns: str, prefix: str = "uq", condition: str | None = None
) -> list[Index]:
    """One partial unique index per scope kind, keyed by the scope columns that are not NULL.

    `condition` narrows every index to the rows it holds for (e.g. run-phase templates).
    """
    indexes = []
    for kind, scope_condition in SCOPE_KINDS.items():
        scope_columns = [
            name
            for name in ("project_id", "feature_type")
            if f"{name} IS NOT NULL" in scope_condition
        ]
        where = scope_condition if condition is None else f"{scope_condition} AND {condition}"
        indexes.append(
            Index(
                f"{prefix}_{table}_{kind}",
                *scope_columns,
                *columns,
                unique=True,
                sqlite_where=text(where),
                postgresql_where=text(where),
            )
        )
    return indexes


def utc_now() -> datetime:
    return datetime.now(UTC)


class UtcDateTime(TypeDecorator[datetime]):
    """Timestamps stored in UTC and always read back timezone-aware, on SQLite as on PostgreSQL.

    SQLite keeps no offset, so values are converted to UTC on the way in and marked UTC on
    the way out (`CURRENT_TIMESTAMP` defaults are UTC too).
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None or value.tzinfo is None:
            return value
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None or value.tzinfo is not None:
            return value
        return value.replace(tzinfo=UTC)


class Base(DeclarativeBase):
    """Declarative base whose metadata names every constraint, so migrations can refer to them."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        dict[str, Any]: JSON,
        list[str]: JSON,
        datetime: UtcDateTime,
    }


def created_at_column() -> Mapped[datetime]:
    return mapped_column(UtcDateTime, nullable=False, default=utc_now, server_default=func.now())


class Project(Base):
    """A code base the orchestrator works on, with template variables of its own."""

    __tablename__ = "projects"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(255), unique=True)
    description: Mapped[str | None] = mapped_column(Text)
    variables: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = created_at_column()

    # Deleting a project deletes its rows: the database cascades (passive_deletes), and the
    # "delete" cascade keeps the ORM from orphaning children already loaded in the session.
    prompts: Mapped[list[Prompt]] = relationship(
        back_populates="project", cascade="all, delete", passive_deletes=True
    )
    sessions: Mapped[list[OrchestrationSession]] = relationship(
        back_populates="project", cascade="all, delete", passive_deletes=True
    )
    # Not passive: the ORM deletes the experiments (the database cascades to their strategy
    # rows) in a statement before the project's, because PostgreSQL checks the strategy's
    # foreign key to the project's template versions before its own cascade reaches them.
    experiments: Mapped[list[Experiment]] = relationship(
        back_populates="project", cascade="all, delete"
    )


class Prompt(Base):
    """One immutable version of one prompt or template in one scope."""

    __tablename__ = "prompts"
    __table_args__ = (
        CheckConstraint("version >= 1", name="version_positive"),
        CheckConstraint(sql_in("phase", PROMPT_PHASES), name="phase"),
        *scope_unique_indexes("prompts", "name", "version"),
        # One template per run phase per scope: every template's history starts at version 1,
        # so a second name for a phase would repeat (scope, phase, 1). Migration 0005.
        *scope_unique_indexes(
            "prompts", "phase", "version", prefix="uq_phase", condition=PHASE_TEMPLATE_CONDITION
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int | None] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), index=True
    )
    feature_type: Mapped[str | None] = mapped_column(String(100))
    name: Mapped[str] = mapped_column(String(255), index=True)
    version: Mapped[int] = mapped_column(Integer)
    content: Mapped[str] = mapped_column(Text)
    content_hash: Mapped[str] = mapped_column(String(64), index=True)
    is_template: Mapped[bool] = mapped_column(Boolean, default=False)
    category: Mapped[str] = mapped_column(String(100), default="general")
    phase: Mapped[str | None] = mapped_column(String(32))
    referenced_templates: Mapped[list[str]] = mapped_column(default=list)
    variables_used: Mapped[list[str]] = mapped_column(default=list)
    message: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = created_at_column()
    source_path: Mapped[str | None] = mapped_column(Text)

    project: Mapped[Project | None] = relationship(back_populates="prompts")


class PromptLabel(Base):
    """A movable name (`production`, `staging`) pointing at one version of one template."""

    __tablename__ = "prompt_labels"
    __table_args__ = (*scope_unique_indexes("prompt_labels", "name", "label"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int | None] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), index=True
    )
    feature_type: Mapped[str | None] = mapped_column(String(100))
    name: Mapped[str] = mapped_column(String(255))
    label: Mapped[str] = mapped_column(String(100))
    prompt_id: Mapped[int] = mapped_column(ForeignKey("prompts.id"), index=True)
    updated_at: Mapped[datetime] = created_at_column()

    prompt: Mapped[Prompt] = relationship()


class PromptLabelEvent(Base):
    """One label move, appended and never changed: the audit trail that makes rollback work.

    Scope, template and label are copied rather than referenced so that the history
    outlives the label row.
    """

    __tablename__ = "prompt_label_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int | None] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), index=True
    )
    feature_type: Mapped[str | None] = mapped_column(String(100))
    name: Mapped[str] = mapped_column(String(255), index=True)
    label: Mapped[str] = mapped_column(String(100))
    from_prompt_id: Mapped[int | None] = mapped_column(ForeignKey("prompts.id"))
    from_version: Mapped[int | None] = mapped_column(Integer)
    to_prompt_id: Mapped[int | None] = mapped_column(ForeignKey("prompts.id"))
    to_version: Mapped[int | None] = mapped_column(Integer)
    created_by: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = created_at_column()
    reason: Mapped[str | None] = mapped_column(Text)

    from_prompt: Mapped[Prompt | None] = relationship(foreign_keys=[from_prompt_id])
    to_prompt: Mapped[Prompt | None] = relationship(foreign_keys=[to_prompt_id])


@event.listens_for(PromptLabelEvent, "before_update")
def _label_events_are_append_only(_mapper: Any, _connection: Any, target: Any) -> None:
    raise ValueError(f"label event {target.id} is part of the audit trail and cannot change")


class OrchestrationSession(Base):
    """One feature taken through the phases; the FKs record the exact versions it used.

    The `*_template` text columns are the legacy form, kept for sessions created before
    migration 0003. `template_versions` (qualified name → prompt id, includes too) and
    `render_inputs` (label, criteria, variables) make a re-render reproduce the first one;
    both are NULL for sessions created before migration 0004. `status_reason` says, in one
    line, why a session is `failed` or `cancelled` (migration 0005).
    """

    __tablename__ = "orchestration_sessions"
    __table_args__ = (
        CheckConstraint(sql_in("status", SESSION_STATUSES), name="status"),
        CheckConstraint(sql_in("phase", RUN_PHASES), name="phase"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), index=True
    )
    feature_name: Mapped[str] = mapped_column(String(255))
    feature_description: Mapped[str | None] = mapped_column(Text)
    feature_type: Mapped[str | None] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(32), default="active")
    phase: Mapped[str] = mapped_column(String(32), default="orchestrator")
    orchestrator_template: Mapped[str | None] = mapped_column(Text)
    analysis_template: Mapped[str | None] = mapped_column(Text)
    implementation_template: Mapped[str | None] = mapped_column(Text)
    orchestrator_prompt_id: Mapped[int | None] = mapped_column(ForeignKey("prompts.id"))
    analysis_prompt_id: Mapped[int | None] = mapped_column(ForeignKey("prompts.id"))
    implementation_prompt_id: Mapped[int | None] = mapped_column(ForeignKey("prompts.id"))
    orchestrator_prompt: Mapped[str | None] = mapped_column(Text)
    analysis_prompt: Mapped[str | None] = mapped_column(Text)
    implementation_prompt: Mapped[str | None] = mapped_column(Text)
    variant_assignments: Mapped[dict[str, Any]] = mapped_column(default=dict)
    template_versions: Mapped[dict[str, Any] | None] = mapped_column()
    render_inputs: Mapped[dict[str, Any] | None] = mapped_column()
    status_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = mapped_column(
        UtcDateTime,
        nullable=False,
        default=utc_now,
        onupdate=utc_now,
        server_default=func.now(),
    )

    project: Mapped[Project] = relationship(back_populates="sessions")
    orchestrator_version: Mapped[Prompt | None] = relationship(
        foreign_keys=[orchestrator_prompt_id]
    )
    analysis_version: Mapped[Prompt | None] = relationship(foreign_keys=[analysis_prompt_id])
    implementation_version: Mapped[Prompt | None] = relationship(
        foreign_keys=[implementation_prompt_id]
    )
    executions: Mapped[list[Execution]] = relationship(
        back_populates="session",
        cascade="all, delete",
        passive_deletes=True,
        order_by="Execution.id",
    )


class Execution(Base):
    """One run of a rendered prompt by the external runner, with what came back."""

    __tablename__ = "executions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    session_id: Mapped[int | None] = mapped_column(
        ForeignKey("orchestration_sessions.id", ondelete="CASCADE"), index=True
    )
    prompt_id: Mapped[int | None] = mapped_column(ForeignKey("prompts.id"), index=True)
    variant_id: Mapped[int | None] = mapped_column(
        ForeignKey("experiment_variants.id", ondelete="SET NULL")
    )
    phase: Mapped[str | None] = mapped_column(String(32))
    input: Mapped[str] = mapped_column(Text)
    output: Mapped[str | None] = mapped_column(Text)
    exit_status: Mapped[int | None] = mapped_column(Integer)
    duration_ms: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = created_at_column()

    session: Mapped[OrchestrationSession | None] = relationship(back_populates="executions")
    prompt: Mapped[Prompt | None] = relationship()
    variant: Mapped[ExperimentVariant | None] = relationship()


def running_experiment_indexes() -> list[Index]:
    """At most one running experiment per (project, feature type), NULL feature type included.

    One partial unique index per kind, as for template scopes: a plain unique key over
    (project_id, feature_type) would let two running "any feature type" experiments coexist,
    because NULLs are distinct.
    """
    return [
        Index(
            f"uq_experiments_running_{kind}",
            *columns,
            unique=True,
            sqlite_where=text(condition),
            postgresql_where=text(condition),
        )
        for kind, (condition, columns) in RUNNING_EXPERIMENT_KINDS.items()
    ]


class Experiment(Base):
    """An A/B test of orchestration strategies for one project and, optionally, one feature type.

    `unit` says what a sticky assignment is keyed by; `min_sample` is the number of outcomes
    per variant below which the report's verdict is "not enough data"; `winner` is the name
    of the variant promoted when the experiment was concluded.
    """

    __tablename__ = "experiments"
    __table_args__ = (
        CheckConstraint(sql_in("status", EXPERIMENT_STATUSES), name="status"),
        CheckConstraint(sql_in("unit", EXPERIMENT_UNITS), name="unit"),
        CheckConstraint("min_sample >= 1", name="min_sample_positive"),
        *running_experiment_indexes(),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(255), unique=True)
    description: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(32), default="draft")
    project_id: Mapped[int] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), index=True
    )
    feature_type: Mapped[str | None] = mapped_column(String(100))
    unit: Mapped[str] = mapped_column(String(32), default="project+feature")
    min_sample: Mapped[int] = mapped_column(Integer, default=30)
    winner: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = created_at_column()
    started_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    stopped_at: Mapped[datetime | None] = mapped_column(UtcDateTime)

    project: Mapped[Project] = relationship(back_populates="experiments")
    variants: Mapped[list[ExperimentVariant]] = relationship(
        back_populates="experiment",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="ExperimentVariant.id",
    )


class ExperimentVariant(Base):
    """One arm of an experiment: a weight and a strategy (the prompt version per phase).

    The variant created first is the control the others are compared with; phases its
    strategy does not name resolve as usual.
    """

    __tablename__ = "experiment_variants"
    __table_args__ = (
        UniqueConstraint("experiment_id", "name"),
        CheckConstraint("weight >= 0", name="weight_non_negative"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    experiment_id: Mapped[int] = mapped_column(
        ForeignKey("experiments.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(100))
    weight: Mapped[float] = mapped_column(Float, default=1.0)

    experiment: Mapped[Experiment] = relationship(back_populates="variants")
    strategy: Mapped[list[ExperimentVariantPrompt]] = relationship(
        back_populates="variant", cascade="all, delete-orphan", passive_deletes=True
    )


class ExperimentVariantPrompt(Base):
    """The prompt version a variant uses for one phase, with a real FK to keep it valid."""

    __tablename__ = "experiment_variant_prompts"
    __table_args__ = (CheckConstraint(sql_in("phase", RUN_PHASES), name="phase"),)

    variant_id: Mapped[int] = mapped_column(
        ForeignKey("experiment_variants.id", ondelete="CASCADE"), primary_key=True
    )
    phase: Mapped[str] = mapped_column(String(32), primary_key=True)
    prompt_id: Mapped[int] = mapped_column(ForeignKey("prompts.id"), index=True)

    variant: Mapped[ExperimentVariant] = relationship(back_populates="strategy")
    prompt: Mapped[Prompt] = relationship()


class ExperimentAssignment(Base):
    """A sticky choice: one unit (a session key, a user) always gets the same variant."""

    __tablename__ = "experiment_assignments"
    __table_args__ = (UniqueConstraint("experiment_id", "unit_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    experiment_id: Mapped[int] = mapped_column(ForeignKey("experiments.id", ondelete="CASCADE"))
    unit_key: Mapped[str] = mapped_column(String(255))
    variant_id: Mapped[int] = mapped_column(
        ForeignKey("experiment_variants.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = created_at_column()

    variant: Mapped[ExperimentVariant] = relationship()


class ExperimentOutcome(Base):
    """What happened to one session of an assigned unit: success or failure, optional score.

    One outcome per session and experiment (recording again replaces it); `source` says
    whether a person recorded it (`manual`) or the runner's exit status did (`runner`).
    """

    __tablename__ = "experiment_outcomes"
    __table_args__ = (
        UniqueConstraint("assignment_id", "session_id"),
        CheckConstraint(sql_in("source", OUTCOME_SOURCES), name="source"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    assignment_id: Mapped[int] = mapped_column(
        ForeignKey("experiment_assignments.id", ondelete="CASCADE"), index=True
    )
    session_id: Mapped[int | None] = mapped_column(
        ForeignKey("orchestration_sessions.id", ondelete="CASCADE"), index=True
    )
    success: Mapped[bool] = mapped_column(Boolean)
    score: Mapped[float | None] = mapped_column(Float)
    note: Mapped[str | None] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(16), default="manual")
    created_at: Mapped[datetime] = created_at_column()

    assignment: Mapped[ExperimentAssignment] = relationship()
