"""The variable contract: what the orchestrator supplies to each phase's template.

A leaf module (standard library only), so that every layer can read it. Declared once as
frozen dataclasses. The orchestrator builds render contexts only through
`to_render_mapping`, and the analyser reads the same classes
(`prompt_tool.analysis.contracts.contract_for_phase`), so the names a template may use
cannot drift from the code that renders it. Per-project variables are available to every
phase as `vars.<name>`.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any

PHASES: tuple[str, ...] = ("orchestrator", "analysis", "implementation")
"""The phases a session renders, in order: the one definition every layer shares."""
PARTIAL = "partial"
"""The phase of a template that is only ever included by others."""
TEMPLATE_PHASES: tuple[str, ...] = (*PHASES, PARTIAL)
"""Every phase a stored template may have."""
PROJECT_VARIABLES = "vars"
"""The name under which a project's variables reach every phase."""


def _doc(text: str) -> dict[str, str]:
    return {"doc": text}


@dataclass(frozen=True)
class ProjectInfo:
    """The project the feature belongs to."""

    name: str = field(metadata=_doc("The project's unique name."))
    description: str = field(metadata=_doc("What the project is, in a sentence or two."))
    variables: dict[str, Any] = field(
        default_factory=dict, metadata=_doc("The project's template variables (also `vars`).")
    )


@dataclass(frozen=True)
class FeatureInfo:
    """The feature, fix or change the orchestration session works on."""

    name: str = field(metadata=_doc("Short title of the feature."))
    type: str = field(metadata=_doc("Feature type, e.g. feature, bugfix, refactor."))
    description: str = field(metadata=_doc("What is wanted and why, as the requester wrote it."))
    acceptance_criteria: list[str] = field(
        default_factory=list, metadata=_doc("Conditions that must hold when the work is done.")
    )


@dataclass(frozen=True)
class PhaseOutput:
    """What an earlier phase of the same session produced."""

    phase: str = field(metadata=_doc("The phase that produced it: orchestrator or analysis."))
    summary: str = field(metadata=_doc("A short summary of the result."))
    content: str = field(metadata=_doc("The full output of the phase."))


@dataclass(frozen=True)
class SessionInfo:
    """The orchestration session this render belongs to."""

    id: str = field(metadata=_doc("The session's identifier."))
    phase: str = field(metadata=_doc("The phase being rendered."))
    attempt: int = field(default=1, metadata=_doc("1 for the first try, higher for retries."))
    previous_outputs: list[PhaseOutput] = field(
        default_factory=list, metadata=_doc("Outputs of the earlier phases, oldest first.")
    )


@dataclass(frozen=True)
class FileInfo:
    """A source file given to the session (`orchestrate plan/advance --file PATH`)."""

    path: str = field(metadata=_doc("Path as given, relative to the working directory."))
    language: str = field(metadata=_doc("Language from the file's extension, e.g. python."))
    size: int = field(metadata=_doc("Size of the file in bytes."))
    content: str = field(metadata=_doc("The file's text; empty when over the size cap."))
    summary: str = field(
        metadata=_doc("First line of the file, and a note when its content was left out.")
    )


@dataclass(frozen=True)
class PlanningContext:
    """What the orchestrator (planning) phase renders with."""

    project: ProjectInfo = field(metadata=_doc("The project."))
    feature: FeatureInfo = field(metadata=_doc("The feature to plan."))
    session: SessionInfo = field(metadata=_doc("The orchestration session."))
    vars: dict[str, Any] = field(
        default_factory=dict, metadata=_doc("Per-project template variables, by name.")
    )


@dataclass(frozen=True)
class AnalysisContext:
    """What the analysis phase renders with: the plan plus candidate files."""

    project: ProjectInfo = field(metadata=_doc("The project."))
    feature: FeatureInfo = field(metadata=_doc("The feature to analyse."))
    session: SessionInfo = field(metadata=_doc("The orchestration session."))
    plan: PhaseOutput = field(metadata=_doc("The planning phase's output."))
    files: list[FileInfo] = field(
        default_factory=list, metadata=_doc("Files that look relevant to the feature.")
    )
    vars: dict[str, Any] = field(
        default_factory=dict, metadata=_doc("Per-project template variables, by name.")
    )


@dataclass(frozen=True)
class ImplementationContext:
    """What the implementation phase renders with: plan, analysis and the files to change."""

    project: ProjectInfo = field(metadata=_doc("The project."))
    feature: FeatureInfo = field(metadata=_doc("The feature to implement."))
    session: SessionInfo = field(metadata=_doc("The orchestration session."))
    plan: PhaseOutput = field(metadata=_doc("The planning phase's output."))
    analysis: PhaseOutput = field(metadata=_doc("The analysis phase's output."))
    files: list[FileInfo] = field(default_factory=list, metadata=_doc("Files to read or change."))
    vars: dict[str, Any] = field(
        default_factory=dict, metadata=_doc("Per-project template variables, by name.")
    )


PhaseContext = PlanningContext | AnalysisContext | ImplementationContext

CONTEXT_CLASSES: dict[str, type[PlanningContext | AnalysisContext | ImplementationContext]] = {
    "orchestrator": PlanningContext,
    "analysis": AnalysisContext,
    "implementation": ImplementationContext,
}


def to_render_mapping(context: PhaseContext) -> dict[str, Any]:
    """The names a template sees: exactly the context's fields, values kept as objects."""
    return {item.name: getattr(context, item.name) for item in fields(context)}
