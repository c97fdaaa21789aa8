"""session render inputs: what a session needs to re-render its prompts identically

Adds two nullable JSON columns to `orchestration_sessions`:

- `template_versions`: every template version the session rendered with, keyed by the
  qualified name the loader serves (`name@label` or `name@3`) → `prompts.id`. The three
  phase FKs alone do not pin the partials a phase includes; with this map a later render
  reads exactly the versions of the first one, whatever was published since.
- `render_inputs`: the label asked for, the acceptance criteria and the `--var` variables,
  which have no column of their own but are part of every phase's context.

NULL in both means a session created before this revision (legacy): it renders from its
phase FKs or legacy text with includes resolved afresh.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = ("template_versions", "render_inputs")


def upgrade() -> None:
    with op.batch_alter_table("orchestration_sessions") as batch_op:
        for name in COLUMNS:
            batch_op.add_column(sa.Column(name, sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("orchestration_sessions") as batch_op:
        for name in reversed(COLUMNS):
            batch_op.drop_column(name)
