"""`templates lint` as a service: files in, diagnostics out, through the same Workspace as
the language server and `publish`, so that the three can never disagree."""

from __future__ import annotations

import dataclasses
import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from prompt_tool.analysis.diagnostics import Diagnostic, RelatedLocation, Severity, Span
from prompt_tool.analysis.sources import ChainedSource
from prompt_tool.analysis.typeinfo import Contract, FieldInfo, TypeInfo
from prompt_tool.analysis.workspace import AnalysisConfig, TemplateSource, Workspace
from prompt_tool.checking.discovery import (
    FileSystemSource,
    decode_template,
    discover_templates,
    template_name,
)
from prompt_tool.checking.settings import ContractDeclaration, ProjectSettings
from prompt_tool.core.contract import PHASES
from prompt_tool.core.errors import ConfigError, PromptToolError, UsageError

if TYPE_CHECKING:
    from prompt_tool.checking.type_resolver import TypeResolver


@dataclass(frozen=True)
class StdinDocument:
    """A template read from standard input, reported (and named) as `filename`."""

    data: bytes
    filename: Path


@dataclass(frozen=True)
class LintResult:
    """What one run found; paths in diagnostics are absolute file paths."""

    diagnostics: tuple[Diagnostic, ...]
    files_checked: int
    is_strict: bool

    @property
    def has_failures(self) -> bool:
        """Errors fail a run; warnings too when strict; information and hints never do."""
        failing = {Severity.ERROR, Severity.WARNING} if self.is_strict else {Severity.ERROR}
        return any(diagnostic.severity in failing for diagnostic in self.diagnostics)

    @property
    def exit_code(self) -> int:
        return 1 if self.has_failures else 0


@dataclass(frozen=True)
class LintDocument:
    """One template to lint: its file, its loader name and its bytes."""

    path: Path
    name: str
    data: bytes


@dataclass(frozen=True)
class LintPlan:
    """What a run will check and how: the templates, the loader roots, the analyser's config."""

    roots: tuple[Path, ...]
    documents: tuple[LintDocument, ...]
    config: AnalysisConfig
    config_diagnostics: tuple[Diagnostic, ...]


def plan_lint(
    paths: Sequence[Path],
    settings: ProjectSettings,
    *,
    phase: str | None = None,
    stdin: StdinDocument | None = None,
) -> LintPlan:
    """Find the templates, name them by loader root and resolve the declared contracts."""
    if not paths and stdin is None:
        raise UsageError("PATH: give at least one file or folder to lint (or --stdin)")
    if phase is not None and phase not in PHASES:
        raise UsageError(f"--phase: unknown phase {phase!r} (choose {', '.join(PHASES)})")
    roots = _roots(paths, settings, stdin)
    documents = _documents(paths, settings, roots, stdin)
    resolver = _LazyTypeResolver(settings)
    contracts, config_diagnostics = _declared_contracts(settings, resolver)
    config = AnalysisConfig(
        disabled_codes=settings.lint.disabled_codes,
        extra_globals=frozenset(name for name, _ in settings.contracts.globals),
        extra_filters=settings.contracts.filters,
        extra_tests=settings.contracts.tests,
        extensions=settings.contracts.extensions,
        contracts_by_glob=_contracts_by_name(documents, contracts, settings.project_dir),
        type_resolver=resolver,
        phase=phase,
    )
    return LintPlan(roots, tuple(documents), config, tuple(config_diagnostics))


def run_lint(
    paths: Sequence[Path],
    settings: ProjectSettings,
    *,
    strict: bool = False,
    phase: str | None = None,
    stdin: StdinDocument | None = None,
    published: TemplateSource | None = None,
) -> LintResult:
    """Lint the templates under `paths` (and `stdin`); includes resolve inside the roots,
    then in `published` (templates a database holds) when given."""
    plan = plan_lint(paths, settings, phase=phase, stdin=stdin)
    files = FileSystemSource(plan.roots, settings.lint.extensions)
    source = files if published is None else ChainedSource(files, published)
    workspace = _workspace(plan.config, source, settings)
    diagnostics = [*plan.config_diagnostics, *_analyse(workspace, plan.documents, plan.roots)]
    kept = [d for d in diagnostics if d.code not in settings.lint.disabled_codes]
    kept.sort(key=lambda d: (d.path, d.span, d.code, d.message))
    return LintResult(tuple(kept), len(plan.documents), strict or settings.lint.strict)


