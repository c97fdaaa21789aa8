"""Published templates as a `TemplateSource`, so that `templates lint` resolves includes to them.

A CI run lints the files of a change; an include may name a template that is only in
the database (published earlier, or owned by another team). Global templates for any
feature type are served: the version the label (default `production`) points at, else
the newest version.
"""

from __future__ import annotations

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from prompt_tool.analysis.sources import MappingSource
from prompt_tool.db.db_utils import DatabaseManager
from prompt_tool.db.models import Prompt, PromptLabel

DEFAULT_LABEL = "production"


def load_published_templates(session: Session, label: str = DEFAULT_LABEL) -> dict[str, str]:
    """Name → content of every global template; two statements however many there are."""
    is_global = and_(Prompt.project_id.is_(None), Prompt.feature_type.is_(None), Prompt.is_template)
    newest = (
        select(Prompt.name, func.max(Prompt.version).label("version"))
        .where(is_global)
        .group_by(Prompt.name)
        .subquery()
    )
    templates: dict[str, str] = {
        name: content
        for name, content in session.execute(
            select(Prompt.name, Prompt.content)
            .join(newest, and_(Prompt.name == newest.c.name, Prompt.version == newest.c.version))
            .where(is_global)
        )
    }
    labelled = session.execute(
        select(PromptLabel.name, Prompt.content)
        .join(Prompt, PromptLabel.prompt_id == Prompt.id)
        .where(
            PromptLabel.label == label,
            PromptLabel.project_id.is_(None),
            PromptLabel.feature_type.is_(None),
            Prompt.is_template,
        )
    )
    templates.update({name: content for name, content in labelled})
    return templates


def published_template_source(url: str, label: str = DEFAULT_LABEL) -> MappingSource:
    """The published templates of the database at `url`, read once in one transaction.

    The database is only read: an outdated schema is an error, never migrated here.
    """
    manager = DatabaseManager(url)
    try:
        manager.check_schema()
        with manager.session() as session:
            return MappingSource(load_published_templates(session, label))
    finally:
        manager.dispose()
