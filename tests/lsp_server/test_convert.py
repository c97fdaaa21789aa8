"""Conversion between the analyser's code-point positions and the client's encoding."""

from __future__ import annotations

import pytest
from lsprotocol import types

from lsp_server.convert import (
    ClientText,
    analysis_position,
    lsp_diagnostic,
    lsp_range,
    lsp_semantic_tokens,
    lsp_text_edit,
    result_id,
)
from prompt_tool.analysis.diagnostics import (
    Diagnostic,
    Fix,
    Position,
    RelatedLocation,
    Severity,
    Span,
)
from prompt_tool.analysis.highlighting import HighlightToken, TokenKind

LINE = "a😀é{{ x }}"
UTF8, UTF16, UTF32 = (
    types.PositionEncodingKind.Utf8,
    types.PositionEncodingKind.Utf16,
    types.PositionEncodingKind.Utf32,
)


@pytest.mark.parametrize(
    ("encoding", "start", "end"),
    [
        pytest.param(UTF16, 4, 11, id="utf-16"),
        pytest.param(UTF8, 7, 14, id="utf-8"),
        pytest.param(UTF32, 3, 10, id="utf-32"),
    ],
)
def test_ranges_count_in_the_client_encoding(encoding: str, start: int, end: int) -> None:
    text = ClientText([LINE], encoding)
    span = Span(Position(0, 3), Position(0, 10))

    converted = lsp_range(span, text)

    assert converted == types.Range(types.Position(0, start), types.Position(0, end))
    assert analysis_position(converted.start, text) == span.start
    assert analysis_position(converted.end, text) == span.end


def test_a_position_past_the_line_end_is_clamped() -> None:
    text = ClientText(["abc"])

    assert analysis_position(types.Position(0, 99), text) == Position(0, 3)
    assert analysis_position(types.Position(7, 1), text) == Position(7, 0)


def test_diagnostic_carries_code_source_and_related_locations_in_their_own_text() -> None:
    diagnostic = Diagnostic(
        "PT009",
        Severity.ERROR,
        "cycle a.j2 -> b.j2 -> a.j2",
        "a.j2",
        Span.at(0, 1, 2),
        related=(RelatedLocation("b.j2", Span.at(0, 2, 1), "b.j2 includes a.j2"),),
    )
    texts = {"b.j2": ClientText(["😀😀x"])}

    converted = lsp_diagnostic(
        diagnostic, ClientText(["xyz"]), lambda name: f"file:///t/{name}", texts.__getitem__
    )

    assert converted.code == "PT009" and converted.source == "prompt-tool"
    assert converted.severity == types.DiagnosticSeverity.Error
    assert converted.range == types.Range(types.Position(0, 1), types.Position(0, 3))
    assert converted.related_information == [
        types.DiagnosticRelatedInformation(
            types.Location(
                "file:///t/b.j2", types.Range(types.Position(0, 4), types.Position(0, 5))
            ),
            "b.j2 includes a.j2",
        )
    ]


def test_fix_becomes_a_text_edit() -> None:
    fix = Fix("Replace with 'user'", Span.at(0, 3, 4), "user")

    edit = lsp_text_edit(fix, ClientText(["{{ usr }}"]))

    assert edit == types.TextEdit(types.Range(types.Position(0, 3), types.Position(0, 7)), "user")


def test_semantic_tokens_are_delta_encoded_in_client_units() -> None:
    tokens = [
        HighlightToken(1, 0, 2, TokenKind.DELIMITER),
        HighlightToken(0, 3, 2, TokenKind.DELIMITER),
        HighlightToken(0, 6, 1, TokenKind.VARIABLE),
    ]

    data = lsp_semantic_tokens(tokens, ClientText([LINE, "{{"]))

    delimiter, variable = 0, 2
    assert data == [0, 4, 2, delimiter, 0, 0, 3, 1, variable, 0, 1, 0, 2, delimiter, 0]


def test_result_id_changes_only_with_content() -> None:
    first = [types.Diagnostic(types.Range(types.Position(0, 0), types.Position(0, 1)), "m")]
    same = [types.Diagnostic(types.Range(types.Position(0, 0), types.Position(0, 1)), "m")]
    moved = [types.Diagnostic(types.Range(types.Position(1, 0), types.Position(1, 1)), "m")]

    assert result_id(first) == result_id(same)
    assert result_id(first) != result_id(moved)
    assert result_id([]) != result_id(first)
