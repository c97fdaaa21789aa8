"""The checking service: the analyser's inputs built once from a project's settings.

`templates lint`, `templates publish` (and `--dry-run`), session import and the language
server all build a `Checker` from the same `ProjectSettings`, so they hand the analyser the
same contracts (phase contracts, declared globs, header types, the project's variables),
the same environment (the renderer's, `environment.build_engine`) and the same rules, and
can never disagree. Each caller supplies only what differs: which templates it checks and
where includes come from (files under the roots, published templates, or both).
"""

from __future__ import annotations

import dataclasses
import functools
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from prompt_tool.analysis.contracts import builtin_contracts, contract_with_project_variables
from prompt_tool.analysis.diagnostics import Diagnostic, RelatedLocation, Severity, Span
from prompt_tool.analysis.facts import TemplateFacts
from prompt_tool.analysis.positions import split_lines
from prompt_tool.analysis.typeinfo import Contract, FieldInfo, TypeInfo
from prompt_tool.analysis.workspace import AnalysisConfig, TemplateSource, Workspace
from prompt_tool.checking.discovery import SKIPPED_FOLDERS, decode_template
from prompt_tool.checking.environment import build_engine
from prompt_tool.checking.settings import ContractDeclaration, ProjectSettings
from prompt_tool.core.contract import PHASES
from prompt_tool.core.errors import PromptToolError, UsageError

if TYPE_CHECKING:
    from prompt_tool.checking.type_resolver import TypeResolver

MISSING_INCLUDE = "PT007"
NO_ROOTS_HINT = (
    " (no template roots are configured, so include names are relative to the folders "
    "checked; set `roots` in [tool.prompt-tool.lint])"
)


@dataclass(frozen=True)
class CheckDocument:
    """One template a check holds: its file, its include name, its bytes.

    Documents that are not `is_reported` are context only: the includers of a partial
    found under the configured roots, checked with it but not reported on.
    """

    path: Path
    name: str
    data: bytes
    is_reported: bool = True


@dataclass(frozen=True)
class CheckOutcome:
    """Diagnostics (paths are files, sorted) and, when asked for, each template's facts."""

    diagnostics: tuple[Diagnostic, ...]
    facts: Mapping[str, TemplateFacts]


class LazyTypeResolver:
    """Builds the TypeResolver on first use: most templates declare no types, and the
    resolver's imports would slow down every lint run."""

    def __init__(self, settings: ProjectSettings) -> None:
        self._settings = settings.contracts
        self._resolver: TypeResolver | None = None

    @property
    def resolver(self) -> TypeResolver:
        if self._resolver is None:
            from prompt_tool.checking.type_resolver import TypeResolver

            contracts = self._settings
            self._resolver = TypeResolver(
                contracts.source_roots, contracts.modules, contracts.allow_import
            )
        return self._resolver

    def resolve(self, expression: str) -> TypeInfo:
        return self.resolver.resolve(expression)


