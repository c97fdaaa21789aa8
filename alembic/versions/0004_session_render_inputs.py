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

Downgrade keeps the two columns' values in a side table, `prompt_tool_kept_0004` (session
id → the two JSON values as text), and the next upgrade puts them back on the sessions that
still exist, so `db downgrade 0003` then `db upgrade` loses neither the recorded versions
nor the `--var` values. Going further down (below 0003, where the prompt ids those maps
point at are rewritten) drops the side table: that data is lost, as `db downgrade` warns.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = ("template_versions", "render_inputs")
KEPT_TABLE = "prompt_tool_kept_0004"
DOWNGRADE_LOSES: str | None = None
"""What this revision's downgrade deletes: nothing, the values wait in KEPT_TABLE."""

sessions = sa.table(
    "orchestration_sessions",
    sa.column("id", sa.Integer),
    *(sa.column(name, sa.JSON) for name in COLUMNS),
)
kept = sa.table(
    KEPT_TABLE,
    sa.column("session_id", sa.Integer),
    *(sa.column(name, sa.Text) for name in COLUMNS),
)


def upgrade() -> None:
    with op.batch_alter_table("orchestration_sessions") as batch_op:
        for name in COLUMNS:
            batch_op.add_column(sa.Column(name, sa.JSON(), nullable=True))
    connection = op.get_bind()
    if not sa.inspect(connection).has_table(KEPT_TABLE):
        return
    rows = connection.execute(sa.select(kept)).mappings().all()
    for row in rows:
        connection.execute(
            sa.update(sessions)
            .where(sessions.c.id == row["session_id"])
            .values({name: _loads(row[name]) for name in COLUMNS})
        )
    op.drop_table(KEPT_TABLE)


def downgrade() -> None:
    connection = op.get_bind()
    op.create_table(
        KEPT_TABLE,
        sa.Column("session_id", sa.Integer, primary_key=True),
        *(sa.Column(name, sa.Text, nullable=True) for name in COLUMNS),
    )
    rows = connection.execute(
        sa.select(sessions).where(sa.or_(*(sessions.c[name].is_not(None) for name in COLUMNS)))
    ).mappings()
    values = [
        {"session_id": row["id"], **{name: _dumps(row[name]) for name in COLUMNS}} for row in rows
    ]
    if values:
        connection.execute(sa.insert(kept), values)
    with op.batch_alter_table("orchestration_sessions") as batch_op:
        for name in reversed(COLUMNS):
            batch_op.drop_column(name)


def _dumps(value: Any) -> str | None:
    return None if value is None else json.dumps(value)


def _loads(text: str | None) -> Any:
    return None if text is None else json.loads(text)
