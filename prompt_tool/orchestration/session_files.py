"""The files a session renders with: read once from `--file PATH`, stored, validated on the way back.

The contract's `files` (analysis and implementation phases) is filled from these. A file is
read when it is given, not when a phase renders, so a later render (a retry, an import in
another database) shows the same text. Sizes are capped so that a session row stays small:
a file over `CONTENT_LIMIT` keeps its path, language, size and first line, not its content;
a session carries at most `MAX_FILES` files and `TOTAL_CONTENT_LIMIT` bytes of content.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Iterable, Sequence
from pathlib import Path, PurePath
from typing import Any

from prompt_tool.core.contract import FileInfo
from prompt_tool.core.errors import UsageError, ValidationError

CONTENT_LIMIT = 64 * 1024
TOTAL_CONTENT_LIMIT = 1024 * 1024
MAX_FILES = 200
SUMMARY_LENGTH = 200
LANGUAGES: dict[str, str] = {
    ".py": "python",
    ".pyi": "python",
    ".js": "javascript",
    ".mjs": "javascript",
    ".jsx": "javascript",
    ".ts": "typescript",
    ".tsx": "typescript",
    ".go": "go",
    ".rs": "rust",
    ".java": "java",
    ".kt": "kotlin",
    ".rb": "ruby",
    ".php": "php",
    ".c": "c",
    ".h": "c",
    ".cc": "cpp",
    ".cpp": "cpp",
    ".hpp": "cpp",
    ".cs": "csharp",
    ".swift": "swift",
    ".sh": "shell",
    ".bash": "shell",
    ".sql": "sql",
    ".html": "html",
    ".css": "css",
    ".md": "markdown",
    ".rst": "rst",
    ".json": "json",
    ".yaml": "yaml",
    ".yml": "yaml",
    ".toml": "toml",
    ".j2": "jinja",
    ".jinja": "jinja",
    ".lua": "lua",
}
FIELDS: dict[str, type] = {
    "path": str,
    "language": str,
    "size": int,
    "content": str,
    "summary": str,
}


def language_of(path: PurePath) -> str:
    """The language a file's extension names, `text` when unknown."""
    return LANGUAGES.get(path.suffix.lower(), "text")


def summarize(text: str) -> str:
    """The first non-empty line, shortened: a file's summary, and a phase output's."""
    first = next((line.strip() for line in text.splitlines() if line.strip()), "")
    return first if len(first) <= SUMMARY_LENGTH else first[: SUMMARY_LENGTH - 1] + "…"


def _shown_path(path: Path, root: Path) -> str:
    """Relative to `root` when the file is under it, else as given."""
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return path.as_posix()


def read_session_file(path: Path, root: Path) -> FileInfo:
    """`path` as the contract shows it; a missing, unreadable or non-text file is a usage error."""
    try:
        data = path.read_bytes()
    except OSError as error:
        raise UsageError(f"--file {path}: cannot read: {error.strerror or error}") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise UsageError(f"--file {path}: not UTF-8 text") from None
    summary = summarize(text)
    content = text
    if len(data) > CONTENT_LIMIT:
        content = ""
        note = f"(content left out: {len(data)} bytes, over the {CONTENT_LIMIT}-byte cap)"
        summary = f"{summary} {note}" if summary else note
    return FileInfo(_shown_path(path, root), language_of(path), len(data), content, summary)


def read_session_files(paths: Iterable[Path], root: Path | None = None) -> list[FileInfo]:
    """Every `--file`, read now (relative paths shown from `root`, default the working dir)."""
    base = root or Path(os.getcwd())
    return [read_session_file(path, base) for path in paths]


def merged_files(stored: Sequence[FileInfo], added: Sequence[FileInfo]) -> list[FileInfo]:
    """`stored` with `added` appended; a path given again replaces its earlier entry.

    Raises a usage error past `MAX_FILES` files or `TOTAL_CONTENT_LIMIT` bytes of content.
    """
    by_path = {item.path: item for item in stored}
    for item in added:
        by_path.pop(item.path, None)
        by_path[item.path] = item
    files = list(by_path.values())
    if len(files) > MAX_FILES:
        raise UsageError(f"--file: a session holds at most {MAX_FILES} files ({len(files)} given)")
    total = sum(len(item.content.encode("utf-8")) for item in files)
    if total > TOTAL_CONTENT_LIMIT:
        raise UsageError(
            f"--file: {total} bytes of file content, over the {TOTAL_CONTENT_LIMIT}-byte"
            " cap of a session; give fewer or smaller files"
        )
    return files


def files_to_json(files: Sequence[FileInfo]) -> list[dict[str, Any]]:
    return [dataclasses.asdict(item) for item in files]


def files_from_json(raw: Any, where: str = "render_inputs.files") -> list[FileInfo]:
    """Stored (or imported) files back as `FileInfo`; wrong shapes or sizes are one line."""
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise ValidationError(f"{where} must be a list")
    if len(raw) > MAX_FILES:
        raise ValidationError(f"{where} has {len(raw)} files; at most {MAX_FILES}")
    files = []
    for index, item in enumerate(raw):
        if not isinstance(item, dict) or set(item) != set(FIELDS):
            raise ValidationError(f"{where}[{index}] must have exactly {', '.join(FIELDS)}")
        for key, kind in FIELDS.items():
            value = item[key]
            if not isinstance(value, kind) or isinstance(value, bool):
                raise ValidationError(f"{where}[{index}].{key} must be a {kind.__name__}")
        if not 0 <= item["size"] < 2**63:
            raise ValidationError(f"{where}[{index}].size is out of range")
        if len(item["content"]) > CONTENT_LIMIT:
            raise ValidationError(f"{where}[{index}].content is over {CONTENT_LIMIT} characters")
        files.append(FileInfo(**item))
    return files
