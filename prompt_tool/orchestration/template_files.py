"""How a template file becomes a stored template: its include name, phase and stored name.

Rules (the README repeats them for authors):

- The *include name* of a file is its path relative to the folder given on the command
  line (`publish templates/` makes `templates/partials/context.j2` → `partials/context.j2`).
  A file given directly is named from its last `partials/` folder on (`x/partials/a.j2` →
  `partials/a.j2`), else by its file name.
- The *phase* is the header's `phase=` (`{#- prompt-tool: phase=analysis -#}`); without a
  header, the path convention the analyser uses: a first folder named after a phase
  (`analysis/deep.j2`), a `partials/` folder (partial), or a file-name segment naming a
  phase (`analysis.j2`, `deep.analysis.j2`). A file with neither is refused.
- The *stored name* of a run-phase template is `orchestration_<phase>_<name>`, where
  `<name>` is the file name without `.j2` and without the phase segment, dots turned into
  underscores, and `default` when nothing is left (`analysis.j2` →
  `orchestration_analysis_default`, `deep.analysis.j2` → `orchestration_analysis_deep`).
  A partial keeps its include name, so that `{% include "partials/context.j2" %}` finds it.
- A scope holds at most one template per run phase (publish refuses a second name), so the
  template of a slot for a phase is never ambiguous. The `orchestration_<phase>_legacy_<hash>`
  rows that migration 0003 makes from old session text are archives: never a slot's phase
  template, and their names are reserved.

The header is read from the template's comment tokens with Jinja's own lexer. When the
analyser's `prompt_tool.analysis.header` lands on main, `read_header` should delegate to it.
"""

from __future__ import annotations

import functools
import hashlib
import unicodedata
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from jinja2 import Environment, TemplateError, TemplateSyntaxError, meta

from prompt_tool.core.errors import UsageError, ValidationError
from prompt_tool.db.models import PROMPT_PHASES, RUN_PHASES

PARTIAL = "partial"
PREFIX = "orchestration_"
TEMPLATE_SUFFIX = ".j2"
HEADER_MARKER = "prompt-tool:"
EXPORT_MARKER = "{#- exported by prompt-tool:"
_PARTIAL_DIRS = frozenset({"partials", "partial", "_partials"})
MAX_NAME_LENGTH = 255  # the `prompts.name` column
# Control characters (newlines, ANSI escapes), invisible formatting (bidi overrides,
# zero-width), line and paragraph separators: a name shown in a terminal or a diff must
# read as what it is.
_UNSAFE_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})
_LEXER_ENVIRONMENT = Environment(extensions=["jinja2.ext.loopcontrols"])


@dataclass(frozen=True)
class TemplateHeader:
    """What a template declares about itself in its `prompt-tool:` header comment."""

    phase: str | None = None
    feature_type: str | None = None


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


def read_header(source: str) -> TemplateHeader:
    """`phase=` and `feature_type=` from the `prompt-tool:` comments (unparsable text: none)."""
    values: dict[str, str] = {}
    try:
        tokens = list(_LEXER_ENVIRONMENT.lex(source))
    except TemplateSyntaxError:
        return TemplateHeader()
    for _line, kind, value in tokens:
        if kind != "comment":
            continue
        body = value.strip(" -\n\t")
        if not body.startswith(HEADER_MARKER):
            continue
        for piece in body[len(HEADER_MARKER) :].replace(",", " ").split():
            key, equals, item = piece.partition("=")
            if equals and key in {"phase", "feature_type"}:
                values[key] = item
    return TemplateHeader(values.get("phase"), values.get("feature_type"))


def strip_export_line(source: str) -> str:
    """The content without the provenance line `export` writes first, so round trips are no-ops."""
    if source.startswith(EXPORT_MARKER):
        _first, newline, rest = source.partition("\n")
        return rest if newline else ""
    return source


def phase_from_path(include_name: str) -> str | None:
    """The phase the path convention gives, or None."""
    path = PurePosixPath(include_name)
    folders = path.parts[:-1]
    if folders and folders[0] in RUN_PHASES:
        return folders[0]
    if any(folder in _PARTIAL_DIRS for folder in folders):
        return PARTIAL
    for segment in reversed(_stem_segments(path.name)):
        if segment in PROMPT_PHASES:
            return segment
    return None


