"""one template per phase per scope, enforced by the database; a session's status reason

Adds `orchestration_sessions.status_reason` (nullable text): the one-line reason a session
is `failed` (the render that failed and why) or `cancelled`.

The resolver takes a slot's template for a phase; with two names for one phase in one scope
it used to take the alphabetically first, whatever the labels said. This revision adds one
partial unique index per scope kind on (scope, phase, version) over the run-phase templates
that are not legacy archives. Every template's history starts at version 1, so a second
name for the same phase in the same scope would repeat (scope, phase, 1) and is refused.

Existing data that breaks the rule (a scope with two or more names for one run phase, as an
unchecked `orchestrate import` could leave) is repaired, not refused, so that `db upgrade`
always succeeds:

- the name that stays the scope's phase template is the one the `production` label points
  into; if none (or several) do, the one whose newest row is newest (highest id);
- every other name is archived: its rows, labels and label history are renamed to
  `orchestration_<phase>_legacy_<old short name>` (a `_2`, `_3`… suffix if taken), the
  reserved archive form that migration 0003 introduced and that never wins a slot;
- sessions that rendered with an archived name keep rendering the same versions: the keys of
  their `template_versions` map are renamed with it (the prompt ids do not change).

Downgrade drops the indexes and the reason column; archived names stay archived (their rows
are intact).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

RUN_PHASES = ("orchestrator", "analysis", "implementation")
KEPT_LABEL = "production"
SCOPE_KINDS = {
    "global_any": "project_id IS NULL AND feature_type IS NULL",
    "global_feature": "project_id IS NULL AND feature_type IS NOT NULL",
    "project_any": "project_id IS NOT NULL AND feature_type IS NULL",
    "project_feature": "project_id IS NOT NULL AND feature_type IS NOT NULL",
}
PHASE_TEMPLATE_CONDITION = (
    "phase IN ('orchestrator', 'analysis', 'implementation')"
    " AND substr(name, 1, length(phase) + 22) <> ('orchestration_' || phase || '_legacy_')"
)
Scope = tuple[int | None, str | None]

prompts = sa.table(
    "prompts",
    sa.column("id", sa.Integer),
    sa.column("project_id", sa.Integer),
    sa.column("feature_type", sa.String),
    sa.column("name", sa.String),
    sa.column("phase", sa.String),
)
labels = sa.table(
    "prompt_labels",
    sa.column("project_id", sa.Integer),
    sa.column("feature_type", sa.String),
    sa.column("name", sa.String),
    sa.column("label", sa.String),
    sa.column("prompt_id", sa.Integer),
)
label_events = sa.table(
    "prompt_label_events",
    sa.column("project_id", sa.Integer),
    sa.column("feature_type", sa.String),
    sa.column("name", sa.String),
)
sessions = sa.table(
    "orchestration_sessions",
    sa.column("id", sa.Integer),
    sa.column("template_versions", sa.JSON),
)


def legacy_prefix(phase: str) -> str:
    return f"orchestration_{phase}_legacy_"


def in_scope(table: Any, scope: Scope) -> sa.ColumnElement[bool]:
    project_id, feature_type = scope
    return sa.and_(
        table.c.project_id.is_(None) if project_id is None else table.c.project_id == project_id,
        table.c.feature_type.is_(None)
        if feature_type is None
        else table.c.feature_type == feature_type,
    )


def conflicts(bind: sa.Connection) -> dict[tuple[Scope, str], dict[str, int]]:
    """(scope, phase) → {name: its newest row id} wherever a scope has several names."""
    found: dict[tuple[Scope, str], dict[str, int]] = defaultdict(dict)
    rows = bind.execute(
        sa.select(
            prompts.c.project_id,
            prompts.c.feature_type,
            prompts.c.phase,
            prompts.c.name,
            sa.func.max(prompts.c.id),
        )
        .where(prompts.c.phase.in_(RUN_PHASES))
        .group_by(prompts.c.project_id, prompts.c.feature_type, prompts.c.phase, prompts.c.name)
    )
    for project_id, feature_type, phase, name, newest in rows:
        if not name.startswith(legacy_prefix(phase)):
            found[((project_id, feature_type), phase)][name] = newest
    return {key: names for key, names in found.items() if len(names) > 1}


def kept_name(bind: sa.Connection, scope: Scope, names: dict[str, int]) -> str:
    labelled = set(
        bind.execute(
            sa.select(labels.c.name).where(
                in_scope(labels, scope),
                labels.c.label == KEPT_LABEL,
                labels.c.name.in_(list(names)),
            )
        ).scalars()
    )
    if len(labelled) == 1:
        return labelled.pop()
    return max(names, key=lambda name: names[name])


def archive_name(bind: sa.Connection, scope: Scope, phase: str, name: str) -> str:
    short = name.removeprefix(f"orchestration_{phase}_") or "template"
    base = f"{legacy_prefix(phase)}{short}"
    taken = set(
        bind.execute(
            sa.select(prompts.c.name).where(
                in_scope(prompts, scope), prompts.c.name.like(f"{legacy_prefix(phase)}%")
            )
        ).scalars()
    )
    candidate, number = base, 1
    while candidate in taken:
        number += 1
        candidate = f"{base}_{number}"
    return candidate


def rename_session_keys(bind: sa.Connection, renamed_ids: dict[int, tuple[str, str]]) -> None:
    """Sessions keep rendering the same rows: `old@pin` keys pointing at them become `new@pin`."""
    for session_id, versions in bind.execute(
        sa.select(sessions.c.id, sessions.c.template_versions).where(
            sessions.c.template_versions.is_not(None)
        )
    ):
        changed = False
        updated: dict[str, Any] = {}
        for key, prompt_id in (versions or {}).items():
            base, at, pin = key.rpartition("@")
            old_new = renamed_ids.get(int(prompt_id))
            if at and old_new is not None and base == old_new[0]:
                updated[f"{old_new[1]}@{pin}"] = prompt_id
                changed = True
            else:
                updated[key] = prompt_id
        if changed:
            bind.execute(
                sessions.update()
                .where(sessions.c.id == session_id)
                .values(template_versions=updated)
            )


def archive_extra_names(bind: sa.Connection) -> None:
    renamed_ids: dict[int, tuple[str, str]] = {}
    for (scope, phase), names in conflicts(bind).items():
        keep = kept_name(bind, scope, names)
        for name in sorted(names):
            if name == keep:
                continue
            new = archive_name(bind, scope, phase, name)
            ids = bind.execute(
                sa.select(prompts.c.id).where(in_scope(prompts, scope), prompts.c.name == name)
            ).scalars()
            renamed_ids.update({prompt_id: (name, new) for prompt_id in ids})
            for table in (prompts, labels, label_events):
                bind.execute(
                    table.update()
                    .where(in_scope(table, scope), table.c.name == name)
                    .values(name=new)
                )
    if renamed_ids:
        rename_session_keys(bind, renamed_ids)


def upgrade() -> None:
    with op.batch_alter_table("orchestration_sessions") as batch_op:
        batch_op.add_column(sa.Column("status_reason", sa.Text(), nullable=True))
    archive_extra_names(op.get_bind())
    for kind, condition in SCOPE_KINDS.items():
        scope = [
            name for name in ("project_id", "feature_type") if f"{name} IS NOT NULL" in condition
        ]
        where = sa.text(f"{condition} AND {PHASE_TEMPLATE_CONDITION}")
        op.create_index(
            f"uq_phase_prompts_{kind}",
            "prompts",
            [*scope, "phase", "version"],
            unique=True,
            sqlite_where=where,
            postgresql_where=where,
        )


def downgrade() -> None:
    for kind in reversed(SCOPE_KINDS):
        op.drop_index(f"uq_phase_prompts_{kind}", table_name="prompts")
    with op.batch_alter_table("orchestration_sessions") as batch_op:
        batch_op.drop_column("status_reason")
