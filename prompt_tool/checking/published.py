"""Published templates as a template source: the one adapter lint, publish and the LSP share.

A name resolves through the same slot chain as a session renders it (project + feature type
→ project → global + feature type → global → built-in default, `ScopeCatalog`); inside the
winning slot a bare name takes the label (default `production`) else the newest version,
and a pin (`a.j2@3`, `a.j2@staging`) picks that version. The analyser only sees the
`get_source` / `list_names` / `has_pin` protocol.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from prompt_tool.analysis.parsing import split_pin
from prompt_tool.core.errors import NotFoundError

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from prompt_tool.db.models import Project
    from prompt_tool.orchestration.template_resolver import ScopeCatalog

DEFAULT_LABEL = "production"


class PublishedSource:
    """`get_source("partials/a.j2@3")` → that version's text; a bare name follows `label`.

    `publishing` names the templates of a publish being checked and `publishing_label` the
    label that publish moves onto them: a pin to that label (`--label staging` with
    `{% include "partials/a.j2@staging" %}`) is valid although the database does not hold it
    yet.
    """

    def __init__(
        self,
        catalog: ScopeCatalog,
        label: str = DEFAULT_LABEL,
        publishing: frozenset[str] = frozenset(),
        publishing_label: str | None = None,
    ) -> None:
        self.catalog = catalog
        self.label = label
        self.publishing = publishing
        self.publishing_label = publishing_label

    def get_source(self, name: str) -> str | None:
        base, pin = split_pin(name)
        if pin is not None and pin.isdigit():
            self.catalog.load_versions([(base, int(pin))])
        if pin is not None and not self.catalog.has_pin(base, pin):
            return None
        prompt, _slot = self.catalog.lookup(base, pin, self.label)
        return prompt.content if prompt is not None else None

    def list_names(self) -> Iterable[str]:
        return sorted(self.catalog.names())

    def has_pin(self, name: str, pin: str) -> bool:
        if name in self.publishing and pin == self.publishing_label:
            return True
        return self.catalog.has_pin(name, pin)


def find_project(session: Session, name: str | None) -> Project | None:
    """The project row called `name` (None for none); an unknown name is an error."""
    if name is None:
        return None
    from sqlalchemy import select

    from prompt_tool.db.models import Project

    row = session.scalars(select(Project).where(Project.name == name)).first()
    if row is None:
        raise NotFoundError(f"project {name!r} does not exist")
    return row


def scope_catalog(
    session: Session, project: Project | None, feature_type: str | None
) -> ScopeCatalog:
    """The candidate versions of every template visible from (project, feature type)."""
    from prompt_tool.orchestration.template_resolver import ScopeCatalog

    return ScopeCatalog(session, project, feature_type)


@dataclass(frozen=True)
class PublishedView:
    """What a check reads from a database: templates through the slot chain, and the
    project's variables (None when no project is configured)."""

    source: PublishedSource
    project_variables: Mapping[str, Any] | None = field(default=None)


@contextlib.contextmanager
def open_published(
    url: str, project: str | None, feature_type: str | None, label: str = DEFAULT_LABEL
) -> Iterator[PublishedView]:
    """Read the store at `url` for one check, in one read-only transaction.

    The schema must be current (a check never migrates, nor creates a database), and a
    check only reads.
    """
    from prompt_tool.db.db_utils import DatabaseManager

    manager = DatabaseManager(url)
    try:
        manager.check_schema()
        with manager.session() as session:
            row = find_project(session, project)
            variables = dict(row.variables or {}) if row is not None else None
            source = PublishedSource(scope_catalog(session, row, feature_type), label)
            yield PublishedView(source, variables)
    finally:
        manager.dispose()
