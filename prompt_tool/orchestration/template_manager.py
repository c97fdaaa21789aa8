"""The template store: publish validated versions, move labels, roll back, diff and export.

Works inside the caller's transaction (the CLI opens one per command), so a publish is all
or nothing: validation runs first, any blocking diagnostic raises before a row is written.
The validation itself is the checking service's (`prompt_tool.checking.publish`), handed in
as a `SpecChecker`, so that publish checks exactly as `templates lint` and the editor do;
this layer only owns scopes, versions and labels.

Concurrency. Two publishes of the same template must not both compute `newest + 1`, and two
templates for one phase must not both pass the one-per-phase check. On PostgreSQL the publish
takes a transaction-scoped advisory lock per (scope, name) and per (scope, phase), in one
statement with the keys sorted (no deadlock between publishes of overlapping sets), before
reading the scope; the lock is released at commit, so the next publisher reads
the committed version and numbers after it. A retry on unique violation would work too, but
would re-run validation and re-read everything on every collision, and turns a burst of
eight publishers into up to 28 wasted transactions; the lock makes each one wait once. On
SQLite the database-wide write lock serialises writers, taken before the first read
(`_begin_writing`); the partial unique indexes on (scope, name, version) are the backstop on
both. Label moves and rollbacks take the same lock before reading the label, so each event's
"from" is the version the previous move left, and two first moves cannot both insert.
"""

from __future__ import annotations

import dataclasses
import difflib
import getpass
import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from prompt_tool.analysis.diagnostics import Diagnostic, Severity
from prompt_tool.analysis.facts import TemplateFacts, read_template_facts
from prompt_tool.analysis.parsing import split_pin
from prompt_tool.core.contract import PARTIAL
from prompt_tool.core.errors import ConflictError, NotFoundError, UsageError, ValidationError
from prompt_tool.db.models import (
    ORCHESTRATION_CATEGORY,
    Project,
    Prompt,
    PromptLabel,
    PromptLabelEvent,
)
from prompt_tool.db.queries import newest_versions
from prompt_tool.orchestration.defaults import read_default_templates
from prompt_tool.orchestration.template_export import write_export
from prompt_tool.orchestration.template_files import (
    TemplateFile,
    TemplateSpec,
    content_hash,
    file_name_for,
    name_problem,
    spec_for,
)
from prompt_tool.orchestration.template_resolver import (
    DEFAULT_LABEL,
    ScopeCatalog,
    TemplateResolver,
    scope_filter,
)

ROLLBACK_REASON = "rollback"
ScopeKey = tuple[int | None, str | None]


class TemplateValidationError(ValidationError):
    """Publish refused: the diagnostics say why (the CLI prints them as `lint` does)."""

    def __init__(
        self, diagnostics: list[Diagnostic], found: list[Diagnostic] | None = None
    ) -> None:
        errors = len(diagnostics)
        super().__init__(f"publish refused: {errors} problem{'s' if errors != 1 else ''} found")
        self.diagnostics = diagnostics
        """The diagnostics that block the publish."""
        self.found = found if found is not None else diagnostics
        """Every diagnostic the check found, blocking or not."""


@dataclass(frozen=True)
class SpecCheck:
    """What checking a publish found: diagnostics (paths are files) and, by stored name,
    what each template reads and names."""

    diagnostics: list[Diagnostic]
    facts: Mapping[str, TemplateFacts] = field(default_factory=dict)

    def blocking(self, strict: bool) -> list[Diagnostic]:
        """Errors block a publish; warnings too when strict; information and hints never."""
        limit = Severity.WARNING if strict else Severity.ERROR
        return [item for item in self.diagnostics if item.severity <= limit]


class SpecChecker(Protocol):
    """Checks the templates of a publish against its scope (`prompt_tool.checking.publish`)."""

    def __call__(
        self,
        specs: Sequence[TemplateSpec],
        catalog: ScopeCatalog,
        project: Project | None,
        label: str | None,
    ) -> SpecCheck: ...