class Checker:
    """Everything the analyser receives for one project, read once from its settings.

    `project_variables` (the stored variables of the configured project) type `vars` in
    every phase contract, so `{{ vars.not_set }}` and `{{ vars.count.upper() }}` on an
    integer are findings; without them `vars` is an open mapping. `template_phases` names
    templates whose phase the caller knows (the orchestrator's recorded phase templates):
    they are checked against that phase's contract whatever their header or name says.
    """

    def __init__(
        self,
        settings: ProjectSettings,
        *,
        phase: str | None = None,
        project_variables: Mapping[str, Any] | None = None,
        template_phases: Mapping[str, str] | None = None,
    ) -> None:
        if phase is not None and phase not in PHASES:
            raise UsageError(f"--phase: unknown phase {phase!r} (choose {', '.join(PHASES)})")
        self.settings = settings
        self.phase = phase
        self.project_variables = project_variables
        self.template_phases = dict(template_phases or {})
        self.type_resolver = LazyTypeResolver(settings)
        self.engine = build_engine(settings)
        declared, problems = _declared_contracts(settings, self.type_resolver)
        self.declared = declared
        self.config_diagnostics = (*problems, *_unmatched_globs(settings, declared))

    def phase_contracts(self) -> dict[str, Contract]:
        """The contract of each phase, `vars` typed by the project's variables when known."""
        contracts = builtin_contracts()
        if self.project_variables is None:
            return contracts
        return {
            phase: contract_with_project_variables(contract, self.project_variables)
            for phase, contract in contracts.items()
        }

    def config(self, documents: Sequence[CheckDocument]) -> AnalysisConfig:
        """The analyser's configuration for a check of `documents`."""
        contracts = self.settings.contracts
        by_name = _contracts_by_name(documents, self.declared, self.settings.project_dir)
        if self.template_phases:
            phases = self.phase_contracts()
            for name, phase in self.template_phases.items():
                by_name[_escape_glob(name)] = phases[phase]
        return AnalysisConfig(
            disabled_codes=self.settings.lint.disabled_codes,
            extra_globals=frozenset(name for name, _ in contracts.globals),
            extra_filters=contracts.filters,
            extra_tests=contracts.tests,
            extensions=contracts.extensions,
            contracts=self.phase_contracts(),
            contracts_by_glob=by_name,
            phase=self.phase,
            type_resolver=self.type_resolver,
            engine=self.engine,
        )

    def check(
        self,
        documents: Sequence[CheckDocument],
        external: TemplateSource | None,
        *,
        roots: Sequence[Path] = (),
        with_facts: bool = False,
    ) -> CheckOutcome:
        """Check `documents` together; includes they do not hold come from `external`."""
        workspace = Workspace(self.config(documents), external)
        found = [*self.config_diagnostics, *_analyse(workspace, documents, roots)]
        disabled = self.settings.lint.disabled_codes
        kept = [self._with_hint(item) for item in found if item.code not in disabled]
        kept.sort(key=lambda item: (item.path, item.span, item.code, item.message))
        facts = (
            {document.name: workspace.facts(document.name) for document in documents}
            if with_facts
            else {}
        )
        return CheckOutcome(tuple(kept), facts)

    def _with_hint(self, diagnostic: Diagnostic) -> Diagnostic:
        if diagnostic.code != MISSING_INCLUDE or self.settings.lint.roots:
            return diagnostic
        return dataclasses.replace(diagnostic, message=diagnostic.message + NO_ROOTS_HINT)


def _declared_contracts(
    settings: ProjectSettings, lazy: LazyTypeResolver
) -> tuple[list[tuple[ContractDeclaration, Contract]], list[Diagnostic]]:
    """Each configured glob's contract (with the typed globals), or PT016 at its config line."""
    diagnostics: list[Diagnostic] = []
    global_fields: dict[str, FieldInfo] = {}
    if not settings.contracts.globals and not settings.contracts.declarations:
        return [], diagnostics
    resolver = lazy.resolver
    for name, expression in settings.contracts.globals:
        try:
            global_fields[name] = resolver.resolve_field(name, expression)
        except PromptToolError as error:
            diagnostics.append(config_diagnostic(settings, name, f"globals {name!r}", str(error)))
    contracts = []
    for declaration in settings.contracts.declarations:
        try:
            contract = resolver.contract(declaration.glob, declaration.type_expression)
        except PromptToolError as error:
            key = declaration.glob
            diagnostics.append(config_diagnostic(settings, key, repr(key), str(error)))
            continue
        contracts.append((declaration, contract.extended(global_fields)))
    return contracts, diagnostics


def _unmatched_globs(
    settings: ProjectSettings, declared: Sequence[tuple[ContractDeclaration, Contract]]
) -> list[Diagnostic]:
    """A warning for each contract glob that matches no template file of the project: a
    typo there silently leaves templates unchecked."""
    if not declared:
        return []
    relative = _project_templates(settings)
    roots = [root.resolve() for root in settings.lint.roots]
    names = {
        path.relative_to(root).as_posix()
        for path in map(settings.project_dir.joinpath, relative)
        for root in roots
        if path.resolve().is_relative_to(root)
    }
    found = []
    for declaration, _contract in declared:
        if any(glob_matches(declaration.glob, item) for item in (*relative, *names)):
            continue
        problem = (
            "matches no template file; globs are relative to the project folder "
            f"{settings.project_dir} (for example `prompts/**/*.j2`)"
        )
        found.append(
            config_diagnostic(
                settings, declaration.glob, repr(declaration.glob), problem, Severity.WARNING
            )
        )
    return found


def _project_templates(settings: ProjectSettings) -> list[str]:
    """Every template file under the project folder, relative to it, `/`-separated."""
    found = []
    extensions = tuple(settings.lint.extensions)
    for current, folders, files in os.walk(settings.project_dir):
        folders[:] = [
            name for name in folders if not name.startswith(".") and name not in SKIPPED_FOLDERS
        ]
        for name in files:
            if name.endswith(extensions):
                found.append(Path(current, name).relative_to(settings.project_dir).as_posix())
    return found


