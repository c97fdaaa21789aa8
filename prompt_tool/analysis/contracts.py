"""Which contract a template is checked against: forced phase, globs, header, path convention.

Path convention (when no header names a phase): a first directory named after a phase
(`analysis/…`), or a file-name segment naming one (`analysis.j2`, `bugfix.analysis.j2`);
templates under `partials/` (or `*.partial.j2`) are partials, checked through their includers.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Mapping
from fnmatch import fnmatchcase
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, Any

from prompt_tool.analysis.introspect import contract_from_dataclass, type_from_python
from prompt_tool.analysis.parsing import ParsedTemplate
from prompt_tool.analysis.typeinfo import ANY, Contract, FieldInfo, Kind, TypeInfo
from prompt_tool.core.contract import CONTEXT_CLASSES, PARTIAL, PHASES, PROJECT_VARIABLES
from prompt_tool.core.errors import NotFoundError

if TYPE_CHECKING:
    from prompt_tool.analysis.workspace import AnalysisConfig

PARTIAL_FOLDERS = frozenset({"partials", "partial", "_partials"})
"""Folders whose templates are partials, and from which a file given alone is named."""


def phase_from_path(name: str, phases: Mapping[str, object]) -> str | None:
    """The phase a template name implies by convention, or None."""
    path = PurePosixPath(name)
    directories = path.parts[:-1]
    if directories and directories[0] in phases:
        return directories[0]
    if any(part in PARTIAL_FOLDERS for part in directories):
        return PARTIAL
    segments = path.name.split(".")[:-1] if "." in path.name else [path.name]
    for segment in reversed(segments):
        if segment in phases or segment == PARTIAL:
            return segment
    return None


def template_phase(
    parsed: ParsedTemplate, forced: str | None, phases: Mapping[str, object]
) -> str | None:
    return forced or parsed.header.phase or phase_from_path(parsed.name, phases)


def _glob_contract(name: str, globs: Mapping[str, Contract]) -> Contract | None:
    for pattern, contract in globs.items():
        if fnmatchcase(name, pattern):
            return contract
    return None


def header_variables(
    parsed: ParsedTemplate, resolve: Callable[[str], TypeInfo | None]
) -> dict[str, FieldInfo]:
    """The header's `vars`, typed by the resolver; unresolvable types are Any. A name
    declared `name?` may be absent; a type `X | None` or `Optional[X]` may be None."""
    result: dict[str, FieldInfo] = {}
    header = parsed.header
    for name, expression in header.variables.items():
        resolved = resolve(expression) if expression != "Any" else None
        kind = resolved if resolved is not None else TypeInfo(ANY.kind, expression)
        result[name] = FieldInfo(
            name,
            kind,
            f"Declared in the header as `{expression}`.",
            is_optional=admits_none(expression),
            may_be_absent=name in header.optional_variables,
        )
    return result


def admits_none(expression: str) -> bool:
    """Whether a type expression's top level is a union with None (`X | None`,
    `Optional[X]`, `Union[X, None]`), read as Python syntax, never run."""
    try:
        tree = ast.parse(expression, mode="eval").body
    except SyntaxError:
        return False
    return _admits_none(tree)


def _admits_none(node: ast.expr) -> bool:
    if isinstance(node, ast.Constant):
        return node.value is None
    if isinstance(node, ast.Name):
        return node.id in ("None", "NoneType")
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
        return _admits_none(node.left) or _admits_none(node.right)
    if isinstance(node, ast.Subscript):
        name = node.value.attr if isinstance(node.value, ast.Attribute) else None
        name = node.value.id if isinstance(node.value, ast.Name) else name
        members = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
        if name == "Optional":
            return True
        if name == "Union":
            return any(_admits_none(member) for member in members)
    return False


def select_contract(
    parsed: ParsedTemplate,
    config: AnalysisConfig,
    phases: Mapping[str, Contract],
    resolve: Callable[[str], TypeInfo | None],
) -> Contract | None:
    """The contract `parsed` is checked against on its own; None for partials and strays."""
    base = _glob_contract(parsed.name, config.contracts_by_glob)
    if base is None:
        phase = template_phase(parsed, config.phase, phases)
        base = phases.get(phase) if phase else None
    extra = header_variables(parsed, resolve)
    if not extra:
        return base
    return base.extended(extra) if base is not None else Contract("header", extra)


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
