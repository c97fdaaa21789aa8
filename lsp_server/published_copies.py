"""Read-only copies on disk of published templates, so that an editor can open one.

Go to definition and document links need a URI; a template only the database holds has
none. Each version is written once under the user's cache folder, one folder per store
(database, project, feature type), with its version in the file name: two versions never
share a file, and an editor that still shows an old version shows what it was. The files
are made read-only because editing them would change nothing in the database.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path, PurePosixPath

from lsp_server.published import PublishedTemplates

CACHE_ENV = "PROMPT_TOOL_CACHE_DIR"
READ_ONLY = 0o444


def cache_root(environ: Mapping[str, str] | None = None) -> Path:
    """`$PROMPT_TOOL_CACHE_DIR`, else `$XDG_CACHE_HOME`, else `~/.cache`; then the
    `prompt-tool/published` folder inside it."""
    environ = os.environ if environ is None else environ
    base = environ.get(CACHE_ENV) or environ.get("XDG_CACHE_HOME") or ""
    return (Path(base) if base else Path.home() / ".cache") / "prompt-tool" / "published"


def store_key(url: str, project: str | None, feature_type: str | None) -> str:
    """A short stable folder name for one store; the URL itself may hold a password."""
    text = "\0".join([url, project or "", feature_type or ""])
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def copy_name(name: str, version: int) -> PurePosixPath | None:
    """`partials/footer.j2` v3 → `partials/footer.j2@v3.j2` (the extension kept last, so
    the editor still recognises the language); None for a name that would leave the folder."""
    path = PurePosixPath(name)
    if not name or path.is_absolute() or any(part in {"", ".", ".."} for part in path.parts):
        return None
    return path.with_name(f"{path.name}@v{version}{path.suffix}")


class PublishedCopies:
    """Writes the copies under `root`, remembering what it wrote to skip rewriting."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._written: dict[Path, str] = {}

    def copy_of(self, published: PublishedTemplates, reference: str) -> Path | None:
        """The copy of the version include `reference` opens in `published`, if it has one."""
        if published.url is None or (found := published.version_for(reference)) is None:
            return None
        name, chosen = found
        store = store_key(published.url, published.project, published.feature_type)
        return self.write(store, name, chosen.version, chosen.content)

    def path_for(self, store: str, name: str, version: int) -> Path | None:
        relative = copy_name(name, version)
        return self.root / store / relative if relative is not None else None

    def write(self, store: str, name: str, version: int, content: str) -> Path | None:
        """The copy of `name` v`version`, written if missing or different; None if `name`
        cannot be a path or the folder cannot be written."""
        path = self.path_for(store, name, version)
        if path is None:
            return None
        if self._written.get(path) == content and path.exists():
            return path
        try:
            if _read(path) != content:
                _write_atomically(path, content)
        except OSError:
            return None
        self._written[path] = content
        return path


def _read(path: Path) -> str | None:
    try:
        return path.read_bytes().decode("utf-8")
    except (OSError, UnicodeDecodeError):
        return None


def _write_atomically(path: Path, content: str) -> None:
    """Write beside the target and rename over it: a reader never sees half a file, and the
    rename replaces the old read-only copy without needing write permission on it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(content.encode("utf-8"))
        os.chmod(temporary, READ_ONLY)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