def config_diagnostic(
    settings: ProjectSettings,
    key: str,
    label: str,
    problem: str,
    severity: Severity = Severity.ERROR,
) -> Diagnostic:
    """PT016 at the line of `key` in pyproject.toml, so that editors and CI point at it."""
    path = settings.pyproject or settings.project_dir / "pyproject.toml"
    message = f"[tool.prompt-tool.contracts] {label}: {problem}"
    return Diagnostic("PT016", severity, message, str(path), _key_span(path, key))


def _key_span(path: Path, key: str) -> Span:
    """Where `key` is written in the pyproject file, quoted or bare; the file start if unknown."""
    try:
        lines = split_lines(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError):
        return Span.at(0, 0, 0)
    pattern = re.compile(r"(?:^|[{,])\s*(?P<key>([\"']?)" + re.escape(key) + r"\2)\s*=")
    for number, line in enumerate(lines):
        match = pattern.search(line)
        if match:
            return Span.at(number, match.start("key"), len(match.group("key")))
    return Span.at(0, 0, 0)


def _contracts_by_name(
    documents: Sequence[CheckDocument],
    contracts: Sequence[tuple[ContractDeclaration, Contract]],
    project_dir: Path,
) -> dict[str, Contract]:
    """The first matching glob's contract for each checked template, keyed by its exact name.

    Config globs are written relative to the project (`prompts/issue/*.j2`) while the
    workspace knows loader names (`issue/a.j2`); matching here keeps that mapping in one place.
    """
    found: dict[str, Contract] = {}
    if not contracts:
        return found
    for document in documents:
        relative = (
            document.path.relative_to(project_dir).as_posix()
            if document.path.is_relative_to(project_dir)
            else document.path.as_posix()
        )
        for declaration, contract in contracts:
            if glob_matches(declaration.glob, relative) or glob_matches(
                declaration.glob, document.name
            ):
                found[_escape_glob(document.name)] = contract
                break
    return found


def glob_matches(pattern: str, path: str) -> bool:
    """`**/` spans folders, `*` and `?` stay inside one folder, as in .gitignore-style globs."""
    return _compile_glob(pattern).match(path) is not None


@functools.lru_cache(maxsize=256)
def _compile_glob(pattern: str) -> re.Pattern[str]:
    parts = []
    index = 0
    while index < len(pattern):
        if pattern.startswith("**/", index):
            parts.append("(?:.*/)?")
            index += 3
            continue
        if pattern.startswith("**", index):
            parts.append(".*")
            index += 2
            continue
        char = pattern[index]
        parts.append("[^/]*" if char == "*" else "[^/]" if char == "?" else re.escape(char))
        index += 1
    return re.compile("".join(parts) + r"\Z")


def _escape_glob(name: str) -> str:
    return re.sub(r"([*?\[])", r"[\1]", name)


def _analyse(
    workspace: Workspace, documents: Sequence[CheckDocument], roots: Sequence[Path]
) -> list[Diagnostic]:
    """Set every template first, so that includes, cycles and partials are seen whole."""
    found: list[Diagnostic] = []
    names: list[str] = []
    sources: dict[str, str] = {}
    for document in documents:
        text, unreadable = decode_template(document.data, str(document.path))
        if unreadable is not None and document.is_reported:
            found.append(unreadable)
        if text is not None:
            sources[document.name] = text
            if document.is_reported:
                names.append(document.name)
    workspace.set_documents(sources)
    files = {document.name: document.path for document in documents}
    for name in names:
        found.extend(_with_file_paths(d, files, roots) for d in workspace.diagnostics(name))
    return found


def _with_file_paths(
    diagnostic: Diagnostic, files: dict[str, Path], roots: Sequence[Path]
) -> Diagnostic:
    """Template names in a diagnostic replaced by the files they name, for output."""
    related = tuple(
        RelatedLocation(_file_of(item.path, files, roots), item.span, item.message)
        for item in diagnostic.related
    )
    return dataclasses.replace(
        diagnostic, path=_file_of(diagnostic.path, files, roots), related=related
    )


def _file_of(name: str, files: dict[str, Path], roots: Sequence[Path]) -> str:
    if name in files:
        return str(files[name])
    for root in roots:
        candidate = root / name
        if candidate.is_file():
            return str(candidate)
    return name
