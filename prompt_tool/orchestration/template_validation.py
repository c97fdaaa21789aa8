"""Publish-time checks: the analyser over the files being published plus what is published.

The analyser (`Workspace`) sees every file under its include name and, through
`DbTemplateSource`, the templates already published for the scope, so an include resolves
to a file of the same publish or to a stored version. Invalid pins (PT015) are reported by
the analyser when it supports `has_pin`; `pin_diagnostics` is the fallback for an analyser
that does not yet, and steps aside for any file the analyser already reported PT015 on.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass

from jinja2 import Environment, TemplateSyntaxError

from prompt_tool.analysis.diagnostics import Diagnostic, Severity, Span
from prompt_tool.analysis.workspace import AnalysisConfig, Workspace
from prompt_tool.orchestration.db_template_source import DbTemplateSource
from prompt_tool.orchestration.template_files import TemplateSpec, template_facts
from prompt_tool.orchestration.template_resolver import split_pin

INVALID_PIN = "PT015"
_LEXER = Environment(extensions=["jinja2.ext.loopcontrols"])


@dataclass(frozen=True)
class ValidationReport:
    """The diagnostics of a publish (paths are the files') and whether they block it."""

    diagnostics: list[Diagnostic]
    strict: bool

    @property
    def blocking(self) -> list[Diagnostic]:
        limit = Severity.WARNING if self.strict else Severity.ERROR
        return [item for item in self.diagnostics if item.severity <= limit]


def validate_specs(
    specs: Sequence[TemplateSpec], source: DbTemplateSource, strict: bool
) -> ValidationReport:
    """Every spec checked by the analyser against the others and `source` (the scope's store)."""
    workspace = Workspace(AnalysisConfig(), external=source)
    for spec in specs:
        workspace.set_document(spec.include_name, spec.content)
    found: list[Diagnostic] = []
    for spec in specs:
        own = workspace.diagnostics(spec.include_name)
        if not any(item.code == INVALID_PIN for item in own):
            own = [*own, *pin_diagnostics(spec, source)]
        found.extend(dataclasses.replace(item, path=spec.source_path) for item in own)
    found.sort(key=lambda item: (item.path, item.span.start, item.code))
    return ValidationReport(found, strict)


def pin_diagnostics(spec: TemplateSpec, source: DbTemplateSource) -> list[Diagnostic]:
    """PT015 for each `name@pin` that the slot `name` resolves to does not hold."""
    _variables, references = template_facts(spec.content)
    found = []
    for reference in references:
        base, pin = split_pin(reference)
        if pin is None or source.has_pin(base, pin):
            continue
        message = f"`{base}` has no version or label `{pin}`"
        found.append(
            Diagnostic(
                INVALID_PIN, Severity.ERROR, message, spec.source_path, _span_of(spec, reference)
            )
        )
    return found


def _span_of(spec: TemplateSpec, reference: str) -> Span:
    """Where the string literal naming `reference` is, found through Jinja's lexer."""
    lines = spec.content.splitlines()
    try:
        tokens = list(_LEXER.lex(spec.content))
    except TemplateSyntaxError:
        tokens = []
    for lineno, kind, value in tokens:
        if kind == "string" and reference in value and 0 < lineno <= len(lines):
            column = lines[lineno - 1].find(reference)
            return Span.at(lineno - 1, max(column - 1, 0), len(reference) + 2)
    return Span.at(0, 0)
