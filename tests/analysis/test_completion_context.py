"""The completion context at the cursor, read from half-typed text."""

from __future__ import annotations

import pytest

from prompt_tool.analysis.completion_context import ContextKind, completion_context
from prompt_tool.analysis.diagnostics import Position


@pytest.mark.parametrize(
    ("typed", "kind", "prefix", "owner"),
    [
        pytest.param("{{ a | up", ContextKind.FILTER, "up", (), id="filter"),
        pytest.param('{{ x | default("a") | ', ContextKind.FILTER, "", (), id="chained-filter"),
        pytest.param(
            "{{ user.profile.na", ContextKind.ATTRIBUTE, "na", ("user", "profile"), id="attr"
        ),
        pytest.param("{% if a is not de", ContextKind.TEST, "de", (), id="negated-test"),
        pytest.param("{% if a is ", ContextKind.TEST, "", (), id="test"),
        pytest.param("{% bl", ContextKind.TAG, "bl", (), id="tag"),
        pytest.param("{%- ", ContextKind.TAG, "", (), id="tag-after-dash"),
        pytest.param("{% block ", ContextKind.BLOCK_NAME, "", (), id="block-name"),
        pytest.param("{{ pro", ContextKind.EXPRESSION, "pro", (), id="expression"),
        pytest.param("{% for x in ite", ContextKind.EXPRESSION, "ite", (), id="loop-iterable"),
        pytest.param("{{ x }} te", ContextKind.NONE, "te", (), id="plain-text"),
        pytest.param("{# {{ a", ContextKind.NONE, "a", (), id="comment"),
    ],
)
def test_context_kinds(typed: str, kind: ContextKind, prefix: str, owner: tuple[str, ...]) -> None:
    context = completion_context(typed, Position(0, len(typed)))

    assert (context.kind, context.prefix, context.owner) == (kind, prefix, owner)
    assert context.span.start == Position(0, len(typed) - len(prefix))


@pytest.mark.parametrize(
    ("typed", "tag", "prefix"),
    [
        pytest.param('{% include "partials/fi', "include", "partials/fi", id="include"),
        pytest.param("{% extends '", "extends", "", id="extends-empty"),
        pytest.param('{% from "ma', "from", "ma", id="from"),
        pytest.param('{% include ["a.j2", "b', "include", "b", id="second-of-a-list"),
    ],
)
def test_inside_a_template_name_string(typed: str, tag: str, prefix: str) -> None:
    context = completion_context("line one\n" + typed, Position(1, len(typed)))

    assert (context.kind, context.tag, context.prefix) == (ContextKind.TEMPLATE_NAME, tag, prefix)
    assert context.span.start == Position(1, len(typed) - len(prefix))


def test_a_closed_include_string_is_not_a_template_name_context() -> None:
    typed = '{% include "a.j2" with '

    assert completion_context(typed, Position(0, len(typed))).kind == ContextKind.EXPRESSION
