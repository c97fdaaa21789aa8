"""Templates on disk under each workspace folder's roots: names to paths and back, sources.

Discovery and decoding are the linter's (`prompt_tool.checking.discovery`), so names agree
with `templates lint`. Unlike the linter's `FileSystemSource`, a file is looked at on every
read: one edited outside the editor must be read again. Only the decoded text is kept, by
the file's status (inode, size, modification and change times, in nanoseconds), which any
write changes: a preview reads the twenty includes of a long template on every keystroke.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from prompt_tool.checking.discovery import decode_template, discover_templates, template_name

MAX_TEMPLATE_BYTES = 2_000_000
KEPT_TEXTS = 1024
"""How many files' decoded texts a folder keeps (a cache: see the module's docstring)."""

FileStatus = tuple[int, int, int, int]
"""(inode, size, modification time, change time), the last two in nanoseconds."""


class TemplateFiles:
    """The template files of one workspace folder; a `TemplateSource` for the analyser."""

    def __init__(self, folder: Path | None, roots: Sequence[str], extensions: Sequence[str]):
        self.folder = folder.resolve() if folder is not None else None
        self.roots: tuple[Path, ...] = (
            tuple((self.folder / root).resolve() for root in roots) if self.folder else ()
        )
        self.extensions = tuple(extensions)
        self._texts: dict[Path, tuple[FileStatus, str]] = {}

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
        return self.read(path) if path is not None else None

    def read(self, path: Path) -> str | None:
        """A template file's text; None when it is too large or cannot be read. The text
        is decoded again only when the file's status changed since the last read."""
        try:
            status = _status(path.stat())
            if status[1] > MAX_TEMPLATE_BYTES:
                return None
            kept = self._texts.get(path)
            if kept is not None and kept[0] == status:
                return kept[1]
            text, _ = decode_template(path.read_bytes(), str(path))
        except OSError:
            return None
        if text is not None:
            if len(self._texts) >= KEPT_TEXTS:
                self._texts.clear()
            self._texts[path] = (status, text)
        return text

    def list_names(self) -> list[str]:
        """Every template name under the roots, the first root winning on a clash."""
        roots = [root for root in self.roots if root.is_dir()]
        paths = discover_templates(roots, self.extensions)
        return list(dict.fromkeys(template_name(path, roots) for path in paths))


class TemplateFolders:
    """The template files of every workspace folder, each folder with its own roots.

    A file is named by the folder that holds it (the innermost, for nested folders), so a
    template in the second folder gets its include names from that folder's roots. Names
    are resolved through the folders in order: on a clash the earlier folder wins, as the
    earlier root does within one folder.
    """

    def __init__(self, folders: Sequence[TemplateFiles]):
        self.folders = tuple(folders)
        self.roots = tuple(root for files in self.folders for root in files.roots)
        self.extensions = tuple(
            dict.fromkeys(suffix for files in self.folders for suffix in files.extensions)
        )

    def is_template(self, path: Path) -> bool:
        return path.name.endswith(self.extensions)

    def holder(self, path: Path) -> TemplateFiles | None:
        """The innermost workspace folder holding `path`, if any."""
        resolved = path.resolve()
        holding = [
            files
            for files in self.folders
            if files.folder is not None and resolved.is_relative_to(files.folder)
        ]
        return max(holding, key=lambda files: len(str(files.folder)), default=None)

    def roots_for(self, path: Path) -> tuple[Path, ...]:
        """The roots of the folder holding `path`; every root when no folder holds it."""
        holder = self.holder(path)
        return holder.roots if holder is not None else self.roots

    def name_for(self, path: Path) -> str:
        """The include name of `path` in the folder that holds it, else absolute."""
        holder = self.holder(path)
        return holder.name_for(path) if holder is not None else path.resolve().as_posix()

    def path_for(self, name: str) -> Path | None:
        for files in self.folders:
            if (path := files.path_for(name)) is not None:
                return path
        return None

    def get_source(self, name: str) -> str | None:
        found = self.find(name)
        return found[1] if found is not None else None

    def find(self, name: str) -> tuple[Path, str | None] | None:
        """The file `name` resolves to and its text (None: unreadable), resolved once."""
        for files in self.folders:
            if (path := files.path_for(name)) is not None:
                return path, files.read(path)
        return None

    def list_names(self) -> list[str]:
        """Every template name of every folder, the earlier folder winning on a clash."""
        return list(dict.fromkeys(name for files in self.folders for name in files.list_names()))


def _status(status: os.stat_result) -> FileStatus:
    return (status.st_ino, status.st_size, status.st_mtime_ns, status.st_ctime_ns)
