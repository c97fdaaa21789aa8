"""orchestration sessions, with the template text stored inline as the legacy system did

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None
DOWNGRADE_LOSES: str | None = (
    "every orchestration session and the link of each execution to its session"
)
"""What this revision's downgrade deletes (`db downgrade` asks before it; None: nothing)."""


def upgrade() -> None:
    op.create_table(
        "orchestration_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("feature_name", sa.String(length=255), nullable=False),
        sa.Column("feature_description", sa.Text(), nullable=True),
        sa.Column("feature_type", sa.String(length=100), nullable=True),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("phase", sa.String(length=32), nullable=False),
        sa.Column("orchestrator_template", sa.Text(), nullable=True),
        sa.Column("analysis_template", sa.Text(), nullable=True),
        sa.Column("implementation_template", sa.Text(), nullable=True),
        sa.Column("orchestrator_prompt", sa.Text(), nullable=True),
        sa.Column("analysis_prompt", sa.Text(), nullable=True),
        sa.Column("implementation_prompt", sa.Text(), nullable=True),
        sa.Column("variant_assignments", sa.JSON(), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.CheckConstraint(
            "phase IN ('orchestrator', 'analysis', 'implementation')",
            name=op.f("ck_orchestration_sessions_phase"),
        ),
        sa.CheckConstraint(
            "status IN ('active', 'completed', 'failed', 'cancelled')",
            name=op.f("ck_orchestration_sessions_status"),
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("fk_orchestration_sessions_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_orchestration_sessions")),
    )
    op.create_index(
        op.f("ix_orchestration_sessions_project_id"), "orchestration_sessions", ["project_id"]
    )
    with op.batch_alter_table("executions") as batch_op:
        batch_op.add_column(sa.Column("session_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_executions_session_id_orchestration_sessions"),
            "orchestration_sessions",
            ["session_id"],
            ["id"],
            ondelete="CASCADE",
        )
        batch_op.create_index(batch_op.f("ix_executions_session_id"), ["session_id"])


def downgrade() -> None:
    with op.batch_alter_table("executions") as batch_op:
        batch_op.drop_index(batch_op.f("ix_executions_session_id"))
        batch_op.drop_constraint(
            batch_op.f("fk_executions_session_id_orchestration_sessions"), type_="foreignkey"
        )
        batch_op.drop_column("session_id")
    op.drop_table("orchestration_sessions")
