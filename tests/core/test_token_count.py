"""The default token estimate follows its documented rule; a project's counter plugs in."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from prompt_tool.core.token_count import (
    CallableTokenCounter,
    HeuristicTokenCounter,
    count_tokens,
)


@pytest.mark.parametrize(
    ("text", "tokens"),
    [
        pytest.param("", 0, id="empty"),
        pytest.param("word", 1, id="four-letters"),
        pytest.param("words", 2, id="five-letters"),
        pytest.param("a b  c\n", 3, id="whitespace-is-free"),
        pytest.param("12345", 2, id="digits-by-three"),
        pytest.param("## x.", 4, id="each-symbol-one"),
        pytest.param("café", 1, id="unicode-letters"),
    ],
)
def test_the_heuristic_counts_by_its_rule(text: str, tokens: int) -> None:
    assert HeuristicTokenCounter()(text) == tokens


def test_any_callable_can_count() -> None:
    counter = CallableTokenCounter("words", lambda text: len(text.split()))
    assert (counter("one two three"), counter.name) == (3, "words")
    with pytest.raises(TypeError):
        CallableTokenCounter("broken", 42)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(max_size=40), max_size=12))
def test_counting_line_by_line_equals_counting_the_whole_text(lines: list[str]) -> None:
    text = "\n".join(lines)
    counter = HeuristicTokenCounter()
    assert counter(text) == count_tokens(text)
    assert counter(text) == count_tokens(text)  # the second time from the kept lines
