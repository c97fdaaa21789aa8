"""The template store as experiments see it: find a version from a scope, move a label.

`ab_testing` sits below orchestration and must not import it; its `ExperimentManager`
asks a `TemplateCatalog` instead, and this adapter answers with the resolver's slot
lookup and the template manager's `set_label` — the one label-moving code, so a promotion
appears in the label history like any other move.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session

from prompt_tool.core.errors import NotFoundError
from prompt_tool.db.models import Prompt
from prompt_tool.orchestration.template_files import TemplateSpec
from prompt_tool.orchestration.template_manager import OrchestrationTemplateManager
from prompt_tool.orchestration.template_resolver import (
    DEFAULT_LABEL,
    TemplateResolver,
    is_version_pin,
)


class ExperimentTemplates:
    """Implements `ab_testing.experiment_manager.TemplateCatalog` over one session."""

    def __init__(self, session: Session, defaults: Sequence[TemplateSpec] | None = None) -> None:
        self.session = session
        self.resolver = TemplateResolver(session, defaults)
        self.manager = OrchestrationTemplateManager(session, defaults)

    def find_version(
        self, project: str, feature_type: str | None, name: str, pin: str | None
    ) -> Prompt:
        """`name@5`, `name@staging` or the newest `name`, from the first slot holding `name`."""
        catalog = self.resolver.catalog(project, feature_type)
        if is_version_pin(pin):
            catalog.load_versions([(name, int(pin or 0))])
        won = catalog.winning(name)
        found: Prompt | None = None
        if won is not None:
            entry, _slot = won
            if pin is None:
                found = entry.newest
            elif is_version_pin(pin):
                found = entry.version(int(pin))
            else:
                found = entry.labels.get(pin)
        if found is None or found.id is None:
            reference = f"{name}@{pin}" if pin else name
            raise NotFoundError(
                f"no published template {reference!r} for project {project!r}"
                f"{f', feature type {feature_type!r}' if feature_type else ''}"
                " (see `prompt-tool templates list`)"
            )
        return found

    def move_label(self, prompt: Prompt, label: str, reason: str, author: str | None) -> bool:
        event = self.manager.set_label(
            prompt.name,
            label,
            prompt.version,
            prompt.project.name if prompt.project is not None else None,
            prompt.feature_type,
            author=author,
            reason=reason,
            quiet_if_same=True,
        )
        return event is not None

    def resolved_phases(self, project: str, feature_type: str | None) -> dict[str, int | None]:
        resolution = self.resolver.resolve(project, feature_type, DEFAULT_LABEL)
        return {
            phase: item.prompt.id if item.prompt is not None else None
            for phase, item in resolution.phases.items()
        }
