"""Lexer tokens with exact spans, and their highlighting classes."""

from __future__ import annotations

import pytest

from prompt_tool.analysis.diagnostics import Position, Span
from prompt_tool.analysis.highlighting import HighlightToken, TokenKind, classify, highlight
from prompt_tool.analysis.positions import lex


def kinds(source: str) -> list[tuple[str, TokenKind]]:
    return [(token.value, kind) for token, kind in classify(lex(source))]


def test_spans_survive_whitespace_control_and_crlf() -> None:
    tokens = lex("{% if a -%}\r\n  {{- b }}")

    assert [(t.value, t.span) for t in tokens] == [
        ("{%", Span(Position(0, 0), Position(0, 2))),
        ("if", Span(Position(0, 3), Position(0, 5))),
        ("a", Span(Position(0, 6), Position(0, 7))),
        ("-%}", Span(Position(0, 8), Position(0, 11))),
        ("{{-", Span(Position(1, 2), Position(1, 5))),
        ("b", Span(Position(1, 6), Position(1, 7))),
        ("}}", Span(Position(1, 8), Position(1, 10))),
    ]


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        pytest.param(
            "{{ user.name | upper }}",
            [
                ("{{", TokenKind.DELIMITER),
                ("user", TokenKind.VARIABLE),
                (".", TokenKind.OPERATOR),
                ("name", TokenKind.PROPERTY),
                ("|", TokenKind.OPERATOR),
                ("upper", TokenKind.FILTER),
                ("}}", TokenKind.DELIMITER),
            ],
            id="attribute-and-filter",
        ),
        pytest.param(
            "{% if x is not defined %}",
            [
                ("{%", TokenKind.DELIMITER),
                ("if", TokenKind.KEYWORD),
                ("x", TokenKind.VARIABLE),
                ("is", TokenKind.KEYWORD),
                ("not", TokenKind.KEYWORD),
                ("defined", TokenKind.TEST),
                ("%}", TokenKind.DELIMITER),
            ],
            id="negated-test",
        ),
        pytest.param(
            "{% for f in files %}{{ m(1, 'a') }}{# note #}",
            [
                ("{%", TokenKind.DELIMITER),
                ("for", TokenKind.KEYWORD),
                ("f", TokenKind.VARIABLE),
                ("in", TokenKind.KEYWORD),
                ("files", TokenKind.VARIABLE),
                ("%}", TokenKind.DELIMITER),
                ("{{", TokenKind.DELIMITER),
                ("m", TokenKind.FUNCTION),
                ("(", TokenKind.OPERATOR),
                ("1", TokenKind.NUMBER),
                (",", TokenKind.OPERATOR),
                ("'a'", TokenKind.STRING),
                (")", TokenKind.OPERATOR),
                ("}}", TokenKind.DELIMITER),
                ("{#", TokenKind.COMMENT),
                ("note", TokenKind.COMMENT),
                ("#}", TokenKind.COMMENT),
            ],
            id="loop-call-comment",
        ),
    ],
)
def test_tokens_are_classified_by_context(
    source: str, expected: list[tuple[str, TokenKind]]
) -> None:
    assert kinds(source) == expected


def test_a_lexing_error_ends_the_tokens_instead_of_raising() -> None:
    assert [token.value for token in lex("{{ a }} {{ 'unterminated")] == ["{{", "a", "}}", "{{"]


def test_multi_line_tokens_are_split_per_line() -> None:
    assert highlight("{# one\ntwo #}") == [
        HighlightToken(0, 0, 2, TokenKind.COMMENT),
        HighlightToken(0, 3, 3, TokenKind.COMMENT),
        HighlightToken(1, 0, 3, TokenKind.COMMENT),
        HighlightToken(1, 4, 2, TokenKind.COMMENT),
    ]
