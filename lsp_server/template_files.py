"""Templates on disk under a workspace folder's roots: names to paths and back, and sources.

A minimal `TemplateSource` over folders, kept inside the server until the shared
`prompt_tool/analysis/filesystem.py` lands on main. Template names are relative to the
root that holds them, as Jinja's loader resolves include names.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from pathlib import Path

_SKIPPED_FOLDERS = frozenset({"node_modules", "__pycache__", "site-packages"})
MAX_TEMPLATE_BYTES = 2_000_000


class TemplateFiles:
    """The template files of one workspace folder; a `TemplateSource` for the analyser."""

    def __init__(self, folder: Path | None, roots: Sequence[str], extensions: Sequence[str]):
        self.folder = folder.resolve() if folder is not None else None
        self.roots: tuple[Path, ...] = (
            tuple((self.folder / root).resolve() for root in roots) if self.folder else ()
        )
        self.extensions = tuple(extensions)

    def is_template(self, path: Path) -> bool:
        return path.name.endswith(self.extensions)

    def name_for(self, path: Path) -> str:
        """The include name of `path`: relative to the first root holding it, else absolute."""
        resolved = path.resolve()
        for root in self.roots:
            if resolved.is_relative_to(root):
                return resolved.relative_to(root).as_posix()
        return resolved.as_posix()

    def path_for(self, name: str) -> Path | None:
        """The file a template name resolves to, searching the roots in order."""
        candidate_name = Path(name)
        if candidate_name.is_absolute():
            return candidate_name if candidate_name.is_file() else None
        for root in self.roots:
            candidate = (root / candidate_name).resolve()
            if candidate.is_relative_to(root) and candidate.is_file():
                return candidate
        return None

    def get_source(self, name: str) -> str | None:
        path = self.path_for(name)
        if path is None:
            return None
        try:
            if path.stat().st_size > MAX_TEMPLATE_BYTES:
                return None
            return path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            return None

    def list_names(self) -> list[str]:
        """Every template name under the roots, the first root winning on a clash."""
        names: dict[str, None] = {}
        for root in self.roots:
            for path in self._walk(root):
                names.setdefault(path.relative_to(root).as_posix(), None)
        return list(names)

    def _walk(self, root: Path) -> Iterator[Path]:
        for folder, subfolders, files in os.walk(root):
            subfolders[:] = [
                sub for sub in subfolders if not sub.startswith(".") and sub not in _SKIPPED_FOLDERS
            ]
            for file_name in files:
                if file_name.endswith(self.extensions):
                    yield Path(folder) / file_name
