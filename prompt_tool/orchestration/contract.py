"""The variable contract: what the orchestrator supplies to each phase's template.

Declared once as frozen dataclasses. The orchestrator builds render contexts only through
`to_render_mapping`, and the analyser reads the same classes (`contract_for_phase`), so the
names a template may use cannot drift from the code that renders it. Per-project variables
are available to every phase as `vars.<name>`; `contract_with_project_variables` types them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any

from prompt_tool.analysis.contracts import PHASES
from prompt_tool.analysis.introspect import contract_from_dataclass, type_from_python
from prompt_tool.analysis.typeinfo import Contract, FieldInfo, Kind, TypeInfo
from prompt_tool.core.errors import NotFoundError

PROJECT_VARIABLES = "vars"


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


def contract_for_phase(phase: str) -> Contract:
    """The contract of `phase`, read from its context dataclass."""
    try:
        cls = CONTEXT_CLASSES[phase]
    except KeyError:
        known = ", ".join(PHASES)
        raise NotFoundError(f"unknown phase {phase!r}; known phases: {known}") from None
    return contract_from_dataclass(phase, cls)


def builtin_contracts() -> dict[str, Contract]:
    """Every phase's contract, by phase name."""
    return {phase: contract_for_phase(phase) for phase in PHASES}


def project_variables_type(variables: Mapping[str, Any]) -> TypeInfo:
    """`vars` as a closed object whose fields are the project's variables, typed by value."""
    info = TypeInfo(Kind.OBJECT, "ProjectVariables", doc="Per-project template variables.")
    info.is_mapping = True
    for name, value in variables.items():
        doc = f"Project variable {name!r}."
        info.fields[name] = FieldInfo(name, type_from_python(type(value)), doc)
    return info


def contract_with_project_variables(contract: Contract, variables: Mapping[str, Any]) -> Contract:
    """`contract` in which `vars` holds exactly `variables`: `vars.unknown` becomes an error."""
    typed = project_variables_type(variables)
    doc = (
        contract.variables[PROJECT_VARIABLES].doc if PROJECT_VARIABLES in contract.variables else ""
    )
    return contract.extended({PROJECT_VARIABLES: FieldInfo(PROJECT_VARIABLES, typed, doc)})
