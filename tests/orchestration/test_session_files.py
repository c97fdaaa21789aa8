"""Session files: read from disk once, capped, merged by path, validated when read back."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from prompt_tool.core.contract import FileInfo
from prompt_tool.core.errors import UsageError, ValidationError
from prompt_tool.orchestration.session_files import (
    CONTENT_LIMIT,
    MAX_FILES,
    files_from_json,
    files_to_json,
    language_of,
    merged_files,
    read_session_file,
)


@pytest.mark.parametrize(
    ("name", "language"),
    [
        pytest.param("a.py", "python", id="python"),
        pytest.param("A.TS", "typescript", id="upper-case-suffix"),
        pytest.param("x/y.j2", "jinja", id="jinja"),
        pytest.param("Makefile", "text", id="no-suffix"),
        pytest.param("a.unknown", "text", id="unknown"),
    ],
)
def test_language_comes_from_the_extension(name: str, language: str) -> None:
    assert language_of(Path(name)) == language


def test_a_file_under_the_root_is_shown_relative_with_its_content(tmp_path: Path) -> None:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "cart.py").write_text("\n  def total(): ...\n", encoding="utf-8")
    info = read_session_file(tmp_path / "src" / "cart.py", tmp_path)
    assert info == FileInfo(
        "src/cart.py", "python", 20, "\n  def total(): ...\n", "def total(): ..."
    )


def test_a_large_file_keeps_its_size_and_first_line_not_its_content(tmp_path: Path) -> None:
    path = tmp_path / "big.txt"
    path.write_text("header\n" + "x" * CONTENT_LIMIT, encoding="utf-8")
    info = read_session_file(path, tmp_path)
    assert info.content == "" and info.size == CONTENT_LIMIT + 7
    assert info.summary.startswith("header (content left out:")


def test_merging_replaces_a_path_given_again_and_enforces_the_caps() -> None:
    a1 = FileInfo("a.py", "python", 1, "1", "1")
    b = FileInfo("b.py", "python", 1, "b", "b")
    a2 = FileInfo("a.py", "python", 1, "2", "2")
    assert merged_files([a1, b], [a2]) == [b, a2]
    many = [FileInfo(f"{n}.py", "python", 0, "", "") for n in range(MAX_FILES + 1)]
    with pytest.raises(UsageError, match="at most"):
        merged_files([], many)
    heavy = [FileInfo(f"{n}.py", "python", 0, "x" * CONTENT_LIMIT, "") for n in range(17)]
    with pytest.raises(UsageError, match="cap of a session"):
        merged_files([], heavy)


def test_stored_files_round_trip() -> None:
    files = [FileInfo("a.py", "python", 1, "1", "1")]
    assert files_from_json(files_to_json(files)) == files
    assert files_from_json(None) == []


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        pytest.param({"a": 1}, "must be a list", id="not-a-list"),
        pytest.param([{"path": "a"}], "must have exactly", id="missing-keys"),
        pytest.param(
            [{"path": 1, "language": "", "size": 0, "content": "", "summary": ""}],
            r"\[0\]\.path must be a str",
            id="wrong-type",
        ),
        pytest.param(
            [{"path": "a", "language": "", "size": True, "content": "", "summary": ""}],
            "size must be a int",
            id="bool-size",
        ),
        pytest.param(
            [{"path": "a", "language": "", "size": 10**30, "content": "", "summary": ""}],
            "size is out of range",
            id="huge-size",
        ),
    ],
)
def test_bad_stored_files_are_one_line(raw: Any, message: str) -> None:
    with pytest.raises(ValidationError, match=message) as caught:
        files_from_json(raw)
    assert "\n" not in str(caught.value)
