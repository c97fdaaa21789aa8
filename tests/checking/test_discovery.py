"""Template discovery, loader names and decoding of files on disk."""

from __future__ import annotations

from pathlib import Path

import pytest

from prompt_tool.analysis.diagnostics import Span
from prompt_tool.checking.discovery import (
    FileSystemSource,
    decode_template,
    discover_templates,
    template_name,
)
from prompt_tool.checking.settings import DEFAULT_EXTENSIONS
from prompt_tool.core.errors import UsageError


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    files = [
        "prompts/b.j2",
        "prompts/a.jinja",
        "prompts/notes.txt",
        "prompts/sub/c.jinja2",
        "prompts/sub/d.prompt",
        "prompts/.hidden/e.j2",
        "prompts/node_modules/f.j2",
        "shared/_footer.j2",
    ]
    for name in files:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"{{# {name} #}}")
    return tmp_path


def test_discovery_is_sorted_filtered_and_deduplicated(tree: Path) -> None:
    found = discover_templates(
        [tree / "prompts", tree / "prompts/b.j2", tree / "prompts/notes.txt"], DEFAULT_EXTENSIONS
    )
    relative = [path.relative_to(tree).as_posix() for path in found]
    assert relative == [
        "prompts/a.jinja",
        "prompts/b.j2",
        "prompts/notes.txt",
        "prompts/sub/c.jinja2",
        "prompts/sub/d.prompt",
    ]


def test_discovery_by_configured_extensions(tree: Path) -> None:
    found = discover_templates([tree], [".prompt"])
    assert [path.name for path in found] == ["d.prompt"]


def test_missing_path_is_a_usage_error(tree: Path) -> None:
    with pytest.raises(UsageError, match=r"PATH .*nope: no such file or directory"):
        discover_templates([tree / "nope"], DEFAULT_EXTENSIONS)


@pytest.mark.parametrize(
    ("relative", "expected"),
    [
        pytest.param("prompts/sub/c.jinja2", "sub/c.jinja2", id="first-root"),
        pytest.param("shared/_footer.j2", "_footer.j2", id="second-root"),
        pytest.param("elsewhere/x.j2", "x.j2", id="outside-roots"),
    ],
)
def test_template_names_are_relative_to_roots(tree: Path, relative: str, expected: str) -> None:
    assert template_name(tree / relative, [tree / "prompts", tree / "shared"]) == expected


def test_source_serves_names_relative_to_any_root(tree: Path) -> None:
    source = FileSystemSource([tree / "prompts", tree / "shared"], DEFAULT_EXTENSIONS)
    assert source.get_source("sub/c.jinja2") == "{# prompts/sub/c.jinja2 #}"
    assert source.get_source("_footer.j2") == "{# shared/_footer.j2 #}"
    assert source.get_source("c.jinja2") is None
    assert source.get_source("../shared/_footer.j2") is None
    assert list(source.list_names()) == [
        "a.jinja",
        "b.j2",
        "sub/c.jinja2",
        "sub/d.prompt",
        "_footer.j2",
    ]


@pytest.mark.parametrize(
    ("data", "span"),
    [
        pytest.param(b"\xff", Span.at(0, 0), id="first-byte"),
        pytest.param(b"ok\n{{ x }} \xc3\xa9 \xfe", Span.at(1, 10), id="after-multibyte"),
        pytest.param(b"a\nb\nc\xc3", Span.at(2, 1), id="truncated-sequence"),
    ],
)
def test_invalid_utf8_becomes_pt014_at_the_byte(data: bytes, span: Span) -> None:
    text, diagnostic = decode_template(data, "x.j2")
    assert text is None
    assert diagnostic is not None
    assert (diagnostic.code, diagnostic.path, diagnostic.span) == ("PT014", "x.j2", span)
    assert f"line {span.start.line + 1}" in diagnostic.message


def test_valid_utf8_with_bom_decodes() -> None:
    text, diagnostic = decode_template("\ufeff{{ é }}".encode(), "x.j2")
    assert (text, diagnostic) == ("{{ é }}", None)
