"""Samples as files: named render contexts an author keeps in the repository, as JSON.

A sample lives in a `samples/` folder of a template root (`prompts/samples/login.analysis.json`)
or wherever `[tool.prompt-tool.preview] samples = ["…glob…"]` says. Its phase follows the
template naming convention: a file-name segment (`login.analysis.json`) or a first folder
named after the phase (`samples/analysis/login.json`). Its content is the phase's context
(`project`, `feature`, `session`, … as the contract declares them), checked like a
`--context` file: a sample that does not fit is a problem at the line of the offending value,
naming its JSON path.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from prompt_tool.analysis.contracts import phase_from_path
from prompt_tool.analysis.diagnostics import Diagnostic, Severity, Span
from prompt_tool.core.contract import CONTEXT_CLASSES, PHASES, PhaseContext
from prompt_tool.core.contract_values import ContractValueError, build, locate

_PHASES = dict.fromkeys(PHASES)

SAMPLES_FOLDER = "samples"
SAMPLE_SUFFIX = ".json"


@dataclass(frozen=True)
class SampleFile:
    """One sample: where it is, the name an author picks it by, and its phase if named."""

    path: Path
    name: str
    phase: str | None


@dataclass(frozen=True)
class SampleProblem:
    """Why a sample cannot be used, at a 0-based line and column of its file."""

    message: str
    line: int = 0
    column: int = 0


def sample_file(path: Path, relative: str) -> SampleFile:
    """`relative` is the path below the samples folder (or the glob's base)."""
    phase = phase_from_path(relative, _PHASES)
    name = PurePosixPath(relative).name.removesuffix(SAMPLE_SUFFIX)
    return SampleFile(path, name, phase if phase in PHASES else None)


def find_samples(
    roots: Iterable[Path], folder: Path | None, globs: Sequence[str] = ()
) -> list[SampleFile]:
    """The `samples/**/*.json` of every root, then the files `globs` match below `folder`."""
    found: dict[Path, SampleFile] = {}
    for root in roots:
        samples = root / SAMPLES_FOLDER
        if samples.is_dir():
            for path in sorted(samples.rglob(f"*{SAMPLE_SUFFIX}")):
                found.setdefault(path, sample_file(path, path.relative_to(samples).as_posix()))
    if folder is not None:
        for pattern in globs:
            for path in sorted(folder.glob(pattern)):
                if path.is_file():
                    found.setdefault(path, sample_file(path, path.name))
    return list(found.values())


def check_sample(text: str, phase: str | None) -> PhaseContext | SampleProblem:
    """The sample's context for `phase`, or the first problem with it, located."""
    import json

    if phase is None:
        return SampleProblem(
            "a sample names its phase: call it NAME.<phase>.json or put it in a folder named "
            f"after the phase ({', '.join(PHASES)})"
        )
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        return SampleProblem(f"not JSON: {error.msg}", error.lineno - 1, error.colno - 1)
    try:
        context: PhaseContext = build(CONTEXT_CLASSES[phase], data)
    except ContractValueError as error:
        line, column = locate(text, error.path)
        return SampleProblem(f"{error} (the {phase} contract)", line, column)
    return context


INVALID_SAMPLE = "PT019"


def sample_diagnostics(sample: SampleFile, text: str, shown_path: str) -> list[Diagnostic]:
    """What lint reports for a sample: nothing, or the one problem at its JSON value."""
    checked = check_sample(text, sample.phase)
    if not isinstance(checked, SampleProblem):
        return []
    span = Span.at(checked.line, checked.column)
    return [Diagnostic(INVALID_SAMPLE, Severity.ERROR, checked.message, shown_path, span)]


def check_sample_files(samples: Sequence[SampleFile]) -> list[Diagnostic]:
    """Lint's findings for sample files: each one that does not fit, at its value (paths are
    absolute, as lint's are)."""
    found: list[Diagnostic] = []
    for sample in samples:
        shown = str(sample.path.resolve())
        try:
            text = sample.path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            message = f"cannot read the sample: {error}"
            found.append(Diagnostic(INVALID_SAMPLE, Severity.ERROR, message, shown, Span.at(0, 0)))
            continue
        found.extend(sample_diagnostics(sample, text, shown))
    return found
