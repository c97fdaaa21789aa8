"""experiments: reshaped for A/B tests of orchestration strategies

`experiments`:
- belongs to a project (`project_id` NOT NULL); the upgrade refuses a database holding an
  experiment without one rather than deleting it;
- loses `phase`: a variant's strategy names the phases it changes;
- statuses `draft`, `running`, `paused`, `stopped`, `concluded` (`completed` becomes
  `concluded`; the downgrade maps `stopped` and `concluded` back to `completed`);
- gains `unit` (what a sticky assignment is keyed by), `min_sample`, `winner`,
  `started_at`, `stopped_at`;
- at most one running experiment per (project, feature type): two partial unique indexes,
  one for "any feature type" (NULL) and one per named type, since NULLs are distinct in a
  plain unique key. Both SQLite and PostgreSQL support them.

`experiment_outcomes` gains `session_id` (one outcome per session and assignment), `note` and
`source` (`manual` or `runner`).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NEW_STATUSES = "status IN ('draft', 'running', 'paused', 'stopped', 'concluded')"
OLD_STATUSES = "status IN ('draft', 'running', 'paused', 'completed')"
UNITS = "unit IN ('project+feature', 'project', 'feature', 'session')"
OLD_PHASES = "phase IN ('orchestrator', 'analysis', 'implementation')"
RUNNING = {
    "any": ("status = 'running' AND feature_type IS NULL", ["project_id"]),
    "feature": ("status = 'running' AND feature_type IS NOT NULL", ["project_id", "feature_type"]),
}


def upgrade() -> None:
    connection = op.get_bind()
    orphans = connection.execute(
        sa.text("SELECT count(*) FROM experiments WHERE project_id IS NULL")
    ).scalar_one()
    if orphans:
        raise RuntimeError(
            f"{orphans} experiment(s) have no project; experiments now belong to a project:"
            " set their project_id or delete them, then upgrade again"
        )
    with op.batch_alter_table("experiments") as batch_op:
        batch_op.drop_constraint(op.f("ck_experiments_phase"), type_="check")
        batch_op.drop_constraint(op.f("ck_experiments_status"), type_="check")
        batch_op.drop_column("phase")
    # Between the two constraints: neither the old nor the new one accepts both statuses.
    op.execute("UPDATE experiments SET status = 'concluded' WHERE status = 'completed'")
    with op.batch_alter_table("experiments") as batch_op:
        batch_op.alter_column("project_id", existing_type=sa.Integer(), nullable=False)
        batch_op.add_column(
            sa.Column(
                "unit", sa.String(length=32), nullable=False, server_default="project+feature"
            )
        )
        batch_op.add_column(
            sa.Column("min_sample", sa.Integer(), nullable=False, server_default="30")
        )
        batch_op.add_column(sa.Column("winner", sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column("started_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("stopped_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_check_constraint(op.f("ck_experiments_status"), NEW_STATUSES)
        batch_op.create_check_constraint(op.f("ck_experiments_unit"), UNITS)
        batch_op.create_check_constraint(
            op.f("ck_experiments_min_sample_positive"), "min_sample >= 1"
        )
    # The defaults only filled the existing rows; the model supplies values from now on.
    with op.batch_alter_table("experiments") as batch_op:
        batch_op.alter_column("unit", existing_type=sa.String(length=32), server_default=None)
        batch_op.alter_column("min_sample", existing_type=sa.Integer(), server_default=None)
    for kind, (condition, columns) in RUNNING.items():
        op.create_index(
            f"uq_experiments_running_{kind}",
            "experiments",
            columns,
            unique=True,
            sqlite_where=sa.text(condition),
            postgresql_where=sa.text(condition),
        )

    with op.batch_alter_table("experiment_outcomes") as batch_op:
        batch_op.add_column(sa.Column("session_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("note", sa.Text(), nullable=True))
        batch_op.add_column(
            sa.Column("source", sa.String(length=16), nullable=False, server_default="manual")
        )
        batch_op.create_foreign_key(
            op.f("fk_experiment_outcomes_session_id_orchestration_sessions"),
            "orchestration_sessions",
            ["session_id"],
            ["id"],
            ondelete="CASCADE",
        )
        batch_op.create_index(op.f("ix_experiment_outcomes_session_id"), ["session_id"])
        batch_op.create_unique_constraint(
            op.f("uq_experiment_outcomes_assignment_id_session_id"),
            ["assignment_id", "session_id"],
        )
        batch_op.create_check_constraint(
            op.f("ck_experiment_outcomes_source"), "source IN ('manual', 'runner')"
        )
    with op.batch_alter_table("experiment_outcomes") as batch_op:
        batch_op.alter_column("source", existing_type=sa.String(length=16), server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("experiment_outcomes") as batch_op:
        batch_op.drop_constraint(op.f("ck_experiment_outcomes_source"), type_="check")
        batch_op.drop_constraint(
            op.f("uq_experiment_outcomes_assignment_id_session_id"), type_="unique"
        )
        batch_op.drop_index(op.f("ix_experiment_outcomes_session_id"))
        batch_op.drop_constraint(
            op.f("fk_experiment_outcomes_session_id_orchestration_sessions"), type_="foreignkey"
        )
        batch_op.drop_column("source")
        batch_op.drop_column("note")
        batch_op.drop_column("session_id")

    for kind in reversed(RUNNING):
        op.drop_index(f"uq_experiments_running_{kind}", table_name="experiments")
    with op.batch_alter_table("experiments") as batch_op:
        batch_op.drop_constraint(op.f("ck_experiments_min_sample_positive"), type_="check")
        batch_op.drop_constraint(op.f("ck_experiments_unit"), type_="check")
        batch_op.drop_constraint(op.f("ck_experiments_status"), type_="check")
    op.execute(
        "UPDATE experiments SET status = 'completed' WHERE status IN ('stopped', 'concluded')"
    )
    with op.batch_alter_table("experiments") as batch_op:
        batch_op.drop_column("stopped_at")
        batch_op.drop_column("started_at")
        batch_op.drop_column("winner")
        batch_op.drop_column("min_sample")
        batch_op.drop_column("unit")
        batch_op.alter_column("project_id", existing_type=sa.Integer(), nullable=True)
        batch_op.add_column(sa.Column("phase", sa.String(length=32), nullable=True))
        batch_op.create_check_constraint(op.f("ck_experiments_status"), OLD_STATUSES)
        batch_op.create_check_constraint(op.f("ck_experiments_phase"), OLD_PHASES)