def _stem_segments(file_name: str) -> list[str]:
    stem = file_name[: -len(TEMPLATE_SUFFIX)] if file_name.endswith(TEMPLATE_SUFFIX) else file_name
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
    return any(name.startswith(f"{PREFIX}{phase}_legacy_") for phase in RUN_PHASES)


def file_name_for(name: str, phase: str) -> str:
    """The inverse of `stored_name`: where `export` writes a template so publish maps it back."""
    if phase == PARTIAL:
        return name
    short = name.removeprefix(f"{PREFIX}{phase}_")
    return (
        f"{phase}{TEMPLATE_SUFFIX}" if short == "default" else f"{short}.{phase}{TEMPLATE_SUFFIX}"
    )


def spec_for(file: TemplateFile, feature_type: str | None) -> TemplateSpec:
    """The stored form of `file` published into a scope whose feature type is `feature_type`."""
    problem = name_problem(file.include_name)
    if problem is not None:
        shown = str(file.path)
        raise ValidationError(f"{shown if shown.isprintable() else repr(shown)}: {problem}")
    content = strip_export_line(file.source)
    header = read_header(content)
    phase = header.phase or phase_from_path(file.include_name)
    if phase is None:
        raise ValidationError(
            f"{file.path}: no phase: add `{{#- prompt-tool: phase=analysis -#}}` or name the "
            f"file after a phase ({', '.join(RUN_PHASES)}) or put it under partials/"
        )
    if phase not in PROMPT_PHASES:
        raise ValidationError(
            f"{file.path}: unknown phase {phase!r} (known: {', '.join(PROMPT_PHASES)})"
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


def template_facts(content: str) -> tuple[list[str], list[str]]:
    """(variables used, templates referenced as written, pins kept), read with `jinja2.meta`."""
    variables, references = _facts(content)
    return list(variables), list(references)


@functools.lru_cache(maxsize=1024)
def _facts(content: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Cached: `find_undeclared_variables` runs Jinja's code generator, milliseconds each.

    Parsed with the rendering environment, so the product's filters are known to the code
    generator; a filter only a project's extension defines leaves the variables unrecorded.
    """
    environment = _facts_environment()
    try:
        ast = environment.parse(content)
    except TemplateSyntaxError:
        return (), ()
    references = tuple(sorted({name for name in meta.find_referenced_templates(ast) if name}))
    try:
        variables = tuple(sorted(meta.find_undeclared_variables(ast)))
    except TemplateError:
        variables = ()
    return variables, references


@functools.cache
def _facts_environment() -> Environment:
    from prompt_tool.core.templating import TemplateEngine

    return TemplateEngine().environment


def collect_files(paths: list[Path]) -> list[TemplateFile]:
    """Every template under `paths` (folders walked for `*.j2`), named by the rules above."""
    files: list[TemplateFile] = []
    for path in paths:
        if path.is_dir():
            for found in sorted(path.rglob(f"*{TEMPLATE_SUFFIX}")):
                files.append(_read(found, found.relative_to(path).as_posix()))
        elif path.is_file():
            files.append(_read(path, include_name_of_file(path)))
        else:
            raise UsageError(f"{path}: no such file or folder")
    if not files:
        raise UsageError(f"no *{TEMPLATE_SUFFIX} templates under {', '.join(map(str, paths))}")
    return files


def include_name_of_file(path: Path) -> str:
    """A file given by itself is named from its last `partials/` folder on, else by its name."""
    parts = path.parts
    for index in range(len(parts) - 2, -1, -1):
        if parts[index] in _PARTIAL_DIRS:
            return PurePosixPath(*parts[index:]).as_posix()
    return path.name


def _read(path: Path, include_name: str) -> TemplateFile:
    try:
        return TemplateFile(path, include_name, path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as error:
        raise ValidationError(f"{path}:1:1: not UTF-8 text ({error.reason})") from None
    except OSError as error:
        raise UsageError(f"{path}: cannot read: {error.strerror}") from None
