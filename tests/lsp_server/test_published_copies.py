"""Read-only copies of published templates: where they go, and when they are rewritten."""

from __future__ import annotations

import stat
from pathlib import Path, PurePosixPath

import pytest

from lsp_server.published_copies import (
    READ_ONLY,
    PublishedCopies,
    cache_root,
    copy_name,
    store_key,
)


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        pytest.param({"PROMPT_TOOL_CACHE_DIR": "/c", "XDG_CACHE_HOME": "/x"}, "/c", id="override"),
        pytest.param({"XDG_CACHE_HOME": "/x"}, "/x", id="xdg"),
        pytest.param({}, str(Path.home() / ".cache"), id="home"),
    ],
)
def test_the_cache_root_follows_the_environment(environ: dict[str, str], expected: str) -> None:
    assert cache_root(environ) == Path(expected) / "prompt-tool" / "published"


@pytest.mark.parametrize(
    ("name", "version", "expected"),
    [
        pytest.param("partials/footer.j2", 3, "partials/footer.j2@v3.j2", id="nested"),
        pytest.param("system", 0, "system@v0", id="no-extension"),
        pytest.param("../escape.j2", 1, None, id="parent"),
        pytest.param("/etc/passwd", 1, None, id="absolute"),
        pytest.param("a//b.j2", 1, "a/b.j2@v1.j2", id="double-slash-normalised"),
    ],
)
def test_copy_names_keep_the_version_and_stay_inside_the_folder(
    name: str, version: int, expected: str | None
) -> None:
    assert copy_name(name, version) == (PurePosixPath(expected) if expected else None)


def test_each_store_has_its_own_short_folder() -> None:
    keys = {
        store_key("sqlite:///a.db", None, None),
        store_key("sqlite:///a.db", "shop", None),
        store_key("sqlite:///a.db", "shop", "chat"),
        store_key("sqlite:///b.db", None, None),
    }
    assert len(keys) == 4
    assert all(len(key) == 16 and "sqlite" not in key for key in keys)


def test_a_copy_is_read_only_and_rewritten_only_when_its_content_changes(tmp_path: Path) -> None:
    path = PublishedCopies(tmp_path).write("store", "partials/a.j2", 2, "Hello\r\n")
    assert path == tmp_path / "store" / "partials" / "a.j2@v2.j2"
    assert path.read_bytes() == b"Hello\r\n"
    assert stat.S_IMODE(path.stat().st_mode) == READ_ONLY
    written = path.stat().st_ino

    again = PublishedCopies(tmp_path).write("store", "partials/a.j2", 2, "Hello\r\n")
    changed = PublishedCopies(tmp_path).write("store", "partials/a.j2", 2, "Changed")

    assert again == path
    assert changed == path and path.read_text() == "Changed"
    assert path.stat().st_ino != written
    assert stat.S_IMODE(path.stat().st_mode) == READ_ONLY
    assert [p.name for p in path.parent.iterdir()] == ["a.j2@v2.j2"]


def test_two_versions_never_share_a_file(tmp_path: Path) -> None:
    copies = PublishedCopies(tmp_path)
    first = copies.write("store", "a.j2", 1, "one")
    second = copies.write("store", "a.j2", 2, "two")
    assert first is not None and second is not None and first != second
    assert (first.read_text(), second.read_text()) == ("one", "two")


def test_an_unwritable_folder_gives_no_copy(tmp_path: Path) -> None:
    (tmp_path / "store").write_text("a file where the folder should be")
    assert PublishedCopies(tmp_path).write("store", "a.j2", 1, "x") is None