@dataclass(frozen=True)
class PublishedTemplate:
    """The outcome for one template: `created` (a new version) or `unchanged`."""

    name: str
    phase: str
    version: int
    status: str
    source_path: str | None


@dataclass
class PublishResult:
    """What a publish did (or, dry run, would do) and the warnings it let through."""

    scope: str
    items: list[PublishedTemplate]
    diagnostics: list[Diagnostic]
    label: str | None
    dry_run: bool
    labels_moved: int = 0

    @property
    def created(self) -> list[PublishedTemplate]:
        return [item for item in self.items if item.status == "created"]


@dataclass(frozen=True)
class TemplateSummary:
    """One row of `templates list`."""

    scope: str
    feature_type: str | None
    phase: str | None
    name: str
    newest: int
    labels: dict[str, int]


@dataclass
class TemplateDiff:
    """Two versions compared: the text diff and what changed for the renderer."""

    name: str
    old: Prompt
    new: Prompt
    text: list[str]
    variables_added: list[str] = field(default_factory=list)
    variables_removed: list[str] = field(default_factory=list)
    includes_added: list[str] = field(default_factory=list)
    includes_removed: list[str] = field(default_factory=list)
    includes_repinned: list[tuple[str, str, str]] = field(default_factory=list)


def current_user() -> str:
    try:
        return getpass.getuser()
    except (OSError, KeyError):
        return "unknown"


def validate_label_name(label: str) -> None:
    """A label must not read as a version number or a path, so `name@label` pins stay unambiguous."""
    if label.isdigit() or not label.strip() or "@" in label or "/" in label:
        raise UsageError(f"invalid label {label!r}: use a word such as production or staging")


