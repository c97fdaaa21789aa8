"""`templates lint` as a service: files in, diagnostics out, through the checking service.

Which files and under which names is decided by `discovery` (one rule for lint, publish
and the language server); what they are checked against by `service.Checker`. With
`[tool.prompt-tool.lint] roots` configured, every template under the roots is held as
context, so a partial linted alone (pre-commit passes only changed files, or `--stdin`)
is still checked in the scope of each template that includes it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from prompt_tool.analysis.diagnostics import Diagnostic, Severity
from prompt_tool.analysis.sources import ChainedSource
from prompt_tool.analysis.workspace import AnalysisConfig, TemplateSource
from prompt_tool.checking.discovery import (
    FileSystemSource,
    discover_templates,
    loader_roots,
    template_name,
)
from prompt_tool.checking.service import CheckDocument, Checker, glob_matches
from prompt_tool.checking.settings import ProjectSettings
from prompt_tool.core.errors import UsageError
from prompt_tool.orchestration.sample_files import SampleFile, check_sample_files, find_samples

__all__ = ["LintPlan", "LintResult", "StdinDocument", "glob_matches", "plan_lint", "run_lint"]

LintDocument = CheckDocument
"""One template to lint: its file, its loader name and its bytes."""


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
class LintPlan:
    """What a run will check and how: the templates, the loader roots, the checker."""

    roots: tuple[Path, ...]
    documents: tuple[CheckDocument, ...]
    checker: Checker

    @property
    def config(self) -> AnalysisConfig:
        return self.checker.config(self.documents)

    @property
    def config_diagnostics(self) -> tuple[Diagnostic, ...]:
        return tuple(self.checker.config_diagnostics)

    @property
    def reported(self) -> tuple[CheckDocument, ...]:
        return tuple(document for document in self.documents if document.is_reported)


def plan_lint(
    paths: Sequence[Path],
    settings: ProjectSettings,
    *,
    phase: str | None = None,
    stdin: StdinDocument | None = None,
    project_variables: Mapping[str, Any] | None = None,
) -> LintPlan:
    """Find the templates, name them by loader root and build the checker."""
    if not paths and stdin is None:
        raise UsageError("PATH: give at least one file or folder to lint (or --stdin)")
    checker = Checker(settings, phase=phase, project_variables=project_variables)
    roots = loader_roots([*paths, *([stdin.filename] if stdin else [])], settings)
    documents = _documents(paths, settings, roots, stdin)
    return LintPlan(roots, tuple(documents), checker)


def run_lint(
    paths: Sequence[Path],
    settings: ProjectSettings,
    *,
    strict: bool = False,
    phase: str | None = None,
    stdin: StdinDocument | None = None,
    published: TemplateSource | None = None,
    project_variables: Mapping[str, Any] | None = None,
) -> LintResult:
    """Lint the templates under `paths` (and `stdin`); includes resolve inside the roots,
    then in `published` (templates a database holds) when given."""
    plan = plan_lint(paths, settings, phase=phase, stdin=stdin, project_variables=project_variables)
    files = FileSystemSource(plan.roots, settings.lint.extensions)
    source = files if published is None else ChainedSource(files, published)
    outcome = plan.checker.check(plan.documents, source, roots=plan.roots)
    samples = lint_samples(paths, settings)
    return LintResult(
        (*outcome.diagnostics, *check_sample_files(samples)),
        len(plan.reported) + len(samples),
        strict or settings.lint.strict,
    )


def lint_samples(paths: Sequence[Path], settings: ProjectSettings) -> list[SampleFile]:
    """The sample context files a run checks: those in a `samples/` folder of each folder
    linted, and those `[tool.prompt-tool.preview] samples` names. Files given one by one
    (or on standard input) bring no samples with them."""
    folders = [path for path in paths if path.is_dir()]
    if not folders:
        return []
    return find_samples(folders, settings.project_dir, settings.preview.samples)


def _documents(
    paths: Sequence[Path],
    settings: ProjectSettings,
    roots: Sequence[Path],
    stdin: StdinDocument | None,
) -> list[CheckDocument]:
    files = discover_templates(paths, settings.lint.extensions)
    stdin_path = stdin.filename.resolve() if stdin else None
    documents: list[CheckDocument] = []
    taken: set[str] = set()
    for path in files:
        if path != stdin_path:
            documents.append(CheckDocument(path, _unique_name(path, roots, taken), _read(path)))
    if stdin is not None and stdin_path is not None:
        name = _unique_name(stdin_path, roots, taken)
        documents.append(CheckDocument(stdin_path, name, stdin.data))
    if settings.lint.roots:
        documents += _context_documents(roots, settings, taken, stdin_path)
    return documents


def _context_documents(
    roots: Sequence[Path], settings: ProjectSettings, taken: set[str], skip: Path | None
) -> list[CheckDocument]:
    """The other templates under the configured roots, held (not reported) so that the
    linted ones are checked against their includers."""
    context = []
    for path in discover_templates(roots, settings.lint.extensions):
        name = template_name(path, roots)
        if name in taken or path == skip:
            continue
        try:
            data = path.read_bytes()
        except OSError:
            continue
        taken.add(name)
        context.append(CheckDocument(path, name, data, is_reported=False))
    return context


def _unique_name(path: Path, roots: Sequence[Path], taken: set[str]) -> str:
    """The loader name of `path`; a file its name shadows (the same name under a later root,
    as a loader would never serve it) is still linted, under its full path."""
    name = template_name(path, roots)
    if name in taken:
        name = path.as_posix()
    taken.add(name)
    return name


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as error:
        raise UsageError(f"PATH {path}: cannot read: {error.strerror or error}") from None
