"""Sessions as JSON: what `show --json` prints, and files that move a session between databases.

An export carries the session, its rendered prompts, its executions and every template
version it used (name, scope, version, content, content hash), so another database can
re-render it identically. Import re-links each version to an existing row with the same
name, scope and content hash, or stores it through the template manager as a new version of
that scope (its number is the target's next one: version numbers are per database).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from prompt_tool.core.errors import ValidationError
from prompt_tool.db.models import (
    RUN_PHASES,
    SESSION_STATUSES,
    Execution,
    OrchestrationSession,
    Project,
    Prompt,
)
from prompt_tool.orchestration.template_manager import OrchestrationTemplateManager

FORMAT = "prompt-tool-session"
FORMAT_VERSION = 1


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
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise ValidationError(f"{path}: cannot read: {error}") from None
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        where = f"{path}:{error.lineno}:{error.colno}"
        raise ValidationError(f"{where}: invalid JSON: {error.msg}") from None
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise ValidationError(f"{path}: not a prompt-tool session export (no format {FORMAT!r})")
    if document.get("format_version") != FORMAT_VERSION:
        raise ValidationError(
            f"{path}: unsupported format_version {document.get('format_version')!r};"
            f" this prompt-tool reads {FORMAT_VERSION}"
        )
    return document


@dataclass
class _Importer:
    session: Session
    path: Path

    def fail(self, what: str) -> ValidationError:
        return ValidationError(f"{self.path}: {what}")

    def field(self, data: Any, key: str, kind: type | tuple[type, ...], where: str) -> Any:
        if not isinstance(data, dict) or key not in data or not isinstance(data[key], kind):
            raise self.fail(f"{where}.{key} is missing or has the wrong type")
        return data[key]

    def optional_mapping(self, data: dict[str, Any], key: str) -> dict[str, Any] | None:
        value = data.get(key)
        if value is not None and not isinstance(value, dict):
            raise self.fail(f"session.{key} must be an object")
        return value

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

    def version(self, data: Any, index: int) -> tuple[int, Prompt]:
        where = f"prompt_versions[{index}]"
        old_id = self.field(data, "id", int, where)
        name = self.field(data, "name", str, where)
        content = self.field(data, "content", str, where)
        digest = self.field(data, "content_hash", str, where)
        phase = self.field(data, "phase", str, where)
        scope = self.field(data, "scope", dict, where)
        project_name = scope.get("project")
        feature_type = scope.get("feature_type")
        project = self.project(project_name, None, {}) if isinstance(project_name, str) else None
        existing = self.session.scalars(
            select(Prompt).where(
                Prompt.name == name,
                Prompt.content_hash == digest,
                Prompt.project_id.is_(None) if project is None else Prompt.project_id == project.id,
                Prompt.feature_type.is_(None)
                if feature_type is None
                else Prompt.feature_type == feature_type,
            )
        ).first()
        if existing is not None:
            return old_id, existing
        stored = OrchestrationTemplateManager(self.session).create_orchestration_template(
            name,
            phase,
            content,
            project.name if project else None,
            feature_type,
            message=f"imported from {self.path.name}",
        )
        return old_id, stored

    def run(self, document: dict[str, Any]) -> OrchestrationSession:
        data = self.field(document, "session", dict, "$")
        versions = self.field(document, "prompt_versions", list, "$")
        mapped = dict(self.version(item, index) for index, item in enumerate(versions))

        def new_id(old: Any) -> int | None:
            if old is None:
                return None
            if not isinstance(old, int) or old not in mapped:
                raise self.fail(f"session refers to prompt version {old!r} the file lacks")
            return mapped[old].id

        status = self.field(data, "status", str, "session")
        phase = self.field(data, "phase", str, "session")
        if status not in SESSION_STATUSES or phase not in RUN_PHASES:
            raise self.fail(f"session has an unknown status {status!r} or phase {phase!r}")
        project = self.project(
            self.field(data, "project", str, "session"),
            data.get("project_description"),
            data.get("project_variables"),
        )
        phase_versions = self.field(data, "versions", dict, "session")
        prompts = self.field(data, "prompts", dict, "session")
        legacy = self.optional_mapping(data, "legacy_templates") or {}
        recorded = self.optional_mapping(data, "template_versions")
        inputs = self.optional_mapping(data, "render_inputs")
        row = OrchestrationSession(
            project=project,
            feature_name=self.field(data, "feature", str, "session"),
            feature_description=data.get("description"),
            feature_type=data.get("feature_type"),
            status=status,
            phase=phase,
            template_versions=(
                None if recorded is None else {key: new_id(old) for key, old in recorded.items()}
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
        for index, item in enumerate(self.field(data, "executions", list, "session")):
            where = f"session.executions[{index}]"
            row.executions.append(
                Execution(
                    phase=self.field(item, "phase", str, where),
                    prompt_id=new_id(item.get("prompt_id")),
                    input=self.field(item, "input", str, where),
                    output=item.get("output"),
                    exit_status=item.get("exit_status"),
                    duration_ms=item.get("duration_ms"),
                )
            )
        self.session.flush()
        return row


def import_session(session: Session, path: Path) -> OrchestrationSession:
    """Store the session exported to `path`; the caller's transaction makes it all or nothing."""
    return _Importer(session, path).run(read_export(path))
