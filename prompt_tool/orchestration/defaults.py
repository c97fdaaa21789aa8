"""The built-in orchestration templates shipped in `prompt_tool/defaults/`, read as specs."""

from __future__ import annotations

import functools
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path

from prompt_tool.orchestration.template_files import (
    TEMPLATE_SUFFIX,
    TemplateFile,
    TemplateSpec,
    spec_for,
)

BUILTIN_SOURCE_PREFIX = "<built-in>/"


def defaults_root() -> Traversable:
    return resources.files("prompt_tool").joinpath("defaults")


def read_default_templates(root: Traversable | Path | None = None) -> list[TemplateSpec]:
    """Every `*.j2` under the defaults folder (partials included), named as publish names them.

    The shipped folder is read once per process: it cannot change while the process runs.
    """
    if root is None:
        return list(_shipped_defaults())
    return _read(root)


@functools.cache
def _shipped_defaults() -> tuple[TemplateSpec, ...]:
    return tuple(_read(defaults_root()))


def _read(root: Traversable | Path) -> list[TemplateSpec]:
    files: list[TemplateFile] = []
    _walk(root, "", files)
    return [spec_for(file, None) for file in sorted(files, key=lambda item: item.include_name)]


def _walk(folder: Traversable | Path, prefix: str, found: list[TemplateFile]) -> None:
    if not folder.is_dir():
        return
    for entry in folder.iterdir():
        name = f"{prefix}{entry.name}"
        if entry.is_dir():
            _walk(entry, f"{name}/", found)
        elif entry.name.endswith(TEMPLATE_SUFFIX):
            source = entry.read_text(encoding="utf-8")
            found.append(TemplateFile(Path(f"{BUILTIN_SOURCE_PREFIX}{name}"), name, source))
