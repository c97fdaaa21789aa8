"""Per-line suppression: `{# prompt-tool: disable=PT003 #}` silences codes on its line.

A comment that is alone on its line applies to the next line instead, so that a long
line need not grow; several codes are separated by commas.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable

from prompt_tool.analysis.diagnostics import Diagnostic

_DISABLE = re.compile(r"\{#-?\s*prompt-tool:\s*disable\s*=\s*([A-Za-z0-9_,\s]+?)\s*-?#\}")


def suppressed_codes(source: str) -> dict[int, frozenset[str]]:
    """0-based line → codes silenced on it."""
    if "prompt-tool:" not in source:
        return {}
    lines: dict[int, frozenset[str]] = {}
    starts = _line_starts(source)
    for match in _DISABLE.finditer(source):
        codes = frozenset(
            code.strip().upper() for code in match.group(1).split(",") if code.strip()
        )
        line = _line_of(starts, match.start())
        line_text = source[starts[line] : _line_end(source, starts[line])]
        target = line + 1 if line_text.strip() == match.group(0) else line
        lines[target] = lines.get(target, frozenset()) | codes
    return lines


def apply_suppressions(diagnostics: Iterable[Diagnostic], source: str) -> list[Diagnostic]:
    """The diagnostics no suppression comment in `source` silences."""
    silenced = suppressed_codes(source)
    if not silenced:
        return list(diagnostics)
    return [
        diagnostic
        for diagnostic in diagnostics
        if diagnostic.code not in silenced.get(diagnostic.span.start.line, frozenset())
    ]


def _line_starts(source: str) -> list[int]:
    starts = [0]
    starts.extend(match.end() for match in re.finditer("\n", source))
    return starts


def _line_of(starts: list[int], offset: int) -> int:
    return bisect.bisect_right(starts, offset) - 1


def _line_end(source: str, start: int) -> int:
    end = source.find("\n", start)
    return len(source) if end < 0 else end