def lock_key(scope: ScopeKey, name: str) -> int:
    digest = hashlib.sha256(f"{scope[0]}|{scope[1]}|{name}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def _phase_keys(specs: Sequence[TemplateSpec]) -> list[str]:
    """Lock names for the phases `specs` publish templates of: two publishers of different
    names for one phase wait for each other, and the second meets the one-per-phase check
    instead of the database's unique index. (A NUL never appears in a template name.)"""
    return [f"\0phase\0{spec.phase}" for spec in specs if spec.phase != PARTIAL]


class OrchestrationTemplateManager:
    """The template store's service layer; never commits, never prints."""

    def __init__(self, session: Session, defaults: Sequence[TemplateSpec] | None = None) -> None:
        self.session = session
        self.defaults = defaults

    def get_default_templates(self) -> list[TemplateSpec]:
        """The built-in templates from `prompt_tool/defaults/` (or the injected ones)."""
        return list(self.defaults) if self.defaults is not None else read_default_templates()

    def publish(
        self,
        files: Sequence[TemplateFile],
        project: str | None = None,
        feature_type: str | None = None,
        *,
        label: str | None = None,
        message: str | None = None,
        author: str | None = None,
        dry_run: bool = False,
        strict: bool = False,
        checker: SpecChecker | None = None,
    ) -> PublishResult:
        """Validate every file, then store each changed one as a new version (see module doc)."""
        specs = [spec_for(file, feature_type) for file in files]
        return self.publish_specs(
            specs,
            project,
            feature_type,
            label=label,
            message=message,
            author=author,
            dry_run=dry_run,
            strict=strict,
            checker=checker,
        )

    def publish_specs(
        self,
        specs: Sequence[TemplateSpec],
        project: str | None,
        feature_type: str | None,
        *,
        label: str | None = None,
        message: str | None = None,
        author: str | None = None,
        dry_run: bool = False,
        strict: bool = False,
        checker: SpecChecker | None = None,
    ) -> PublishResult:
        """Store `specs` in one scope; `checker` (the checking service) validates them first.
        Without a checker nothing is validated: only trusted input (the built-in defaults)."""
        if label is not None:
            validate_label_name(label)
        if not dry_run:
            self._begin_writing()
        project_row = self._project(project)
        scope_types = {spec.feature_type for spec in specs}
        if len(scope_types) > 1:
            raise UsageError(
                "files declare different feature types in their headers; publish them separately"
            )
        scope: ScopeKey = (
            project_row.id if project_row else None,
            scope_types.pop() if specs else feature_type,
        )
        self._check_names(specs)
        if not dry_run:
            self._lock(scope, [*(spec.name for spec in specs), *_phase_keys(specs)])
        catalog = ScopeCatalog(self.session, project_row, scope[1], self.get_default_templates())
        self._check_one_per_phase(specs, catalog, scope)
        report = checker(specs, catalog, project_row, label) if checker else SpecCheck([])
        if blocking := report.blocking(strict):
            raise TemplateValidationError(blocking, report.diagnostics)
        specs = [
            dataclasses.replace(spec, facts=report.facts[spec.name])
            if spec.name in report.facts
            else spec
            for spec in specs
        ]
        items = self._store(specs, scope, message, author or current_user(), dry_run)
        moved = 0
        if label and not dry_run:
            for item in items:
                event = self.set_label(
                    item.name,
                    label,
                    item.version,
                    project,
                    scope[1],
                    author=author,
                    reason=f"publish: {message}" if message else "publish",
                    quiet_if_same=True,
                )
                moved += event is not None
        title = _scope_title(project, scope[1])
        return PublishResult(title, items, report.diagnostics, label, dry_run, moved)

    def create_orchestration_template(
        self,
        name: str,
        phase: str,
        content: str,
        project: str | None = None,
        feature_type: str | None = None,
        *,
        message: str | None = None,
        author: str | None = None,
        source_path: str | None = None,
    ) -> Prompt:
        """Store one version without the analyser (programmatic and migration use); newest if unchanged."""
        problem = name_problem(name)
        if problem is not None:
            raise ValidationError(problem)
        spec = TemplateSpec(name, name, phase, feature_type, content, source_path or "")
        project_row = self._project(project)
        scope: ScopeKey = (project_row.id if project_row else None, feature_type)
        catalog = ScopeCatalog(
            self.session, project_row, feature_type, self.get_default_templates()
        )
        self._check_one_per_phase([spec], catalog, scope)
        [item] = self._store([spec], scope, message, author or current_user(), False)
        return self.get_version(name, item.version, project, feature_type)

    def install_defaults(self, author: str | None = None) -> PublishResult:
        """Store the built-in templates as global versions; unchanged ones are left alone."""
        return self.publish_specs(
            self.get_default_templates(),
            None,
            None,
            message="built-in defaults",
            author=author or "prompt-tool",
        )

    def _project(self, name: str | None) -> Project | None:
        if name is None:
            return None
        found = self.session.scalars(select(Project).where(Project.name == name)).first()
        if found is None:
            raise NotFoundError(f"project {name!r} does not exist")
        return found

    def _check_names(self, specs: Sequence[TemplateSpec]) -> None:
        seen: dict[str, str] = {}
        for spec in specs:
            if spec.name in seen:
                raise UsageError(
                    f"{spec.source_path} and {seen[spec.name]} both publish {spec.name}"
                )
            seen[spec.name] = spec.source_path

    def _check_one_per_phase(
        self, specs: Sequence[TemplateSpec], catalog: ScopeCatalog, scope: ScopeKey
    ) -> None:
        for spec in specs:
            if spec.phase == PARTIAL:
                continue
            others = {s.name for s in specs if s.phase == spec.phase} | set(
                catalog.phase_names(scope, spec.phase) if scope in catalog.entries else ()
            )
            others.discard(spec.name)
            if others:
                raise ConflictError(
                    f"{spec.source_path or spec.name}: this scope already has the {spec.phase} template "
                    f"{sorted(others)[0]}; a scope holds one template per phase, so name the "
                    f"file {file_name_for(sorted(others)[0], spec.phase)} to publish a new version of it"
                )

    def _store(
        self,
        specs: Sequence[TemplateSpec],
        scope: ScopeKey,
        message: str | None,
        author: str,
        dry_run: bool,
    ) -> list[PublishedTemplate]:
        names = [spec.name for spec in specs]
        newest = self._newest(scope, names)
        items: list[PublishedTemplate] = []
        new_rows: list[Prompt] = []
        for spec in specs:
            digest = content_hash(spec.content)
            current = newest.get(spec.name)
            if current is not None and current[1] == digest:
                items.append(
                    PublishedTemplate(
                        spec.name, spec.phase, current[0], "unchanged", spec.source_path
                    )
                )
                continue
            version = (current[0] if current else 0) + 1
            facts = spec.facts or read_template_facts(spec.content)
            new_rows.append(
                Prompt(
                    project_id=scope[0],
                    feature_type=scope[1],
                    name=spec.name,
                    version=version,
                    content=spec.content,
                    content_hash=digest,
                    is_template=True,
                    category=ORCHESTRATION_CATEGORY,
                    phase=spec.phase,
                    referenced_templates=list(facts.references),
                    variables_used=list(facts.variables),
                    message=message,
                    created_by=author,
                    source_path=spec.source_path or None,
                )
            )
            items.append(
                PublishedTemplate(spec.name, spec.phase, version, "created", spec.source_path)
            )
        if new_rows and not dry_run:
            self.session.add_all(new_rows)
            self.session.flush()
        return items

    def _begin_writing(self) -> None:
        """SQLite: take the database write lock before the first read of the transaction.

        A transaction that has read holds SQLite's shared lock; upgrading it while another
        writer commits would deadlock, so SQLite answers "database is locked" at once instead
        of waiting. A no-op write as the first statement makes a concurrent publisher wait
        (busy timeout) at the start instead, and then read what the first one committed.
        """
        if self.session.get_bind().dialect.name == "sqlite":
            self.session.execute(text("DELETE FROM prompt_labels WHERE 1 = 0"))

    def _lock(self, scope: ScopeKey, names: Sequence[str]) -> None:
        """PostgreSQL: serialise publishes and label moves of these templates (module doc)."""
        if self.session.get_bind().dialect.name != "postgresql" or not names:
            return
        keys = sorted({lock_key(scope, name) for name in names})
        self.session.execute(
            text("SELECT pg_advisory_xact_lock(k) FROM unnest(CAST(:keys AS bigint[])) AS k"),
            {"keys": keys},
        )

    def _newest(self, scope: ScopeKey, names: Sequence[str]) -> dict[str, tuple[int, str]]:
        """(newest version, its content hash) per name in `scope`, in one statement."""
        if not names:
            return {}
        rows = self.session.scalars(
            newest_versions(scope_filter([scope], Prompt), Prompt.name.in_(names))
        )
        return {row.name: (row.version, row.content_hash) for row in rows}

    def _versions(self, name: str, project: str | None, feature_type: str | None) -> list[Prompt]:
        project_row = self._project(project)
        scope: ScopeKey = (project_row.id if project_row else None, feature_type)
        rows = list(
            self.session.scalars(
                select(Prompt)
                .where(scope_filter([scope], Prompt), Prompt.name == name)
                .order_by(Prompt.version)
            )
        )
        if not rows:
            raise NotFoundError(
                f"no template {name!r} in scope {_scope_title(project, feature_type)}"
            )
        return rows

    def history(
        self, name: str, project: str | None = None, feature_type: str | None = None
    ) -> list[Prompt]:
        """Every version of `name` in the scope, newest first."""
        return list(reversed(self._versions(name, project, feature_type)))

    def get_version(
        self,
        name: str,
        version: int | None = None,
        project: str | None = None,
        feature_type: str | None = None,
        *,
        label: str | None = None,
    ) -> Prompt:
        """Version `version`, or the one `label` points at, or the newest."""
        rows = self._versions(name, project, feature_type)
        if label is not None:
            target = self._label_row(name, label, rows[0])
            if target is None:
                raise NotFoundError(f"template {name!r} has no label {label!r} in this scope")
            return target.prompt
        if version is None:
            return rows[-1]
        for row in rows:
            if row.version == version:
                return row
        raise NotFoundError(
            f"template {name!r} has no version {version} (newest is {rows[-1].version})"
        )

    def resolve_reference(
        self, name: str, reference: str, project: str | None, feature_type: str | None
    ) -> Prompt:
        """A version given as a number or a label name."""
        if reference.isdigit():
            return self.get_version(name, int(reference), project, feature_type)
        return self.get_version(name, None, project, feature_type, label=reference)

    def _label_row(self, name: str, label: str, any_version: Prompt) -> PromptLabel | None:
        scope: ScopeKey = (any_version.project_id, any_version.feature_type)
        return self.session.scalars(
            select(PromptLabel).where(
                scope_filter([scope], PromptLabel),
                PromptLabel.name == name,
                PromptLabel.label == label,
            )
        ).first()

    def set_label(
        self,
        name: str,
        label: str,
        version: int,
        project: str | None = None,
        feature_type: str | None = None,
        *,
        author: str | None = None,
        reason: str | None = None,
        quiet_if_same: bool = False,
    ) -> PromptLabelEvent | None:
        """Point `label` at `version`, appending the move to the label's event history."""
        validate_label_name(label)
        if _is_rollback_reason(reason):
            raise UsageError(f"a reason may not start with {ROLLBACK_REASON!r}: use `rollback`")
        self._begin_writing()
        target = self.get_version(name, version, project, feature_type)
        self._lock((target.project_id, target.feature_type), [name])
        return self._move(target, label, author, reason, quiet_if_same)

    def _move(
        self,
        target: Prompt,
        label: str,
        author: str | None,
        reason: str | None,
        quiet_if_same: bool = False,
    ) -> PromptLabelEvent | None:
        row = self._label_row(target.name, label, target)
        previous = row.prompt if row is not None else None
        if previous is not None and previous.id == target.id and quiet_if_same:
            return None
        if row is None:
            row = PromptLabel(
                project_id=target.project_id,
                feature_type=target.feature_type,
                name=target.name,
                label=label,
                prompt_id=target.id,
            )
            self.session.add(row)
        else:
            row.prompt_id = target.id
            row.prompt = target
        event = PromptLabelEvent(
            project_id=target.project_id,
            feature_type=target.feature_type,
            name=target.name,
            label=label,
            from_prompt_id=previous.id if previous else None,
            from_version=previous.version if previous else None,
            to_prompt_id=target.id,
            to_version=target.version,
            created_by=author or current_user(),
            reason=reason,
        )
        self.session.add(event)
        self.session.flush()
        return event

    def label_events(
        self,
        name: str,
        project: str | None = None,
        feature_type: str | None = None,
        label: str | None = None,
    ) -> list[PromptLabelEvent]:
        """The label moves of `name` in the scope, oldest first."""
        rows = self._versions(name, project, feature_type)
        scope: ScopeKey = (rows[0].project_id, rows[0].feature_type)
        query = select(PromptLabelEvent).where(
            scope_filter([scope], PromptLabelEvent), PromptLabelEvent.name == name
        )
        if label is not None:
            query = query.where(PromptLabelEvent.label == label)
        return list(self.session.scalars(query.order_by(PromptLabelEvent.id)))

    def rollback(
        self,
        name: str,
        label: str = DEFAULT_LABEL,
        project: str | None = None,
        feature_type: str | None = None,
        *,
        author: str | None = None,
        reason: str | None = None,
    ) -> PromptLabelEvent:
        """Undo the label's last move that is not itself undone.

        The events are replayed as an undo stack: a move pushes its target, a rollback
        (an event whose reason starts with `rollback`) pops. The label goes to the entry
        below the top, so v1→v2→v3, rollback (→v2), rollback (→v1), rollback (error).
        """
        self._begin_writing()
        any_version = self._versions(name, project, feature_type)[0]
        self._lock((any_version.project_id, any_version.feature_type), [name])
        stack: list[int] = []
        for event in self.label_events(name, project, feature_type, label):
            if _is_rollback(event) and stack:
                stack.pop()
            elif event.to_prompt_id is not None:
                stack.append(event.to_prompt_id)
        if len(stack) < 2:
            raise ConflictError(
                f"label {label!r} of {name!r} has no earlier version to roll back to"
            )
        target = self.session.get(Prompt, stack[-2])
        if target is None:
            raise NotFoundError(f"the version label {label!r} pointed at before no longer exists")
        note = f"{ROLLBACK_REASON}: {reason}" if reason else ROLLBACK_REASON
        moved = self._move(target, label, author, note)
        if moved is None:
            raise ConflictError(f"label {label!r} of {name!r} did not move")
        return moved

    def diff(
        self,
        name: str,
        old: str,
        new: str,
        project: str | None = None,
        feature_type: str | None = None,
    ) -> TemplateDiff:
        """Compare two versions (each a number or a label): text and semantic change."""
        before = self.resolve_reference(name, old, project, feature_type)
        after = self.resolve_reference(name, new, project, feature_type)
        text_diff = list(
            difflib.unified_diff(
                before.content.splitlines(keepends=True),
                after.content.splitlines(keepends=True),
                f"{name}@{before.version}",
                f"{name}@{after.version}",
            )
        )
        result = TemplateDiff(name, before, after, text_diff)
        old_vars, new_vars = set(before.variables_used), set(after.variables_used)
        result.variables_added = sorted(new_vars - old_vars)
        result.variables_removed = sorted(old_vars - new_vars)
        old_refs = _pins(before.referenced_templates)
        new_refs = _pins(after.referenced_templates)
        result.includes_added = sorted(set(new_refs) - set(old_refs))
        result.includes_removed = sorted(set(old_refs) - set(new_refs))
        result.includes_repinned = sorted(
            (base, old_refs[base] or "(bare)", new_refs[base] or "(bare)")
            for base in set(old_refs) & set(new_refs)
            if old_refs[base] != new_refs[base]
        )
        return result

    def list_templates(self, project: str | None = None) -> list[TemplateSummary]:
        """Every orchestration template with its newest version and labels (two statements)."""
        query = (
            newest_versions(Prompt.category == ORCHESTRATION_CATEGORY)
            .add_columns(Project.name)
            .outerjoin(Project, Prompt.project_id == Project.id)
        )
        if project is not None:
            project_row = self._project(project)
            assert project_row is not None
            query = query.where(Prompt.project_id == project_row.id)
        labels: dict[tuple[int | None, str | None, str], dict[str, int]] = {}
        for row, version in self.session.execute(
            select(PromptLabel, Prompt.version).join(Prompt, PromptLabel.prompt_id == Prompt.id)
        ):
            labels.setdefault((row.project_id, row.feature_type, row.name), {})[row.label] = version
        return sorted(
            (
                TemplateSummary(
                    project_name or "(global)",
                    prompt.feature_type,
                    prompt.phase,
                    prompt.name,
                    prompt.version,
                    labels.get((prompt.project_id, prompt.feature_type, prompt.name), {}),
                )
                for prompt, project_name in self.session.execute(query)
            ),
            key=lambda item: (
                item.scope != "(global)",
                item.scope,
                item.feature_type or "",
                item.name,
            ),
        )

    def export(
        self,
        project: str | None,
        directory: Path,
        feature_type: str | None = None,
        label: str = DEFAULT_LABEL,
    ) -> list[Path]:
        """Write the resolved templates as files that `publish` maps back to the same text.

        Never writes outside `directory`; pinned includes are rewritten so that publishing
        the folder back renders the same versions (`template_export`).
        """
        resolution = TemplateResolver(self.session, self.defaults).resolve(
            project, feature_type, label
        )
        return write_export(resolution, directory, _scope_title(project, feature_type))


def _is_rollback_reason(reason: str | None) -> bool:
    return (reason or "").startswith(ROLLBACK_REASON)


def _is_rollback(event: PromptLabelEvent) -> bool:
    return _is_rollback_reason(event.reason)


def _pins(references: Sequence[str]) -> dict[str, str | None]:
    return dict(split_pin(reference) for reference in references)


def _scope_title(project: str | None, feature_type: str | None) -> str:
    where = f"project {project}" if project else "global"
    return f"{where}, feature type {feature_type}" if feature_type else where
