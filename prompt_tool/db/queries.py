"""Queries every reader of the template store shares, written once so they stay fast.

The newest version of each template: a grouped `max(version)` joined back on (scope, name,
version) made SQLite compare every template of a scope with every other (the scope
columns are nullable, so the join needs `IS`, which its planner does not index): one
resolve in a scope of 10,000 partials took 23 to 26 s. Ranking the versions with a window
function and joining back on the primary key reads each row once (SQLite ≥ 3.25 and
PostgreSQL both have window functions).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Select, func, select

from prompt_tool.db.models import Prompt


def newest_versions(*criteria: ColumnElement[bool]) -> Select[Prompt]:
    """The newest version of every template (per scope and name) among the rows matching `criteria`."""
    ranked = (
        select(
            Prompt.id.label("id"),
            func.row_number()
            .over(
                partition_by=(Prompt.project_id, Prompt.feature_type, Prompt.name),
                order_by=Prompt.version.desc(),
            )
            .label("rank"),
        )
        .where(*criteria)
        .subquery("ranked")
    )
    statement: Select[Any] = (
        select(Prompt).join(ranked, Prompt.id == ranked.c.id).where(ranked.c.rank == 1)
    )
    return statement
