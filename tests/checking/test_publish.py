"""Publish finds and names files as lint does: one discovery rule, every template ending."""

from __future__ import annotations

from pathlib import Path

import pytest

from prompt_tool.checking.publish import collect_files
from prompt_tool.checking.settings import ProjectSettings, parse_settings
from prompt_tool.core.errors import UsageError


def test_include_names_from_folders_and_single_files(tmp_path: Path) -> None:
    (tmp_path / "root" / "partials").mkdir(parents=True)
    (tmp_path / "root" / "analysis.j2").write_text("a")
    (tmp_path / "root" / "partials" / "c.j2").write_text("c")
    (tmp_path / "loose" / "partials").mkdir(parents=True)
    (tmp_path / "loose" / "partials" / "d.j2").write_text("d")
    files = collect_files(
        [tmp_path / "root", tmp_path / "loose" / "partials" / "d.j2"], ProjectSettings(tmp_path)
    )
    assert sorted(file.include_name for file in files) == [
        "analysis.j2",
        "partials/c.j2",
        "partials/d.j2",
    ]


def test_every_configured_ending_is_published(tmp_path: Path) -> None:
    (tmp_path / "t").mkdir()
    for name in ("analysis.jinja", "orchestrator.j2", "notes.txt"):
        (tmp_path / "t" / name).write_text("x")
    files = collect_files([tmp_path / "t"], ProjectSettings(tmp_path))
    assert [file.include_name for file in files] == ["analysis.jinja", "orchestrator.j2"]
    only_j2 = parse_settings({"lint": {"extensions": [".j2"]}}, None, tmp_path)
    assert [file.include_name for file in collect_files([tmp_path / "t"], only_j2)] == [
        "orchestrator.j2"
    ]


def test_configured_roots_name_files_as_lint_does(tmp_path: Path) -> None:
    (tmp_path / "prompts" / "partials").mkdir(parents=True)
    (tmp_path / "prompts" / "partials" / "p.j2").write_text("p")
    settings = parse_settings({"lint": {"roots": ["prompts"]}}, None, tmp_path)
    [file] = collect_files([tmp_path / "prompts" / "partials" / "p.j2"], settings)
    assert file.include_name == "partials/p.j2"


def test_a_folder_without_templates_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match=r"no templates \(\*\.j2 \*\.jinja"):
        collect_files([tmp_path], ProjectSettings(tmp_path))
