"""initial schema: projects, prompt versions, labels, executions, experiments

Revision ID: 0001
Revises:
Create Date: 2026-11-25
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None
DOWNGRADE_LOSES: str | None = (
    "every project, template version, label, execution and experiment (the whole schema)"
)
"""What this revision's downgrade deletes (`db downgrade` asks before it; None: nothing)."""

SCOPE_KINDS = {
    "global_any": "project_id IS NULL AND feature_type IS NULL",
    "global_feature": "project_id IS NULL AND feature_type IS NOT NULL",
    "project_any": "project_id IS NOT NULL AND feature_type IS NULL",
    "project_feature": "project_id IS NOT NULL AND feature_type IS NOT NULL",
}


def create_scope_unique_indexes(table: str, *columns: str) -> None:
    """Uniqueness per template scope: one partial index per kind, as NULLs are distinct."""
    for kind, condition in SCOPE_KINDS.items():
        scope = [
            name for name in ("project_id", "feature_type") if f"{name} IS NOT NULL" in condition
        ]
        op.create_index(
            f"uq_{table}_{kind}",
            table,
            [*scope, *columns],
            unique=True,
            sqlite_where=sa.text(condition),
            postgresql_where=sa.text(condition),
        )


def created_at(name: str = "created_at") -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False)


def project_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["project_id"],
        ["projects.id"],
        name=op.f(f"fk_{table}_project_id_projects"),
        ondelete="CASCADE",
    )