def _roots(
    paths: Sequence[Path], settings: ProjectSettings, stdin: StdinDocument | None
) -> tuple[Path, ...]:
    """Configured loader roots, else the folders given (a file's folder for a file)."""
    if settings.lint.roots:
        for root in settings.lint.roots:
            if not root.is_dir():
                raise ConfigError(
                    f"{settings.pyproject}: [tool.prompt-tool.lint] roots: {root} is not a folder"
                )
        return tuple(root.resolve() for root in settings.lint.roots)
    candidates = [*paths, *([stdin.filename] if stdin else [])]
    roots: dict[Path, None] = {}
    for path in candidates:
        folder = path if path.is_dir() else path.parent
        roots.setdefault(folder.resolve(), None)
    return tuple(roots)


def _documents(
    paths: Sequence[Path],
    settings: ProjectSettings,
    roots: Sequence[Path],
    stdin: StdinDocument | None,
) -> list[LintDocument]:
    files = discover_templates(paths, settings.lint.extensions)
    stdin_path = stdin.filename.resolve() if stdin else None
    documents: list[LintDocument] = []
    taken: set[str] = set()
    for path in files:
        if path != stdin_path:
            documents.append(LintDocument(path, _unique_name(path, roots, taken), _read(path)))
    if stdin is not None and stdin_path is not None:
        name = _unique_name(stdin_path, roots, taken)
        documents.append(LintDocument(stdin_path, name, stdin.data))
    return documents


def _unique_name(path: Path, roots: Sequence[Path], taken: set[str]) -> str:
    """The loader name of `path`; a file its name shadows (the same name under a later root,
    as a loader would never serve it) is still linted, under its full path."""
    name = template_name(path, roots)
    if name in taken:
        name = path.as_posix()
    taken.add(name)
    return name


class _LazyTypeResolver:
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


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as error:
        raise UsageError(f"PATH {path}: cannot read: {error.strerror or error}") from None


def _declared_contracts(
    settings: ProjectSettings, lazy: _LazyTypeResolver
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
            diagnostics.append(_config_diagnostic(settings, name, f"globals {name!r}", str(error)))
    contracts = []
    for declaration in settings.contracts.declarations:
        try:
            contract = resolver.contract(declaration.glob, declaration.type_expression)
        except PromptToolError as error:
            key = declaration.glob
            diagnostics.append(_config_diagnostic(settings, key, repr(key), str(error)))
            continue
        contracts.append((declaration, contract.extended(global_fields)))
    return contracts, diagnostics


def _config_diagnostic(settings: ProjectSettings, key: str, label: str, problem: str) -> Diagnostic:
    """PT016 at the line of `key` in pyproject.toml, so that editors and CI point at it."""
    path = settings.pyproject or settings.project_dir / "pyproject.toml"
    message = f"[tool.prompt-tool.contracts] {label}: {problem}"
    return Diagnostic("PT016", Severity.ERROR, message, str(path), _key_span(path, key))


def _key_span(path: Path, key: str) -> Span:
    """Where `key` is written in the pyproject file, quoted or bare; the file start if unknown."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return Span.at(0, 0, 0)
    pattern = re.compile(r"(?:^|[{,])\s*(?P<key>([\"']?)" + re.escape(key) + r"\2)\s*=")
    for number, line in enumerate(lines):
        match = pattern.search(line)
        if match:
            return Span.at(number, match.start("key"), len(match.group("key")))
    return Span.at(0, 0, 0)


def _contracts_by_name(
    documents: Sequence[LintDocument],
    contracts: Sequence[tuple[ContractDeclaration, Contract]],
    project_dir: Path,
) -> dict[str, Contract]:
    """The first matching glob's contract for each linted template, keyed by its exact name.

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


def _workspace(
    config: AnalysisConfig, source: TemplateSource, settings: ProjectSettings
) -> Workspace:
    try:
        return Workspace(config, source)
    except (ConfigError, ImportError, AttributeError, TypeError, ValueError) as error:
        prefix = f"{settings.pyproject}: " if settings.pyproject else ""
        raise ConfigError(
            f"{prefix}[tool.prompt-tool.contracts] extensions: "
            f"cannot load {list(config.extensions)}: {error}"
        ) from None


def _analyse(
    workspace: Workspace, documents: Sequence[LintDocument], roots: Sequence[Path]
) -> list[Diagnostic]:
    """Set every template first, so that includes, cycles and partials are seen whole."""
    found: list[Diagnostic] = []
    names: list[str] = []
    for document in documents:
        text, unreadable = decode_template(document.data, str(document.path))
        if unreadable is not None:
            found.append(unreadable)
        if text is not None:
            names.append(document.name)
            workspace.set_document(document.name, text)
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
