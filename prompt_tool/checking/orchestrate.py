"""The orchestrator's pre-render check, through the same `Checker` as lint and publish.

`orchestrate plan`, `advance` and `retry` hand the orchestrator a `SessionChecker`: before
a phase renders, its template (and every version it includes, served from the session's
resolution) is checked with `vars` typed by the variables the session renders with, so
`{{ vars.not_set }}` or `{{ vars.max_files.upper() }}` on an integer refuse the render with
the finding instead of failing inside it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from prompt_tool.analysis.diagnostics import Diagnostic, Severity
from prompt_tool.analysis.parsing import split_pin
from prompt_tool.checking.service import CheckDocument, Checker
from prompt_tool.checking.settings import ProjectSettings

if TYPE_CHECKING:
    from prompt_tool.db.models import Prompt
    from prompt_tool.orchestration.template_resolver import Resolution


class ResolvedSource:
    """The versions of one resolution as a template source: a bare name takes its label."""

    def __init__(self, resolution: Resolution) -> None:
        self.label = resolution.label
        self.templates = resolution.templates()

    def get_source(self, name: str) -> str | None:
        base, pin = split_pin(name)
        found = self.templates.get(name if pin is not None else f"{base}@{self.label}")
        return found.content if found is not None else None

    def list_names(self) -> Iterable[str]:
        return sorted({split_pin(key)[0] for key in self.templates})

    def has_pin(self, name: str, pin: str) -> bool:
        return f"{name}@{pin}" in self.templates


class SessionChecker:
    """A `RenderCheck`: the project's `Checker` over the phase templates and their includes.

    Only errors refuse a render; includes are checked in the scope of their includers.
    """

    def __init__(self, settings: ProjectSettings) -> None:
        self.settings = settings

    def __call__(
        self,
        resolution: Resolution,
        phases: Mapping[str, Prompt],
        variables: Mapping[str, Any],
    ) -> Sequence[str]:
        source = ResolvedSource(resolution)
        includes = [
            _document(prompt, key if split_pin(key)[1] != resolution.label else prompt.name)
            for key, prompt in resolution.includes.items()
        ]
        phase_templates = {prompt.name: phase for phase, prompt in phases.items()}
        checker = Checker(
            self.settings, project_variables=dict(variables), template_phases=phase_templates
        )
        documents = [*(_document(prompt, prompt.name) for prompt in phases.values()), *includes]
        labels = {str(document.path) for document in documents}
        lines: dict[str, None] = {}
        for diagnostic in checker.check(documents, source).diagnostics:
            if diagnostic.severity == Severity.ERROR and diagnostic.path in labels:
                lines[problem_line(diagnostic)] = None
        return list(lines)


def _document(prompt: Prompt, name: str) -> CheckDocument:
    """`prompt` under its include name, its path `name@version` as diagnostics show it."""
    label = Path(f"{prompt.name}@{prompt.version}")
    return CheckDocument(label, name, prompt.content.encode("utf-8"))


def problem_line(diagnostic: Diagnostic) -> str:
    """`name@version:line:col: CODE message`, the position 1-based as lint prints it."""
    start = diagnostic.span.start
    location = f"{diagnostic.path}:{start.line + 1}:{start.column + 1}"
    return f"{location}: {diagnostic.code} {diagnostic.message}"
