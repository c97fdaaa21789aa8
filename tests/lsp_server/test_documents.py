"""Lines are counted as LSP counts them (only `\\n`, `\\r\\n`, `\\r`), in the server's copy of
each document and in every range it sends."""

from __future__ import annotations

from pathlib import Path

import pytest
from lsprotocol import types

from lsp_server.convert import split_lines
from lsp_server.documents import lines_with_ends

ODD_BREAKS = ["\u2028", "\u2029", "\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\x85"]


@pytest.mark.parametrize(
    ("source", "lines"),
    [
        pytest.param("a\nb", ["a", "b"], id="lf"),
        pytest.param("a\r\nb\rc", ["a", "b", "c"], id="crlf-and-cr"),
        pytest.param("a\n", ["a", ""], id="trailing-newline"),
        pytest.param("", [""], id="empty"),
        *(
            pytest.param(f"a{char}b\nc", [f"a{char}b", "c"], id=f"U+{ord(char):04X}-is-no-break")
            for char in ODD_BREAKS
        ),
    ],
)
def test_split_lines_breaks_only_where_lsp_does(source: str, lines: list[str]) -> None:
    assert split_lines(source) == lines
    assert "".join(lines_with_ends(source)) == source
    with_ends = lines_with_ends(source)
    assert [line.rstrip("\r\n") for line in with_ends] == (lines[:-1] if not lines[-1] else lines)


@pytest.mark.parametrize("char", [pytest.param(c, id=f"U+{ord(c):04X}") for c in ODD_BREAKS])
async def test_an_edit_after_an_odd_line_separator_lands_on_the_right_line(
    lsp, tmp_path: Path, char: str
) -> None:
    await lsp.initialize(tmp_path)
    uri = lsp.open(tmp_path / "a.j2", f"{{# one{char}two{char}three #}}\n{{{{ x }}\n")

    (broken,) = await lsp.published_version(uri, 1)
    lsp.change(uri, 2, "}}", types.Range(types.Position(1, 6), types.Position(1, 7)))

    assert broken.code == "PT001" and broken.range.start.line == 1
    assert await lsp.published_version(uri, 2) == []
