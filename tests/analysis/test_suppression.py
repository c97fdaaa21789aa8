"""Per-line suppression comments: `{# prompt-tool: disable=PT003 #}`."""

from __future__ import annotations

import pytest

from prompt_tool.analysis.diagnostics import Diagnostic, Severity, Span
from prompt_tool.analysis.suppression import apply_suppressions, suppressed_codes


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        pytest.param("{{ x }}", {}, id="none"),
        pytest.param("{{ x }} {# prompt-tool: disable=PT002 #}", {0: {"PT002"}}, id="same-line"),
        pytest.param(
            "a\n  {#- prompt-tool: disable=pt002, PT003 -#}\n{{ x }}",
            {2: {"PT002", "PT003"}},
            id="own-line-applies-to-next",
        ),
        pytest.param(
            "{#- prompt-tool: phase=analysis -#}\n{{ x }}", {}, id="header-is-not-a-suppression"
        ),
    ],
)
def test_suppressed_codes(source: str, expected: dict[int, set[str]]) -> None:
    assert suppressed_codes(source) == expected


def test_apply_suppressions_keeps_other_codes_and_lines() -> None:
    source = "{{ a }} {# prompt-tool: disable=PT002 #}\n{{ b }}"
    found = [
        Diagnostic("PT002", Severity.ERROR, "a", "t.j2", Span.at(0, 3)),
        Diagnostic("PT004", Severity.ERROR, "a.x", "t.j2", Span.at(0, 3)),
        Diagnostic("PT002", Severity.ERROR, "b", "t.j2", Span.at(1, 3)),
    ]
    kept = apply_suppressions(found, source)
    assert [(d.code, d.span.start.line) for d in kept] == [("PT004", 0), ("PT002", 1)]
