"""What the analyser reports: positions, ranges, rules and diagnostics (0-based inside)."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum


class Severity(IntEnum):
    """Severity levels, numbered as in LSP so that conversion at the edge is trivial."""

    ERROR = 1
    WARNING = 2
    INFORMATION = 3
    HINT = 4


@dataclass(frozen=True, order=True)
class Position:
    """A 0-based line and a 0-based column counted in Unicode code points."""

    line: int
    column: int


@dataclass(frozen=True, order=True)
class Span:
    """A half-open range [start, end) in one document."""

    start: Position
    end: Position

    @classmethod
    def at(cls, line: int, column: int, length: int = 1) -> Span:
        return cls(Position(line, column), Position(line, column + length))


@dataclass(frozen=True)
class Rule:
    """A check with a stable code; the code never changes meaning once released."""

    code: str
    name: str
    severity: Severity
    summary: str


@dataclass(frozen=True)
class RelatedLocation:
    """Another place that explains a diagnostic (a cycle member, the includer lacking a name)."""

    path: str
    span: Span
    message: str


@dataclass(frozen=True)
class Fix:
    """A replacement a quick fix can apply: put `replacement` where `span` is."""

    title: str
    span: Span
    replacement: str


@dataclass(frozen=True)
class Diagnostic:
    """One finding, at the exact token that caused it."""

    code: str
    severity: Severity
    message: str
    path: str
    span: Span
    related: tuple[RelatedLocation, ...] = ()
    fix: Fix | None = None
    tags: frozenset[str] = field(default_factory=frozenset)

    @property
    def rule(self) -> Rule:
        return RULES[self.code]


def _rules(*rules: Rule) -> dict[str, Rule]:
    return {rule.code: rule for rule in rules}


RULES: dict[str, Rule] = _rules(
    Rule("PT001", "syntax-error", Severity.ERROR, "The template does not parse."),
    Rule("PT002", "undefined-variable", Severity.ERROR, "A name no scope or contract defines."),
    Rule(
        "PT003",
        "possibly-undefined",
        Severity.WARNING,
        "A name assigned only on some paths is read where it may be unset.",
    ),
    Rule("PT004", "unknown-attribute", Severity.ERROR, "An attribute the contract type lacks."),
    Rule("PT005", "unknown-filter", Severity.ERROR, "A filter the environment does not register."),
    Rule("PT006", "unknown-test", Severity.ERROR, "A test the environment does not register."),
    Rule(
        "PT007", "missing-template", Severity.ERROR, "An include/extends/import target is missing."
    ),
    Rule("PT008", "dynamic-template-name", Severity.HINT, "A template name computed at render."),
    Rule("PT009", "include-cycle", Severity.ERROR, "Templates include each other in a cycle."),
    Rule(
        "PT010",
        "conditional-include-cycle",
        Severity.WARNING,
        "A cycle through a guarded include; it terminates only if the guard does.",
    ),
    Rule(
        "PT011",
        "loop-scoped-assignment",
        Severity.WARNING,
        "A `set` inside a loop body is read after the loop, where Jinja has discarded it.",
    ),
    Rule(
        "PT012",
        "unknown-phase",
        Severity.ERROR,
        "The template declares a phase that does not exist.",
    ),
    Rule("PT013", "invalid-header", Severity.ERROR, "A prompt-tool header comment cannot be read."),
    Rule("PT014", "unreadable-template", Severity.ERROR, "The file is not UTF-8 text."),
    Rule(
        "PT015",
        "invalid-pin",
        Severity.ERROR,
        "An include pins a version or label that does not exist.",
    ),
    Rule(
        "PT016",
        "invalid-contract",
        Severity.ERROR,
        "A contract type declared in the configuration cannot be resolved.",
    ),
    Rule(
        "PT017",
        "possibly-empty-index",
        Severity.WARNING,
        "An element of a list that may be empty (`files[0]`, `|first`) is read unguarded.",
    ),
    Rule(
        "PT018",
        "possibly-none-value",
        Severity.WARNING,
        "An attribute, item or element of an optional value is read where it may be None.",
    ),
    Rule(
        "PT019",
        "invalid-sample",
        Severity.ERROR,
        "A sample context file does not fit its phase's contract.",
    ),
)