def upgrade() -> None:
    op.create_table(
        "projects",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("variables", sa.JSON(), nullable=False),
        created_at(),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_projects")),
        sa.UniqueConstraint("name", name=op.f("uq_projects_name")),
    )
    op.create_table(
        "prompts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=True),
        sa.Column("feature_type", sa.String(length=100), nullable=True),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("is_template", sa.Boolean(), nullable=False),
        sa.Column("category", sa.String(length=100), nullable=False),
        sa.Column("phase", sa.String(length=32), nullable=True),
        sa.Column("referenced_templates", sa.JSON(), nullable=False),
        sa.Column("variables_used", sa.JSON(), nullable=False),
        sa.Column("message", sa.Text(), nullable=True),
        sa.Column("created_by", sa.String(length=255), nullable=True),
        created_at(),
        sa.Column("source_path", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "phase IN ('orchestrator', 'analysis', 'implementation', 'partial')",
            name=op.f("ck_prompts_phase"),
        ),
        sa.CheckConstraint("version >= 1", name=op.f("ck_prompts_version_positive")),
        project_fk("prompts"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_prompts")),
    )
    op.create_index(op.f("ix_prompts_content_hash"), "prompts", ["content_hash"])
    op.create_index(op.f("ix_prompts_name"), "prompts", ["name"])
    op.create_index(op.f("ix_prompts_project_id"), "prompts", ["project_id"])
    create_scope_unique_indexes("prompts", "name", "version")

    op.create_table(
        "prompt_labels",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=True),
        sa.Column("feature_type", sa.String(length=100), nullable=True),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("label", sa.String(length=100), nullable=False),
        sa.Column("prompt_id", sa.Integer(), nullable=False),
        created_at("updated_at"),
        project_fk("prompt_labels"),
        sa.ForeignKeyConstraint(
            ["prompt_id"], ["prompts.id"], name=op.f("fk_prompt_labels_prompt_id_prompts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_prompt_labels")),
    )
    op.create_index(op.f("ix_prompt_labels_project_id"), "prompt_labels", ["project_id"])
    op.create_index(op.f("ix_prompt_labels_prompt_id"), "prompt_labels", ["prompt_id"])
    create_scope_unique_indexes("prompt_labels", "name", "label")

    op.create_table(
        "prompt_label_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=True),
        sa.Column("feature_type", sa.String(length=100), nullable=True),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("label", sa.String(length=100), nullable=False),
        sa.Column("from_prompt_id", sa.Integer(), nullable=True),
        sa.Column("from_version", sa.Integer(), nullable=True),
        sa.Column("to_prompt_id", sa.Integer(), nullable=True),
        sa.Column("to_version", sa.Integer(), nullable=True),
        sa.Column("created_by", sa.String(length=255), nullable=True),
        created_at(),
        sa.Column("reason", sa.Text(), nullable=True),
        project_fk("prompt_label_events"),
        sa.ForeignKeyConstraint(
            ["from_prompt_id"],
            ["prompts.id"],
            name=op.f("fk_prompt_label_events_from_prompt_id_prompts"),
        ),
        sa.ForeignKeyConstraint(
            ["to_prompt_id"],
            ["prompts.id"],
            name=op.f("fk_prompt_label_events_to_prompt_id_prompts"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_prompt_label_events")),
    )
    op.create_index(op.f("ix_prompt_label_events_name"), "prompt_label_events", ["name"])
    op.create_index(
        op.f("ix_prompt_label_events_project_id"), "prompt_label_events", ["project_id"]
    )

    op.create_table(
        "experiments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=True),
        sa.Column("feature_type", sa.String(length=100), nullable=True),
        sa.Column("phase", sa.String(length=32), nullable=True),
        created_at(),
        sa.CheckConstraint(
            "phase IN ('orchestrator', 'analysis', 'implementation')",
            name=op.f("ck_experiments_phase"),
        ),
        sa.CheckConstraint(
            "status IN ('draft', 'running', 'paused', 'completed')",
            name=op.f("ck_experiments_status"),
        ),
        project_fk("experiments"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_experiments")),
        sa.UniqueConstraint("name", name=op.f("uq_experiments_name")),
    )
    op.create_index(op.f("ix_experiments_project_id"), "experiments", ["project_id"])

    op.create_table(
        "experiment_variants",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("experiment_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("weight", sa.Float(), nullable=False),
        sa.CheckConstraint("weight >= 0", name=op.f("ck_experiment_variants_weight_non_negative")),
        sa.ForeignKeyConstraint(
            ["experiment_id"],
            ["experiments.id"],
            name=op.f("fk_experiment_variants_experiment_id_experiments"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_experiment_variants")),
        sa.UniqueConstraint(
            "experiment_id", "name", name=op.f("uq_experiment_variants_experiment_id_name")
        ),
    )
    op.create_index(
        op.f("ix_experiment_variants_experiment_id"), "experiment_variants", ["experiment_id"]
    )

    op.create_table(
        "experiment_variant_prompts",
        sa.Column("variant_id", sa.Integer(), nullable=False),
        sa.Column("phase", sa.String(length=32), nullable=False),
        sa.Column("prompt_id", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "phase IN ('orchestrator', 'analysis', 'implementation')",
            name=op.f("ck_experiment_variant_prompts_phase"),
        ),
        sa.ForeignKeyConstraint(
            ["prompt_id"],
            ["prompts.id"],
            name=op.f("fk_experiment_variant_prompts_prompt_id_prompts"),
        ),
        sa.ForeignKeyConstraint(
            ["variant_id"],
            ["experiment_variants.id"],
            name=op.f("fk_experiment_variant_prompts_variant_id_experiment_variants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("variant_id", "phase", name=op.f("pk_experiment_variant_prompts")),
    )
    op.create_index(
        op.f("ix_experiment_variant_prompts_prompt_id"), "experiment_variant_prompts", ["prompt_id"]
    )

    op.create_table(
        "experiment_assignments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("experiment_id", sa.Integer(), nullable=False),
        sa.Column("unit_key", sa.String(length=255), nullable=False),
        sa.Column("variant_id", sa.Integer(), nullable=False),
        created_at(),
        sa.ForeignKeyConstraint(
            ["experiment_id"],
            ["experiments.id"],
            name=op.f("fk_experiment_assignments_experiment_id_experiments"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["variant_id"],
            ["experiment_variants.id"],
            name=op.f("fk_experiment_assignments_variant_id_experiment_variants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_experiment_assignments")),
        sa.UniqueConstraint(
            "experiment_id",
            "unit_key",
            name=op.f("uq_experiment_assignments_experiment_id_unit_key"),
        ),
    )
    op.create_index(
        op.f("ix_experiment_assignments_variant_id"), "experiment_assignments", ["variant_id"]
    )

    op.create_table(
        "experiment_outcomes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("assignment_id", sa.Integer(), nullable=False),
        sa.Column("success", sa.Boolean(), nullable=False),
        sa.Column("score", sa.Float(), nullable=True),
        created_at(),
        sa.ForeignKeyConstraint(
            ["assignment_id"],
            ["experiment_assignments.id"],
            name=op.f("fk_experiment_outcomes_assignment_id_experiment_assignments"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_experiment_outcomes")),
    )
    op.create_index(
        op.f("ix_experiment_outcomes_assignment_id"), "experiment_outcomes", ["assignment_id"]
    )

    op.create_table(
        "executions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("prompt_id", sa.Integer(), nullable=True),
        sa.Column("variant_id", sa.Integer(), nullable=True),
        sa.Column("phase", sa.String(length=32), nullable=True),
        sa.Column("input", sa.Text(), nullable=False),
        sa.Column("output", sa.Text(), nullable=True),
        sa.Column("exit_status", sa.Integer(), nullable=True),
        sa.Column("duration_ms", sa.Integer(), nullable=True),
        created_at(),
        sa.ForeignKeyConstraint(
            ["prompt_id"], ["prompts.id"], name=op.f("fk_executions_prompt_id_prompts")
        ),
        sa.ForeignKeyConstraint(
            ["variant_id"],
            ["experiment_variants.id"],
            name=op.f("fk_executions_variant_id_experiment_variants"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_executions")),
    )
    op.create_index(op.f("ix_executions_prompt_id"), "executions", ["prompt_id"])


def downgrade() -> None:
    for table in (
        "executions",
        "experiment_outcomes",
        "experiment_assignments",
        "experiment_variant_prompts",
        "experiment_variants",
        "experiments",
        "prompt_label_events",
        "prompt_labels",
        "prompts",
        "projects",
    ):
        op.drop_table(table)
