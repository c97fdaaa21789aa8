"""orchestration template system: sessions point at the exact prompt versions they used

Adds `orchestrator_prompt_id`, `analysis_prompt_id` and `implementation_prompt_id` and turns
every distinct legacy template text into a `prompts` row:

- one row per (phase, sha256 of the text), reused if a global `__orchestration__` prompt of
  that phase with the same hash exists already, else inserted as version 1 named
  `orchestration_<phase>_legacy_<first 12 hex digits>`;
- in the **global** scope (project_id and feature_type NULL): the legacy texts were the
  orchestrator's built-in prompts, shared by every project, so one row serves all sessions.
  The `legacy` names never collide with published templates, so resolution is unaffected;
- the legacy text columns are kept (nothing is destroyed); empty texts get no row.

Downgrade copies each version's content into sessions that only have the FK (created after
this revision), then drops the columns. The prompt rows stay: versions are immutable and may
be referenced by executions; a later upgrade reuses them by hash.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa

from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None
DOWNGRADE_LOSES: str | None = (
    "which template versions each session used (the text of its templates is copied back)"
)
"""What this revision's downgrade deletes (`db downgrade` asks before it; None: nothing)."""

PHASES = ("orchestrator", "analysis", "implementation")
CATEGORY = "__orchestration__"
MIGRATED_BY = "migration 0003"

sessions = sa.table(
    "orchestration_sessions",
    sa.column("id", sa.Integer),
    *(sa.column(f"{phase}_template", sa.Text) for phase in PHASES),
    *(sa.column(f"{phase}_prompt_id", sa.Integer) for phase in PHASES),
)
prompts = sa.table(
    "prompts",
    sa.column("id", sa.Integer),
    sa.column("project_id", sa.Integer),
    sa.column("feature_type", sa.String),
    sa.column("name", sa.String),
    sa.column("version", sa.Integer),
    sa.column("content", sa.Text),
    sa.column("content_hash", sa.String),
    sa.column("is_template", sa.Boolean),
    sa.column("category", sa.String),
    sa.column("phase", sa.String),
    sa.column("referenced_templates", sa.JSON),
    sa.column("variables_used", sa.JSON),
    sa.column("message", sa.Text),
    sa.column("created_by", sa.String),
    sa.column("created_at", sa.DateTime(timezone=True)),
)


def legacy_prompt_id(bind: sa.Connection, phase: str, content: str) -> int:
    """The global orchestration prompt holding `content` for `phase`, inserted if missing."""
    digest = hashlib.sha256(content.encode("utf-8")).hexdigest()
    existing = bind.execute(
        sa.select(prompts.c.id)
        .where(
            prompts.c.content_hash == digest,
            prompts.c.category == CATEGORY,
            prompts.c.phase == phase,
            prompts.c.project_id.is_(None),
            prompts.c.feature_type.is_(None),
        )
        .order_by(prompts.c.version)
        .limit(1)
    ).scalar()
    if existing is not None:
        return int(existing)
    name = f"orchestration_{phase}_legacy_{digest[:12]}"
    bind.execute(
        prompts.insert().values(
            project_id=None,
            feature_type=None,
            name=name,
            version=1,
            content=content,
            content_hash=digest,
            is_template=True,
            category=CATEGORY,
            phase=phase,
            referenced_templates=[],
            variables_used=[],
            message="migrated from legacy session text",
            created_by=MIGRATED_BY,
            created_at=datetime.now(UTC),
        )
    )
    inserted = bind.execute(
        sa.select(prompts.c.id).where(
            prompts.c.name == name,
            prompts.c.version == 1,
            prompts.c.project_id.is_(None),
            prompts.c.feature_type.is_(None),
        )
    ).scalar_one()
    return int(inserted)


def migrate_legacy_texts(bind: sa.Connection) -> None:
    for phase in PHASES:
        text_column = sessions.c[f"{phase}_template"]
        texts = bind.execute(
            sa.select(text_column).where(text_column.is_not(None), text_column != "").distinct()
        ).scalars()
        for content in list(texts):
            prompt_id = legacy_prompt_id(bind, phase, content)
            bind.execute(
                sessions.update()
                .where(text_column == content)
                .values({f"{phase}_prompt_id": prompt_id})
            )


def restore_legacy_texts(bind: sa.Connection) -> None:
    for phase in PHASES:
        text_column = sessions.c[f"{phase}_template"]
        prompt_column = sessions.c[f"{phase}_prompt_id"]
        content = (
            sa.select(prompts.c.content).where(prompts.c.id == prompt_column).scalar_subquery()
        )
        bind.execute(
            sessions.update()
            .where(text_column.is_(None), prompt_column.is_not(None))
            .values({text_column.name: content})
        )


def upgrade() -> None:
    with op.batch_alter_table("orchestration_sessions") as batch_op:
        for phase in PHASES:
            batch_op.add_column(sa.Column(f"{phase}_prompt_id", sa.Integer(), nullable=True))
            batch_op.create_foreign_key(
                batch_op.f(f"fk_orchestration_sessions_{phase}_prompt_id_prompts"),
                "prompts",
                [f"{phase}_prompt_id"],
                ["id"],
            )
    migrate_legacy_texts(op.get_bind())


def downgrade() -> None:
    # What 0004's downgrade kept for its upgrade points at prompt ids this rewrites: drop it.
    op.execute("DROP TABLE IF EXISTS prompt_tool_kept_0004")
    restore_legacy_texts(op.get_bind())
    with op.batch_alter_table("orchestration_sessions") as batch_op:
        for phase in PHASES:
            batch_op.drop_constraint(
                batch_op.f(f"fk_orchestration_sessions_{phase}_prompt_id_prompts"),
                type_="foreignkey",
            )
            batch_op.drop_column(f"{phase}_prompt_id")
