"""Projects and their template variables: the service layer the CLI and other managers call.

Variable values are stored as JSON. A value given as text is parsed as JSON when it is
valid JSON (`42` is a number, `true` a boolean, `["a", "b"]` a list, `"42"` the string 42),
and kept as the plain string otherwise (`hello world`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from prompt_tool.core.errors import ConflictError, NotFoundError, ValidationError
from prompt_tool.db.models import OrchestrationSession, Project, Prompt

MAX_NAME_LENGTH = 255
# Names Jinja's parser reads as constants or operators, so `{{ name }}` could never see them.
JINJA_RESERVED = frozenset(
    {"and", "or", "not", "in", "is", "if", "else", "true", "false", "none", "True", "False", "None"}
)


@dataclass(frozen=True)
class ProjectSummary:
    """A project with the counts `projects show` and the delete confirmation report."""

    project: Project
    prompt_versions: int
    sessions: int


def parse_variable_value(raw: str) -> Any:
    """JSON when `raw` is valid JSON, else the string itself.

    Python's JSON reader also accepts NaN and ±Infinity, which are not JSON: SQLite would
    store them and PostgreSQL refuse them with a raw driver error, so they are refused here.
    """
    try:
        return json.loads(raw, parse_constant=_refuse_constant)
    except ValueError:
        return raw


def _refuse_constant(name: str) -> Any:
    raise ValidationError(
        f"invalid variable value containing {name}: NaN and Infinity are not JSON numbers"
        f" (quote the value to store it as text, e.g. '\"{name}\"')"
    )


def validate_variable_name(key: str) -> str:
    """A variable must be usable as `{{ key }}` in a template."""
    if not key.isidentifier() or key in JINJA_RESERVED:
        raise ValidationError(
            f"invalid variable name {key!r}: use a Jinja identifier "
            "(letters, digits and _, not starting with a digit, not a keyword like 'true')"
        )
    return key


def validate_project_name(name: str) -> str:
    if not name or name != name.strip():
        raise ValidationError(f"invalid project name {name!r}: empty or surrounded by spaces")
    if len(name) > MAX_NAME_LENGTH:
        raise ValidationError(f"invalid project name: longer than {MAX_NAME_LENGTH} characters")
    return name


class ProjectManager:
    """Create, find and change projects inside the caller's transaction (never commits)."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def create(self, name: str, description: str | None = None) -> Project:
        validate_project_name(name)
        if self._find(name) is not None:
            raise ConflictError(f"project {name!r} already exists")
        project = Project(name=name, description=description, variables={})
        try:
            with self.session.begin_nested():
                self.session.add(project)
        except IntegrityError:
            raise ConflictError(f"project {name!r} already exists") from None
        return project

    def list(self) -> list[Project]:
        return list(self.session.scalars(select(Project).order_by(Project.name)))

    def get(self, name: str, *, for_update: bool = False) -> Project:
        """The project; `for_update` locks its row until commit (read-modify-write of variables)."""
        project = self._find(name, for_update)
        if project is None:
            raise NotFoundError(f"project {name!r} does not exist")
        return project

    def summary(self, name: str) -> ProjectSummary:
        project = self.get(name)
        prompt_versions = self.session.scalar(
            select(func.count()).select_from(Prompt).where(Prompt.project_id == project.id)
        )
        sessions = self.session.scalar(
            select(func.count())
            .select_from(OrchestrationSession)
            .where(OrchestrationSession.project_id == project.id)
        )
        return ProjectSummary(project, prompt_versions or 0, sessions or 0)

    def delete(self, name: str) -> None:
        """Delete the project; the database cascades to its templates, labels and sessions."""
        project = self.get(name)
        try:
            with self.session.begin_nested():
                self.session.delete(project)
        except IntegrityError as error:
            raise ConflictError(
                f"project {name!r} cannot be deleted: its template versions are still used "
                f"outside it ({str(error.orig).strip().splitlines()[0]})"
            ) from None

    def set_var(self, name: str, key: str, raw_value: str) -> Any:
        """Store `key` for the project and return the value as stored (see the module doc)."""
        validate_variable_name(key)
        value = parse_variable_value(raw_value)
        project = self.get(name, for_update=True)
        project.variables = {**project.variables, key: value}
        self.session.flush()
        return value

    def unset_var(self, name: str, key: str) -> None:
        project = self.get(name, for_update=True)
        if key not in project.variables:
            raise NotFoundError(f"project {name!r} has no variable {key!r}")
        project.variables = {k: v for k, v in project.variables.items() if k != key}
        self.session.flush()

    def _find(self, name: str, for_update: bool = False) -> Project | None:
        query = select(Project).where(Project.name == name)
        if for_update:
            # PostgreSQL: a concurrent set-var waits here and then reads the committed
            # variables, so no update is lost (SQLite's BEGIN IMMEDIATE already serialises).
            query = query.with_for_update().execution_options(populate_existing=True)
        return self.session.scalars(query).first()
