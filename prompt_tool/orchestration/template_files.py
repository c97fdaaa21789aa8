"""How a template file becomes a stored template: its phase and stored name.

Rules (the README repeats them for authors):

- The *include name* of a file is decided by the checking service's discovery
  (`prompt_tool.checking.discovery`: relative to the loader roots, one rule for lint,
  publish and the language server).
- The *phase* is the header's `phase=` (`{#- prompt-tool: phase=analysis -#}`); without a
  header, the analyser's path convention (`prompt_tool.analysis.contracts.phase_from_path`):
  a first folder named after a phase (`analysis/deep.j2`), a `partials/` folder (partial),
  or a file-name segment naming one (`analysis.j2`, `deep.analysis.jinja`). A file with
  neither is refused.
- The *stored name* of a run-phase template is `orchestration_<phase>_<name>`, where
  `<name>` is the file name without its ending and without the phase segment, dots turned
  into underscores, and `default` when nothing is left (`analysis.j2` →
  `orchestration_analysis_default`, `deep.analysis.j2` → `orchestration_analysis_deep`).
  A partial keeps its include name, so that `{% include "partials/context.j2" %}` finds it.
- A scope holds at most one template per run phase (publish refuses a second name), so the
  template of a slot for a phase is never ambiguous. The `orchestration_<phase>_legacy_<hash>`
  rows that migration 0003 makes from old session text are archives: never a slot's phase
  template, and their names are reserved.

The header is read by the analyser (`prompt_tool.analysis.parsing.read_header`); what the
stored row records about variables and references comes from the analyser's result.
"""

from __future__ import annotations

import functools
import hashlib
import unicodedata
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from jinja2 import Environment

from prompt_tool.analysis.contracts import PARTIAL_FOLDERS, phase_from_path
from prompt_tool.analysis.facts import TemplateFacts
from prompt_tool.analysis.header import MARKER
from prompt_tool.analysis.parsing import read_header
from prompt_tool.core.contract import PARTIAL, PHASES, TEMPLATE_PHASES
from prompt_tool.core.errors import UsageError, ValidationError
from prompt_tool.orchestration.lexed_templates import lexed_header

PREFIX = "orchestration_"
TEMPLATE_SUFFIX = ".j2"
EXPORT_MARKER = "{#- exported by prompt-tool:"
_PHASES = dict.fromkeys(PHASES)
MAX_NAME_LENGTH = 255  # the `prompts.name` column
# Control characters (newlines, ANSI escapes), invisible formatting (bidi overrides,
# zero-width), line and paragraph separators: a name shown in a terminal or a diff must
# read as what it is.
_UNSAFE_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})


@dataclass(frozen=True)
class TemplateFile:
    """A file to publish: where it is, the name includes use for it, and its text."""

    path: Path
    include_name: str
    source: str


@dataclass(frozen=True)
class TemplateSpec:
    """What publish stores for one file."""

    name: str
    include_name: str
    phase: str
    feature_type: str | None
    content: str
    source_path: str
    facts: TemplateFacts | None = None
    """What the analyser found the template reads and names (None: not checked yet)."""


def name_problem(name: str) -> str | None:
    """Why `name` cannot be a template name, or None.

    A name is a relative POSIX path (it becomes a file under the folder `export` writes):
    not empty, no absolute path, no `.`/`..`/empty segment, no backslash, no control or
    invisible formatting character, at most `MAX_NAME_LENGTH` characters.
    """
    if not name:
        return "the template name is empty"
    if len(name) > MAX_NAME_LENGTH:
        return f"the template name is longer than {MAX_NAME_LENGTH} characters"
    unsafe = next((c for c in name if unicodedata.category(c) in _UNSAFE_CATEGORIES), None)
    if unsafe is not None:
        return (
            f"the template name {name!r} contains the control or formatting character"
            f" U+{ord(unsafe):04X}"
        )
    if name.startswith("/") or "\\" in name or PurePosixPath(name).is_absolute():
        return f"the template name {name!r} is an absolute path or has a backslash"
    if any(part in ("", ".", "..") for part in name.split("/")):
        return f"the template name {name!r} has an empty, `.` or `..` segment"
    return None


def content_hash(content: str) -> str:
    return hashlib.sha256(content.encode("utf-8")).hexdigest()


def strip_export_line(source: str) -> str:
    """The content without the provenance line `export` writes first, so round trips are no-ops."""
    if source.startswith(EXPORT_MARKER):
        _first, newline, rest = source.partition("\n")
        return rest if newline else ""
    return source


