"""Sessions as JSON: what `show --json` prints, and files that move a session between databases.

An export carries the session, its rendered prompts, its executions and every template
version it used (name, scope, version, content, content hash), so another database can
re-render it identically. Import re-links each version to an existing row with the same
name, scope and content hash, or stores it through the template manager as a new version of
that scope (its number is the target's next one: version numbers are per database).

Import is a way in like publish and keeps its rules: every field's type, size and range is
checked before anything is written (names are safe relative paths, phases are known, numbers
fit their columns, JSON is nested at most `MAX_JSON_DEPTH` deep); a new template must keep
its scope at one template per phase and pass the publish checks (the checking service's
`SpecChecker`, the one `templates publish` uses), legacy archives excepted. Any failure is one line and imports nothing.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from prompt_tool.core.contract import PARTIAL
from prompt_tool.core.errors import ConflictError, ValidationError
from prompt_tool.db.models import (
    PROMPT_PHASES,
    RUN_PHASES,
    SESSION_STATUSES,
    Execution,
    OrchestrationSession,
    Project,
    Prompt,
)
from prompt_tool.orchestration.project_manager import MAX_NAME_LENGTH, validate_variable_name
from prompt_tool.orchestration.session_files import files_from_json
from prompt_tool.orchestration.template_files import (
    PREFIX,
    TemplateSpec,
    content_hash,
    file_name_for,
    is_legacy_name,
    name_problem,
)
from prompt_tool.orchestration.template_manager import OrchestrationTemplateManager, SpecChecker
from prompt_tool.orchestration.template_resolver import ScopeCatalog, ScopeKey, scope_filter

FORMAT = "prompt-tool-session"
FORMAT_VERSION = 1
MAX_FILE_BYTES = 64 * 1024 * 1024
MAX_JSON_DEPTH = 32
MAX_INT = 2**31 - 1  # INTEGER columns are 32-bit on PostgreSQL
MAX_TEXT = 16 * 1024 * 1024
MAX_SHORT = 100  # feature types, labels, phases: String(100) columns
MAX_VERSIONS = 10_000
MAX_EXECUTIONS = 100_000


def scope_dict(prompt: Prompt) -> dict[str, Any]:
    return {
        "project": prompt.project.name if prompt.project else None,
        "feature_type": prompt.feature_type,
    }


def version_dict(prompt: Prompt) -> dict[str, Any]:
    return {
        "id": prompt.id,
        "name": prompt.name,
        "scope": scope_dict(prompt),
        "version": prompt.version,
        "phase": prompt.phase,
        "content": prompt.content,
        "content_hash": prompt.content_hash,
    }


def execution_dict(execution: Execution) -> dict[str, Any]:
    return {
        "phase": execution.phase,
        "prompt_id": execution.prompt_id,
        "input": execution.input,
        "output": execution.output,
        "exit_status": execution.exit_status,
        "duration_ms": execution.duration_ms,
        "created_at": execution.created_at.isoformat(),
    }


def describe_session(
    row: OrchestrationSession, used: Mapping[str, Prompt] | None = None
) -> dict[str, Any]:
    """Everything `show` reports: phase, status, versions used, prompts, executions.

    `used` (`SessionManager.versions_used`) adds every template version rendered with,
    includes too, by the qualified name the loader served.
    """
    versions: dict[str, Any] = {}
    for phase in RUN_PHASES:
        prompt: Prompt | None = getattr(row, f"{phase}_version")
        versions[phase] = (
            None
            if prompt is None
            else {"id": prompt.id, "name": prompt.name, "version": prompt.version}
        )
    return {
        "id": row.id,
        "project": row.project.name,
        "feature": row.feature_name,
        "description": row.feature_description,
        "feature_type": row.feature_type,
        "status": row.status,
        "status_reason": row.status_reason,
        "phase": row.phase,
        "versions": versions,
        "template_versions": row.template_versions,
        "templates": {
            key: {"id": p.id, "name": p.name, "version": p.version, "scope": scope_dict(p)}
            for key, p in sorted((used or {}).items())
        },
        "render_inputs": row.render_inputs,
        "variant_assignments": row.variant_assignments,
        "prompts": {phase: getattr(row, f"{phase}_prompt") for phase in RUN_PHASES},
        "executions": [execution_dict(e) for e in row.executions],
        "created_at": row.created_at.isoformat(),
    }


def export_session(session: Session, row: OrchestrationSession) -> dict[str, Any]:
    """The export document of `row`; versions are listed once and referred to by old id."""
    ids = {
        *(int(pid) for pid in (row.template_versions or {}).values()),
        *(pid for pid in (getattr(row, f"{p}_prompt_id") for p in RUN_PHASES) if pid),
        *(e.prompt_id for e in row.executions if e.prompt_id is not None),
    }
    prompts = session.scalars(select(Prompt).where(Prompt.id.in_(ids)).order_by(Prompt.id)).all()
    described = describe_session(row)
    described["project_description"] = row.project.description
    described["project_variables"] = row.project.variables
    described["legacy_templates"] = {
        phase: getattr(row, f"{phase}_template") for phase in RUN_PHASES
    }
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "session": described,
        "prompt_versions": [version_dict(p) for p in prompts],
    }


def write_export(path: Path, document: dict[str, Any]) -> None:
    path.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def read_export(path: Path) -> dict[str, Any]:
    """The parsed file, or a one-line error naming it (with line:col for bad JSON)."""
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise ValidationError(f"{path}: {size} bytes; an export is at most {MAX_FILE_BYTES}")
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise ValidationError(f"{path}: cannot read: {error}") from None
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        where = f"{path}:{error.lineno}:{error.colno}"
        raise ValidationError(f"{where}: invalid JSON: {error.msg}") from None
    except RecursionError:
        raise ValidationError(f"{path}: JSON nested too deeply") from None
    except ValueError as error:  # e.g. an integer of more than 4,300 digits
        raise ValidationError(f"{path}: invalid JSON: {error}") from None
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise ValidationError(f"{path}: not a prompt-tool session export (no format {FORMAT!r})")
    if document.get("format_version") != FORMAT_VERSION:
        raise ValidationError(
            f"{path}: unsupported format_version {shown(document.get('format_version'))};"
            f" this prompt-tool reads {FORMAT_VERSION}"
        )
    return document


def shown(value: Any) -> str:
    """A value from the file quoted for an error line, never longer than a few words."""
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def json_depth_problem(value: Any, where: str, limit: int = MAX_JSON_DEPTH) -> str | None:
    """Where `value` nests deeper than `limit` containers, or None (iterative: no recursion)."""
    stack: list[tuple[Any, str, int]] = [(value, where, 1)]
    while stack:
        item, at, depth = stack.pop()
        if not isinstance(item, dict | list):
            continue
        if depth > limit:
            return f"{at} is nested deeper than {limit} levels"
        children = item.items() if isinstance(item, dict) else enumerate(item)
        stack.extend((child, f"{at}[{key!r}]", depth + 1) for key, child in children)
    return None


@dataclass(frozen=True)
class _Version:
    """One checked entry of `prompt_versions`."""

    index: int
    old_id: int
    name: str
    phase: str
    content: str
    project: str | None
    feature_type: str | None

    @property
    def is_archive(self) -> bool:
        return is_legacy_name(self.name)


@dataclass
class _Importer:
    """Checks the whole file first (shapes, sizes, names, phases), then stores it.

    The caller's transaction makes the store all or nothing: a template that breaks the
    one-template-per-phase rule or fails the publish checks raises after some rows were
    added, and the rollback takes them back.
    """

    session: Session
    path: Path
    checker: SpecChecker

    def fail(self, what: str) -> ValidationError:
        return ValidationError(f"{self.path}: {what}")

    def field(self, data: Any, key: str, kind: type | tuple[type, ...], where: str) -> Any:
        if not isinstance(data, dict) or key not in data:
            raise self.fail(f"{where}.{key} is missing")
        value = data[key]
        if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
            raise self.fail(f"{where}.{key} has the wrong type ({type(value).__name__})")
        if isinstance(value, str) and len(value) > MAX_TEXT:
            raise self.fail(f"{where}.{key} is longer than {MAX_TEXT} characters")
        return value

    def optional(
        self, data: dict[str, Any], key: str, kind: type, where: str, limit: int = MAX_TEXT
    ) -> Any:
        value = data.get(key)
        if value is None:
            return None
        if not isinstance(value, kind) or isinstance(value, bool):
            raise self.fail(f"{where}.{key} must be a {kind.__name__} or null")
        if isinstance(value, str) and len(value) > limit:
            raise self.fail(f"{where}.{key} is longer than {limit} characters")
        return value

    def short(self, data: dict[str, Any], key: str, where: str, limit: int) -> str:
        value = self.field(data, key, str, where)
        if len(value) > limit:
            raise self.fail(f"{where}.{key} is longer than {limit} characters")
        return str(value)

    def number(self, data: dict[str, Any], key: str, where: str, low: int, high: int) -> int | None:
        value = data.get(key)
        if value is None:
            return None
        if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
            raise self.fail(
                f"{where}.{key} must be an integer from {low} to {high}, not {shown(value)}"
            )
        return value

    def check_version(self, data: Any, index: int) -> _Version:
        where = f"prompt_versions[{index}]"
        if not isinstance(data, dict):
            raise self.fail(f"{where} must be an object")
        old_id = self.number(data, "id", where, 1, MAX_INT)
        if old_id is None:
            raise self.fail(f"{where}.id is missing")
        name = self.field(data, "name", str, where)
        problem = name_problem(name)
        if problem is not None:
            raise self.fail(f"{where}: {problem}")
        phase = self.field(data, "phase", str, where)
        if phase not in PROMPT_PHASES:
            raise self.fail(
                f"{where}: unknown phase {shown(phase)} (known: {', '.join(PROMPT_PHASES)})"
            )
        if (phase == PARTIAL) == name.startswith(PREFIX) or (
            phase != PARTIAL and not name.startswith(f"{PREFIX}{phase}_")
        ):
            expected = "a partial's include name" if phase == PARTIAL else f"{PREFIX}{phase}_…"
            raise self.fail(f"{where}: a {phase} template is named {expected}, not {shown(name)}")
        content = self.field(data, "content", str, where)
        if self.field(data, "content_hash", str, where) != content_hash(content):
            raise self.fail(f"{where}: content_hash does not match the content")
        scope = self.field(data, "scope", dict, where)
        project = self.optional(scope, "project", str, f"{where}.scope", MAX_NAME_LENGTH)
        feature_type = self.optional(scope, "feature_type", str, f"{where}.scope", MAX_SHORT)
        return _Version(index, old_id, name, phase, content, project, feature_type)

    def check_inputs(self, inputs: dict[str, Any] | None) -> None:
        """`render_inputs` as the orchestrator reads it: wrong shapes are one line here."""
        if inputs is None:
            return
        where = "session.render_inputs"
        self.optional(inputs, "label", str, where, MAX_SHORT)
        criteria = inputs.get("acceptance_criteria", [])
        if not isinstance(criteria, list) or not all(isinstance(c, str) for c in criteria):
            raise self.fail(f"{where}.acceptance_criteria must be a list of strings")
        self.check_variables(inputs.get("variables"), f"{where}.variables")
        self.optional(inputs, "project_description", str, where)
        try:
            files_from_json(inputs.get("files"), f"{where}.files")
        except ValidationError as error:
            raise self.fail(str(error)) from None
        attempts = inputs.get("attempts") or {}
        if not isinstance(attempts, dict):
            raise self.fail(f"{where}.attempts must be an object")
        for phase in attempts:
            if phase not in RUN_PHASES:
                raise self.fail(f"{where}.attempts has an unknown phase {shown(phase)}")
            self.number(attempts, phase, f"{where}.attempts", 1, MAX_INT)

    def check_variables(self, variables: Any, where: str) -> None:
        if variables is None:
            return
        if not isinstance(variables, dict):
            raise self.fail(f"{where} must be an object")
        for name in variables:
            try:
                validate_variable_name(name)
            except ValidationError as error:
                raise self.fail(f"{where}: {error}") from None

    def project(self, name: str, description: str | None, variables: Any) -> Project:
        found = self.session.scalars(select(Project).where(Project.name == name)).first()
        if found is not None:
            return found
        project = Project(
            name=name,
            description=description,
            variables=variables if isinstance(variables, dict) else {},
        )
        self.session.add(project)
        self.session.flush()
        return project

    def store(self, version: _Version, specs: dict[ScopeKey, list[TemplateSpec]]) -> Prompt:
        """Re-link to a row of the same name, scope and content, else store a new version."""
        project = self.project(version.project, None, {}) if version.project is not None else None
        scope: ScopeKey = (project.id if project else None, version.feature_type)
        existing = self.session.scalars(
            select(Prompt).where(
                Prompt.name == version.name,
                Prompt.content_hash == content_hash(version.content),
                scope_filter([scope], Prompt),
            )
        ).first()
        if existing is not None:
            return existing
        try:
            stored = OrchestrationTemplateManager(self.session).create_orchestration_template(
                version.name,
                version.phase,
                version.content,
                version.project,
                version.feature_type,
                message=f"imported from {self.path.name}",
            )
        except ValidationError as error:
            raise self.fail(f"prompt_versions[{version.index}]: {error}") from None
        except ConflictError as error:
            raise self.fail(f"prompt_versions[{version.index}]: {error}") from None
        if not version.is_archive:
            include_name = (
                version.name
                if version.phase == PARTIAL
                else file_name_for(version.name, version.phase)
            )
            source_path = f"prompt_versions[{version.index}] ({version.name})"
            specs.setdefault(scope, []).append(
                TemplateSpec(
                    version.name,
                    include_name,
                    version.phase,
                    version.feature_type,
                    version.content,
                    source_path,
                )
            )
        return stored

    def check_templates(self, specs: dict[ScopeKey, list[TemplateSpec]]) -> None:
        """The publish checks over every newly stored template, against its scope's store."""
        for (project_id, feature_type), scoped in specs.items():
            project = self.session.get(Project, project_id) if project_id is not None else None
            catalog = ScopeCatalog(self.session, project, feature_type)
            for spec in scoped:
                blocking = self.checker([spec], catalog, project, None).blocking(strict=False)
                if blocking:
                    first = blocking[0]
                    start = first.span.start
                    raise self.fail(
                        f"{spec.source_path}:{start.line + 1}:{start.column + 1}:"
                        f" {first.code} {first.message}"
                    )

    def run(self, document: dict[str, Any]) -> OrchestrationSession:
        data = self.field(document, "session", dict, "$")
        raw_versions = self.field(document, "prompt_versions", list, "$")
        if len(raw_versions) > MAX_VERSIONS:
            raise self.fail(f"$.prompt_versions has more than {MAX_VERSIONS} entries")
        versions = [self.check_version(item, index) for index, item in enumerate(raw_versions)]
        old_ids = [version.old_id for version in versions]
        if len(set(old_ids)) != len(old_ids):
            raise self.fail("prompt_versions has the same id twice")
        status = self.field(data, "status", str, "session")
        phase = self.field(data, "phase", str, "session")
        if status not in SESSION_STATUSES or phase not in RUN_PHASES:
            raise self.fail(
                f"session has an unknown status {shown(status)} or phase {shown(phase)}"
            )
        for key in ("render_inputs", "project_variables", "template_versions"):
            problem = json_depth_problem(data.get(key), f"session.{key}")
            if problem is not None:
                raise self.fail(problem)
        project_name = self.short(data, "project", "session", MAX_NAME_LENGTH)
        feature = self.short(data, "feature", "session", MAX_NAME_LENGTH)
        feature_type = self.optional(data, "feature_type", str, "session", MAX_SHORT)
        description = self.optional(data, "description", str, "session")
        reason = self.optional(data, "status_reason", str, "session")
        project_description = self.optional(data, "project_description", str, "session")
        self.check_variables(data.get("project_variables"), "session.project_variables")
        phase_versions = self.field(data, "versions", dict, "session")
        prompts = self.field(data, "prompts", dict, "session")
        legacy = self.mapping(data, "legacy_templates") or {}
        recorded = self.mapping(data, "template_versions")
        inputs = self.mapping(data, "render_inputs")
        self.check_inputs(inputs)
        for run_phase in RUN_PHASES:
            self.optional(prompts, run_phase, str, "session.prompts")
            self.optional(legacy, run_phase, str, "session.legacy_templates")
        executions = self.field(data, "executions", list, "session")
        if len(executions) > MAX_EXECUTIONS:
            raise self.fail(f"session.executions has more than {MAX_EXECUTIONS} entries")
        checked_executions = [self.check_execution(item, i) for i, item in enumerate(executions)]

        specs: dict[ScopeKey, list[TemplateSpec]] = {}
        mapped = {version.old_id: self.store(version, specs) for version in versions}
        self.check_templates(specs)

        def new_id(old: Any) -> int | None:
            if old is None:
                return None
            if not isinstance(old, int) or isinstance(old, bool) or old not in mapped:
                raise self.fail(f"session refers to prompt version {shown(old)} the file lacks")
            return mapped[old].id

        row = OrchestrationSession(
            project=self.project(project_name, project_description, data.get("project_variables")),
            feature_name=feature,
            feature_description=description,
            feature_type=feature_type,
            status=status,
            status_reason=reason,
            phase=phase,
            template_versions=(
                None
                if recorded is None
                else {str(key): new_id(old) for key, old in recorded.items()}
            ),
            render_inputs=inputs,
            variant_assignments={},
        )
        for run_phase in RUN_PHASES:
            chosen = phase_versions.get(run_phase)
            setattr(
                row,
                f"{run_phase}_prompt_id",
                new_id(chosen.get("id")) if isinstance(chosen, dict) else None,
            )
            setattr(row, f"{run_phase}_prompt", prompts.get(run_phase))
            setattr(row, f"{run_phase}_template", legacy.get(run_phase))
        self.session.add(row)
        for item in checked_executions:
            row.executions.append(
                Execution(
                    phase=item["phase"],
                    prompt_id=new_id(item["prompt_id"]),
                    input=item["input"],
                    output=item["output"],
                    exit_status=item["exit_status"],
                    duration_ms=item["duration_ms"],
                )
            )
        self.session.flush()
        return row

    def mapping(self, data: dict[str, Any], key: str) -> dict[str, Any] | None:
        value = data.get(key)
        if value is not None and not isinstance(value, dict):
            raise self.fail(f"session.{key} must be an object")
        return value

    def check_execution(self, item: Any, index: int) -> dict[str, Any]:
        where = f"session.executions[{index}]"
        if not isinstance(item, dict):
            raise self.fail(f"{where} must be an object")
        phase = self.optional(item, "phase", str, where, MAX_SHORT)
        if phase is not None and phase not in RUN_PHASES:
            raise self.fail(f"{where}.phase is unknown: {shown(phase)}")
        return {
            "phase": phase,
            "prompt_id": item.get("prompt_id"),
            "input": self.field(item, "input", str, where),
            "output": self.optional(item, "output", str, where),
            "exit_status": self.number(item, "exit_status", where, -MAX_INT, MAX_INT),
            "duration_ms": self.number(item, "duration_ms", where, 0, MAX_INT),
        }


def import_session(session: Session, path: Path, checker: SpecChecker) -> OrchestrationSession:
    """Store the session exported to `path`; the caller's transaction makes it all or nothing.

    `checker` is the checking service's (`prompt_tool.checking.publish.PublishChecker`):
    templates come in through the same checks as `templates publish`."""
    return _Importer(session, path, checker).run(read_export(path))
