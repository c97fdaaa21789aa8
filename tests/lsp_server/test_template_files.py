"""TemplateFiles: a kept text is served only while the file is unchanged on disk."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from lsp_server.template_files import TemplateFiles, TemplateFolders


@pytest.fixture
def folders(tmp_path: Path) -> TemplateFolders:
    (tmp_path / "partials").mkdir()
    (tmp_path / "partials" / "part.j2").write_text("first\n", encoding="utf-8")
    return TemplateFolders([TemplateFiles(tmp_path, ["."], [".j2"])])


def test_a_file_rewritten_with_the_same_size_and_time_is_read_again(
    folders: TemplateFolders, tmp_path: Path
) -> None:
    """Same size, same modification time (restored): the change time and inode still move."""
    path = tmp_path / "partials" / "part.j2"
    assert folders.get_source("partials/part.j2") == "first\n"
    before = path.stat()
    replacement = tmp_path / "partials" / "part.j2.new"
    replacement.write_text("again\n", encoding="utf-8")
    os.replace(replacement, path)
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert folders.get_source("partials/part.j2") == "again\n"
    path.write_text("third\n", encoding="utf-8")
    assert folders.get_source("partials/part.j2") == "third\n"


def test_find_gives_the_path_and_text_and_forgets_a_deleted_file(
    folders: TemplateFolders, tmp_path: Path
) -> None:
    path = tmp_path / "partials" / "part.j2"
    assert folders.find("partials/part.j2") == (path.resolve(), "first\n")
    assert folders.find("partials/part.j2") == (path.resolve(), "first\n")
    path.unlink()
    assert folders.find("partials/part.j2") is None
    assert folders.get_source("partials/part.j2") is None
