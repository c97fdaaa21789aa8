"""Templates on disk under a workspace folder's roots: names to paths and back, and sources.

Discovery and decoding are the linter's (`prompt_tool.analysis.filesystem`), so names agree
with `templates lint`. Unlike the linter's `FileSystemSource`, nothing is cached: a file
edited outside the editor must be read again when the client reports it.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from prompt_tool.analysis.filesystem import decode_template, discover_templates, template_name

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
            text, _ = decode_template(path.read_bytes(), str(path))
        except OSError:
            return None
        return text

    def list_names(self) -> list[str]:
        """Every template name under the roots, the first root winning on a clash."""
        roots = [root for root in self.roots if root.is_dir()]
        paths = discover_templates(roots, self.extensions)
        return list(dict.fromkeys(template_name(path, roots) for path in paths))
