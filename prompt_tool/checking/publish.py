"""`templates publish` through the checking service: the same discovery and the same checks
as `templates lint`, against the templates published for the target scope.

The template store (`OrchestrationTemplateManager`) owns scopes, versions and labels; it
calls back into `PublishChecker` once it knows the scope, inside the publish's transaction,
so a publish is checked against exactly what its includes resolve to and stores the
variables and references the analyser found. Session import uses the same checker.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from prompt_tool.checking.discovery import discover_templates, loader_roots, template_name
from prompt_tool.checking.published import DEFAULT_LABEL, PublishedSource
from prompt_tool.checking.service import CheckDocument, Checker
from prompt_tool.checking.settings import ProjectSettings
from prompt_tool.core.errors import UsageError
from prompt_tool.orchestration.template_files import (
    TemplateFile,
    TemplateSpec,
    read_template_text,
)
from prompt_tool.orchestration.template_manager import SpecCheck

if TYPE_CHECKING:
    from prompt_tool.db.models import Project
    from prompt_tool.orchestration.template_resolver import ScopeCatalog


def collect_files(paths: Sequence[Path], settings: ProjectSettings) -> list[TemplateFile]:
    """Every template under `paths`, found and named as `templates lint` finds and names them."""
    roots = loader_roots(paths, settings)
    found = discover_templates(paths, settings.lint.extensions)
    if not found:
        endings = " ".join(f"*{ending}" for ending in settings.lint.extensions)
        raise UsageError(f"no templates ({endings}) under {', '.join(map(str, paths))}")
    return [
        TemplateFile(path, template_name(path, roots), read_template_text(path)) for path in found
    ]


class PublishChecker:
    """A `SpecChecker`: the project's `Checker` over the specs, includes from the scope."""

    def __init__(self, settings: ProjectSettings) -> None:
        self.settings = settings

    def __call__(
        self,
        specs: Sequence[TemplateSpec],
        catalog: ScopeCatalog,
        project: Project | None,
        label: str | None,
    ) -> SpecCheck:
        variables = dict(project.variables or {}) if project is not None else None
        checker = Checker(self.settings, project_variables=variables)
        documents = [
            CheckDocument(Path(spec.source_path), spec.include_name, spec.content.encode("utf-8"))
            for spec in specs
        ]
        publishing = frozenset(name for spec in specs for name in (spec.name, spec.include_name))
        source = PublishedSource(catalog, label or DEFAULT_LABEL, publishing, label)
        outcome = checker.check(documents, source, with_facts=True)
        facts = {spec.name: outcome.facts[spec.include_name] for spec in specs}
        return SpecCheck(list(outcome.diagnostics), facts)
