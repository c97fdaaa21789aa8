"""Templates on disk: one discovery rule for lint, publish and the language server.

- Which files: those whose name ends with one of `[tool.prompt-tool.lint] extensions`
  (default `.j2 .jinja .jinja2 .prompt`), so a `.jinja` file is linted and published alike.
- Under which name: names follow Jinja's `FileSystemLoader`: a template's name is its path
  relative to the first loader root that holds it, whatever folder the including template
  sits in. The loader roots are `[tool.prompt-tool.lint] roots` when configured, else the
  folders given on the command line; a file given on its own is named from its last
  `partials/` folder on (`x/partials/a.j2` → `partials/a.j2`), else by its file name.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from pathlib import Path, PurePosixPath

from prompt_tool.analysis import readable
from prompt_tool.analysis.diagnostics import Diagnostic
from prompt_tool.checking.settings import ProjectSettings
from prompt_tool.core.errors import ConfigError, UsageError
from prompt_tool.orchestration.template_files import include_name_of_file

# Folders no one keeps templates to lint in; walking them would lint installed packages.
SKIPPED_FOLDERS = frozenset({"node_modules", "__pycache__", "site-packages"})


def loader_roots(paths: Sequence[Path], settings: ProjectSettings) -> tuple[Path, ...]:
    """Configured loader roots, else the folders given (for a file: see the module doc)."""
    if settings.lint.roots:
        for root in settings.lint.roots:
            if not root.is_dir():
                raise ConfigError(
                    f"{settings.pyproject}: [tool.prompt-tool.lint] roots: {root} is not a folder"
                )
        return tuple(root.resolve() for root in settings.lint.roots)
    roots: dict[Path, None] = {}
    for path in paths:
        roots.setdefault(path.resolve() if path.is_dir() else _root_of_file(path), None)
    return tuple(roots)


def _root_of_file(path: Path) -> Path:
    """The folder a file given on its own is named from (`include_name_of_file`)."""
    resolved = path.resolve()
    depth = len(PurePosixPath(include_name_of_file(resolved)).parts)
    return resolved.parents[depth - 1]


def discover_templates(paths: Sequence[Path], extensions: Sequence[str]) -> list[Path]:
    """Every template under `paths`: files as given, folders searched by file ending.

    The result is sorted and free of duplicates, so that output is the same on every run.
    """
    found: set[Path] = set()
    for path in paths:
        if path.is_file():
            found.add(path.resolve())
        elif path.is_dir():
            found.update(_walk(path.resolve(), tuple(extensions)))
        else:
            raise UsageError(f"PATH {path}: no such file or directory")
    return sorted(found)


def _walk(folder: Path, extensions: tuple[str, ...]) -> Iterable[Path]:
    for current, folders, files in os.walk(folder):
        folders[:] = sorted(
            name for name in folders if not name.startswith(".") and name not in SKIPPED_FOLDERS
        )
        for name in files:
            if name.endswith(extensions):
                yield Path(current, name)


def template_name(path: Path, roots: Sequence[Path]) -> str:
    """The loader name of `path`: relative to the first root that holds it, `/`-separated."""
    for root in roots:
        if path.is_relative_to(root):
            return path.relative_to(root).as_posix()
    return path.name


def decode_template(data: bytes, path: str) -> tuple[str | None, Diagnostic | None]:
    """The text of a template file, or its PT014 diagnostic (invalid UTF-8 or binary data)."""
    text, problem = readable.decode_template(data)
    return text, problem.diagnostic(path) if problem is not None else None


class FileSystemSource:
    """A `TemplateSource` over loader roots: what includes may name besides the linted files."""

    def __init__(self, roots: Sequence[Path], extensions: Sequence[str]) -> None:
        self.roots = tuple(root.resolve() for root in roots)
        self.extensions = tuple(extensions)
        self._sources: dict[str, str | None] = {}
        self._names: list[str] | None = None

    def get_source(self, name: str) -> str | None:
        """The text of template `name` from the first root holding it; None when none does."""
        if name not in self._sources:
            self._sources[name] = self._read(name)
        return self._sources[name]

    def _read(self, name: str) -> str | None:
        parts = name.split("/")
        if not name or name.startswith("/") or ".." in parts or "\\" in name:
            return None
        for root in self.roots:
            candidate = root.joinpath(*parts)
            if candidate.is_file():
                try:
                    return candidate.read_bytes().decode("utf-8-sig", "replace")
                except OSError:
                    return None
        return None

    def list_names(self) -> Iterable[str]:
        """Every template name under the roots (a name in two roots is served by the first)."""
        if self._names is None:
            names: dict[str, None] = {}
            for root in self.roots:
                for path in sorted(_walk(root, self.extensions)) if root.is_dir() else ():
                    names.setdefault(path.relative_to(root).as_posix(), None)
            self._names = list(names)
        return self._names
