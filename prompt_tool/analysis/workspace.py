"""The analyser's public entry point: a set of templates checked together.

The linter, `templates publish` and the language server all go through `Workspace`, so
they can never disagree. It holds template sources by name, asks an external
`TemplateSource` (files under the roots, published templates) for names it does not hold,
and returns diagnostics per template.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Protocol

from jinja2 import Environment, TemplateSyntaxError

from prompt_tool.analysis.diagnostics import Diagnostic, Severity, Span
from prompt_tool.analysis.typeinfo import Contract, TypeInfo


class TemplateSource(Protocol):
    """Templates the workspace does not hold itself: workspace files, the database."""

    def get_source(self, name: str) -> str | None:
        """The source of template `name`, or None when it does not exist."""

    def list_names(self) -> Iterable[str]:
        """Every template name this source can serve (for completion and partial checks)."""


class TypeResolver(Protocol):
    """Turns a type expression from a header or config (`list[str]`, `pkg.mod:Name`) into a type."""

    def resolve(self, expression: str) -> TypeInfo:
        """The type `expression` names; raise or return Any when it cannot be resolved."""


@dataclass(frozen=True)
class AnalysisConfig:
    """Settings that change what the analyser reports."""

    disabled_codes: frozenset[str] = frozenset()
    extra_globals: frozenset[str] = frozenset()
    extra_filters: frozenset[str] = frozenset()
    extra_tests: frozenset[str] = frozenset()
    extensions: tuple[str, ...] = ()
    contracts: dict[str, Contract] = field(default_factory=dict)
    contracts_by_glob: Mapping[str, Contract] = field(default_factory=dict)
    phase: str | None = None
    type_resolver: TypeResolver | None = None


class Workspace:
    """Templates checked together, so that includes, cycles and partials are seen whole."""

    def __init__(
        self, config: AnalysisConfig | None = None, external: TemplateSource | None = None
    ):
        self.config = config or AnalysisConfig()
        self.external = external
        self._documents: dict[str, str] = {}
        self._environment = Environment(extensions=list(self.config.extensions))

    def set_document(self, name: str, source: str) -> set[str]:
        """Add or replace a template; returns the names whose diagnostics may have changed."""
        self._documents[name] = source
        return {name}

    def remove_document(self, name: str) -> set[str]:
        """Forget a template; returns the names whose diagnostics may have changed."""
        self._documents.pop(name, None)
        return {name}

    def names(self) -> list[str]:
        return sorted(self._documents)

    def diagnostics(self, name: str) -> list[Diagnostic]:
        """Every finding for template `name`, sorted by position."""
        source = self._documents.get(name)
        if source is None:
            return []
        try:
            self._environment.parse(source, name)
        except TemplateSyntaxError as error:
            line = max((error.lineno or 1) - 1, 0)
            return [
                Diagnostic(
                    "PT001",
                    Severity.ERROR,
                    error.message or "syntax error",
                    name,
                    Span.at(line, 0, len(source.splitlines()[line]) if source else 0),
                )
            ]
        return []