def _stem_segments(file_name: str) -> list[str]:
    """`deep.analysis.j2` → [`deep`, `analysis`]: the file name without its ending, split."""
    stem = PurePosixPath(file_name).stem if "." in file_name else file_name
    return stem.split(".")


def stored_name(include_name: str, phase: str) -> str:
    """The name a template is stored under (see the module doc)."""
    if phase == PARTIAL:
        return include_name
    path = PurePosixPath(include_name)
    rest = [segment for segment in _stem_segments(path.name) if segment != phase]
    if path.parts[:-1] and path.parts[0] == phase:
        rest = [*path.parts[1:-1], *rest]
    short = "_".join(part.replace("-", "_") for part in rest if part) or "default"
    return f"{PREFIX}{phase}_{short}"


def is_legacy_name(name: str) -> bool:
    """Rows migration 0003 made from legacy session text: kept for those sessions, never a slot's
    phase template (a scope may hold many of them, one per distinct old text)."""
    return any(name.startswith(f"{PREFIX}{phase}_legacy_") for phase in PHASES)


def file_name_for(name: str, phase: str) -> str:
    """The inverse of `stored_name`: where `export` writes a template so publish maps it back."""
    if phase == PARTIAL:
        return name
    short = name.removeprefix(f"{PREFIX}{phase}_")
    return (
        f"{phase}{TEMPLATE_SUFFIX}" if short == "default" else f"{short}.{phase}{TEMPLATE_SUFFIX}"
    )


def include_name_of_file(path: Path) -> str:
    """A file given by itself is named from its last `partials/` folder on, else by its name
    (the checking service's discovery names files given alone by this rule too)."""
    parts = path.parts
    for index in range(len(parts) - 2, -1, -1):
        if parts[index] in PARTIAL_FOLDERS:
            return PurePosixPath(*parts[index:]).as_posix()
    return path.name


def read_template_text(path: Path) -> str:
    """A template file's text; not UTF-8 or unreadable is one line naming the file."""
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        raise ValidationError(f"{path}:1:1: not UTF-8 text ({error.reason})") from None
    except OSError as error:
        raise UsageError(f"{path}: cannot read: {error.strerror}") from None


def path_phase(include_name: str) -> str | None:
    """The phase the analyser's path convention gives `include_name`, or None."""
    return phase_from_path(include_name, _PHASES)


def header_phase(content: str, name: str | None = None) -> str | None:
    """The phase the template's `prompt-tool:` header names, read by the analyser.

    Only a comment holding the marker can declare one, so a text without it is not lexed;
    with `name`, the text is lexed from that template's last lexed text (an edit re-lexes
    only what it touched, as the preview's compile does).
    """
    if MARKER not in content:
        return None
    environment = _header_environment()
    if name is not None:
        return lexed_header(environment, name, content).phase
    return read_header(environment, content).phase


def spec_for(file: TemplateFile, feature_type: str | None) -> TemplateSpec:
    """The stored form of `file` published into a scope whose feature type is `feature_type`."""
    problem = name_problem(file.include_name)
    if problem is not None:
        shown = str(file.path)
        raise ValidationError(f"{shown if shown.isprintable() else repr(shown)}: {problem}")
    content = strip_export_line(file.source)
    header = read_header(_header_environment(), content)
    phase = header.phase or path_phase(file.include_name)
    if phase is None:
        raise ValidationError(
            f"{file.path}: no phase: add `{{#- prompt-tool: phase=analysis -#}}` or name the "
            f"file after a phase ({', '.join(PHASES)}) or put it under partials/"
        )
    if phase not in TEMPLATE_PHASES:
        raise ValidationError(
            f"{file.path}: unknown phase {phase!r} (known: {', '.join(TEMPLATE_PHASES)})"
        )
    if header.feature_type and feature_type and header.feature_type != feature_type:
        raise ValidationError(
            f"{file.path}: the header says feature_type={header.feature_type} but "
            f"--feature-type is {feature_type}"
        )
    name = stored_name(file.include_name, phase)
    if is_legacy_name(name):
        raise ValidationError(
            f"{file.path}: the name {name} is reserved for templates migrated from legacy "
            "sessions; rename the file"
        )
    return TemplateSpec(
        name=name,
        include_name=file.include_name,
        phase=phase,
        feature_type=feature_type or header.feature_type,
        content=content,
        source_path=str(file.path),
    )


@functools.cache
def _header_environment() -> Environment:
    """The renderer's environment: headers are lexed exactly as rendering lexes them."""
    from prompt_tool.core.templating import TemplateEngine

    return TemplateEngine().environment
