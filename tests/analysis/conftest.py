"""Fixtures for analyser tests: a workspace factory and a helper that finds expected ranges."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import pytest

from prompt_tool.analysis.diagnostics import Diagnostic, Position, Span
from prompt_tool.analysis.document import DocumentModel
from prompt_tool.analysis.workspace import AnalysisConfig, Workspace


@dataclass(frozen=True)
class Found:
    """A diagnostic reduced to what tests compare: code, 0-based range, path."""

    code: str
    start: tuple[int, int]
    end: tuple[int, int]
    path: str


def text_span(source: str, needle: str, nth: int = 0) -> Span:
    """The range of the nth occurrence of `needle` in `source`, computed from the text alone."""
    offset = -1
    for _ in range(nth + 1):
        offset = source.index(needle, offset + 1)
    line = source.count("\n", 0, offset)
    column = offset - (source.rfind("\n", 0, offset) + 1)
    return Span(Position(line, column), Position(line, column + len(needle)))


def word_span(source: str, word: str, nth: int) -> Span:
    """The nth (0-based) occurrence of the whole word `word`, as a span."""
    offset = [found.start() for found in re.finditer(rf"\b{word}\b", source)][nth]
    line = source.count("\n", 0, offset)
    column = offset - (source.rfind("\n", 0, offset) + 1)
    return Span(Position(line, column), Position(line, column + len(word)))


def model_of(source: str, name: str = "t.j2") -> DocumentModel:
    """The analyser's model of `source` held alone in a workspace, as template `name`."""
    workspace = Workspace()
    workspace.set_document(name, source)
    model = workspace.document(name)
    assert model is not None
    return model


def found(diagnostic: Diagnostic) -> Found:
    span = diagnostic.span
    return Found(
        diagnostic.code,
        (span.start.line, span.start.column),
        (span.end.line, span.end.column),
        diagnostic.path,
    )


def expect(source: str, code: str, needle: str, nth: int = 0, path: str = "t.j2") -> Found:
    span = text_span(source, needle, nth)
    return Found(code, (span.start.line, span.start.column), (span.end.line, span.end.column), path)


Analyse = Callable[..., list[Diagnostic]]


@pytest.fixture
def analyse() -> Analyse:
    """Diagnostics of `name` in a workspace holding `templates` (a str is one template t.j2)."""

    def run(
        templates: Mapping[str, str] | str,
        name: str = "t.j2",
        config: AnalysisConfig | None = None,
        phase: str | None = "orchestrator",
    ) -> list[Diagnostic]:
        sources = {"t.j2": templates} if isinstance(templates, str) else dict(templates)
        chosen = config or AnalysisConfig(phase=phase)
        workspace = Workspace(chosen)
        for key, value in sources.items():
            workspace.set_document(key, value)
        return workspace.diagnostics(name)

    return run


@pytest.fixture(name="expect")
def expect_fixture() -> Callable[..., Found]:
    """`expect(source, code, needle, nth=0, path="t.j2")`: the finding a test expects."""
    return expect


@pytest.fixture(name="found")
def found_fixture() -> Callable[[Diagnostic], Found]:
    """Reduce a diagnostic to (code, start, end, path) for comparison."""
    return found
