"""`templates export`: a resolution written as files that `publish` maps back to the same text.

Two promises. **Nothing is written outside the folder**: every file name is checked as a
template name (relative, no `..`, no control characters) and its resolved path, symlinks
followed, must stay under the folder; one bad name refuses the whole export before any
file is written. **Pins keep their meaning**: an include pinned to a version or a label
(`partials/a.j2@1`, `partials/a.j2@staging`) names a row of *this* database; published back
(into another scope or database, or after the label moved) the same pin could name other
text. So a pinned include that resolves to the same version as the exported file of that
name is rewritten to the bare name, and one that resolves to another version is exported
as its own partial (`partials/a.v1.j2`, `partials/a.staging.j2`) and the include rewritten
to it. Bare includes below a label pin follow that label, as the loader does, and are
rewritten the same way. Publishing the folder back therefore renders the same versions.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from prompt_tool.analysis.parsing import split_pin
from prompt_tool.analysis.template_links import template_references
from prompt_tool.core.contract import PARTIAL
from prompt_tool.core.errors import ValidationError
from prompt_tool.db.models import Prompt
from prompt_tool.orchestration.template_files import (
    EXPORT_MARKER,
    TEMPLATE_SUFFIX,
    file_name_for,
    header_phase,
    name_problem,
    path_phase,
)
from prompt_tool.orchestration.template_resolver import Resolution, is_version_pin

PARTIAL_HEADER = "{#- prompt-tool: phase=partial -#}\n"


@dataclass(frozen=True)
class ExportedFile:
    """One file of the export: its name under the folder, the version, the label it follows."""

    file_name: str
    prompt: Prompt
    context_label: str


def pinned_copy_name(base: str, pin: str, taken: set[str]) -> str:
    """`partials/a.j2` pinned to `1` → `partials/a.v1.j2` (`staging` → `partials/a.staging.j2`)."""
    stem = base[: -len(TEMPLATE_SUFFIX)] if base.endswith(TEMPLATE_SUFFIX) else base
    tag = f"v{pin}" if is_version_pin(pin) else pin
    candidate, number = f"{stem}.{tag}{TEMPLATE_SUFFIX}", 1
    while candidate in taken:
        number += 1
        candidate = f"{stem}.{tag}-{number}{TEMPLATE_SUFFIX}"
    return candidate


def identity(prompt: Prompt) -> tuple[bool, int]:
    """A stored row by its id; a built-in default (never stored) by the object itself."""
    return (True, prompt.id) if prompt.id is not None else (False, id(prompt))


def plan_export(resolution: Resolution) -> dict[str, ExportedFile]:
    """Every resolved key (`name@label-or-pin`) that gets a file, and that file."""
    label = resolution.label
    planned: dict[str, ExportedFile] = {}
    main_by_id: dict[tuple[bool, int], ExportedFile] = {}
    templates = sorted(resolution.templates().items())
    for key, prompt in templates:
        _base, pin = split_pin(key)
        if pin == label and prompt.phase is not None:
            exported = ExportedFile(file_name_for(prompt.name, prompt.phase), prompt, label)
            planned[key] = exported
            main_by_id[identity(prompt)] = exported
    taken = {item.file_name for item in planned.values()}
    for key, prompt in templates:
        base, pin = split_pin(key)
        if key in planned or pin is None or prompt.phase != PARTIAL:
            continue
        same = main_by_id.get(identity(prompt))
        if same is not None and same.prompt.name == base:
            planned[key] = same
            continue
        name = pinned_copy_name(base, pin, taken)
        taken.add(name)
        planned[key] = ExportedFile(name, prompt, label if is_version_pin(pin) else pin)
    return planned


def exported_text(item: ExportedFile, planned: dict[str, ExportedFile]) -> str:
    """The version's text with each include renamed to the file that holds what it rendered."""
    content = item.prompt.content
    lines = content.split("\n")
    edits = []
    for reference in template_references(content):
        base, pin = split_pin(reference.name)
        key = reference.name if pin is not None else f"{base}@{item.context_label}"
        target = planned.get(key)
        if target is None or target.file_name == reference.name:
            continue
        edits.append((reference.span, target.file_name))
    for span, name in sorted(edits, key=lambda edit: edit[0].start, reverse=True):
        if span.start.line >= len(lines):
            continue
        line = lines[span.start.line]
        lines[span.start.line] = line[: span.start.column] + name + line[span.end.column :]
    text = "\n".join(lines)
    is_copy = item.file_name != file_name_for(item.prompt.name, item.prompt.phase or PARTIAL)
    if is_copy and path_phase(item.file_name) != PARTIAL and header_phase(text) is None:
        text = PARTIAL_HEADER + text
    return text


def checked_path(directory: Path, file_name: str) -> Path:
    """`directory / file_name`, refused when the name is unsafe or leads outside `directory`."""
    problem = name_problem(file_name)
    root = directory.resolve()
    path = directory / PurePosixPath(file_name)
    if problem is None and not path.resolve().is_relative_to(root):
        problem = f"{file_name!r} leads outside {directory} (through a symbolic link)"
    if problem is not None:
        raise ValidationError(f"cannot export into {directory}: {problem}; nothing was written")
    return path


def write_export(resolution: Resolution, directory: Path, scope_title: str) -> list[Path]:
    """Write the files of `plan_export`; every path is checked before the first write."""
    planned = plan_export(resolution)
    files = {item.file_name: item for item in planned.values()}
    paths = {name: checked_path(directory, name) for name in sorted(files)}
    written: list[Path] = []
    for name, path in paths.items():
        item = files[name]
        prompt = item.prompt
        where = f"v{prompt.version}" if prompt.version else "built-in default"
        header = (
            f"{EXPORT_MARKER} {prompt.name} {where}, resolved for {scope_title} with label "
            f"{item.context_label}; edit and `prompt-tool templates publish` it back -#}}\n"
        )
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(header + exported_text(item, planned), encoding="utf-8")
        written.append(path)
    return written
