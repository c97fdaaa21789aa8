"""Chained template sources: files first, then published templates."""

from __future__ import annotations

from pathlib import Path

from prompt_tool.analysis.sources import ChainedSource, MappingSource
from prompt_tool.checking.discovery import FileSystemSource
from prompt_tool.checking.settings import DEFAULT_EXTENSIONS


def test_files_take_precedence_and_names_are_merged(tmp_path: Path) -> None:
    (tmp_path / "shared.j2").write_text("from disk")
    published = MappingSource({"shared.j2": "from the store", "only_db.j2": "db"})
    chained = ChainedSource(FileSystemSource([tmp_path], DEFAULT_EXTENSIONS), published)
    assert chained.get_source("shared.j2") == "from disk"
    assert chained.get_source("only_db.j2") == "db"
    assert chained.get_source("nowhere.j2") is None
    assert list(chained.list_names()) == ["shared.j2", "only_db.j2"]
