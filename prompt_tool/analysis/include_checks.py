"""Findings about a template's include statements: missing (PT007), dynamic (PT008),
bad pins (PT015) and cycles (PT009/PT010). Pure: lookups are passed in."""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from prompt_tool.analysis.checks import suggestion
from prompt_tool.analysis.diagnostics import RULES, Diagnostic, Fix, RelatedLocation, Severity
from prompt_tool.analysis.includes import Cycle
from prompt_tool.analysis.parsing import IncludeRef, ParsedTemplate

PinCheck = Callable[[str, str], bool]


@dataclass(frozen=True)
class TemplateLookup:
    """What the include checks may ask: does a name exist, which existing name is most like
    a missing one, is a pin valid."""

    exists: Callable[[str], bool]
    suggest: Callable[[str], str | None]
    has_pin: PinCheck | None = None


NEIGHBOURS = 100


def closest_name(target: str, names: Sequence[str]) -> str | None:
    """The name in sorted `names` most like `target`. With thousands of published templates
    a full difflib pass takes a third of a second, so only the names sorted around `target`
    (its folder, its first letters) are compared: a typo in a name's first letters then
    goes without a suggestion, never a keystroke without a result."""
    if len(names) > 2 * NEIGHBOURS:
        at = bisect_left(names, target)
        names = names[max(at - NEIGHBOURS, 0) : at + NEIGHBOURS]
    return suggestion(target, names)


def include_diagnostics(parsed: ParsedTemplate, lookup: TemplateLookup) -> list[Diagnostic]:
    """PT007, PT008 and PT015 for every include/extends/import statement of `parsed`."""
    found: list[Diagnostic] = []
    for ref in parsed.includes:
        if not ref.names:
            found.append(_dynamic(parsed, ref))
        elif not ref.ignore_missing and not any(lookup.exists(name) for name in ref.names):
            found.append(_missing(parsed, ref, lookup))
        elif ref.pin is not None and lookup.has_pin is not None:
            found.extend(_bad_pin(parsed, ref, lookup.has_pin))
    return found


def _guards_never_change(cycle: Cycle, assigned: Callable[[str], frozenset[str] | None]) -> bool:
    guarded: set[str] = set()
    changed: set[str] = set()
    for edge in cycle.ring:  # the members in any order: one shared tuple, not a rotation
        names = edge.ref.guard_names
        member = assigned(edge.source)
        if names is None or member is None:
            return False
        guarded |= names
        changed |= member
    return not guarded & changed


def _dynamic(parsed: ParsedTemplate, ref: IncludeRef) -> Diagnostic:
    message = f"the {ref.kind} target is computed at render time; it cannot be checked"
    return Diagnostic("PT008", Severity.HINT, message, parsed.name, ref.span)


def _missing(parsed: ParsedTemplate, ref: IncludeRef, lookup: TemplateLookup) -> Diagnostic:
    shown = " or ".join(f"`{name}`" for name in ref.names)
    message = f"{ref.kind} target {shown} not found"
    best = lookup.suggest(ref.targets[0]) if len(ref.names) == 1 else None
    fix = None
    if best:
        quote = _quote_at(parsed, ref)
        message += f"; did you mean `{best}`?"
        fix = Fix(f"Replace with `{best}`", ref.span, f"{quote}{best}{quote}")
    return Diagnostic("PT007", Severity.ERROR, message, parsed.name, ref.span, fix=fix)


def _quote_at(parsed: ParsedTemplate, ref: IncludeRef) -> str:
    starts = parsed.tokens.lines.starts
    line = min(ref.span.start.line, len(starts) - 1)
    offset = starts[line] + ref.span.start.column
    char = parsed.source[offset] if offset < len(parsed.source) else "'"
    return char if char in "'\"" else "'"


def _bad_pin(parsed: ParsedTemplate, ref: IncludeRef, has_pin: PinCheck) -> list[Diagnostic]:
    name, pin = ref.targets[0], ref.pin
    if pin is None:
        return []
    try:
        if has_pin(name, pin):
            return []
    except Exception:
        return []
    message = f"`{name}` has no version or label `{pin}`"
    return [Diagnostic("PT015", Severity.ERROR, message, parsed.name, ref.span)]


MAX_CYCLE_RELATED = 20
"""Related locations a cycle's diagnostic lists: the next links of the chain, not all of
a cycle of thousands of templates on every member."""


def cycle_diagnostics(
    parsed: ParsedTemplate,
    cycle: Cycle | None,
    assigned: Callable[[str], frozenset[str] | None] | None = None,
) -> list[Diagnostic]:
    """PT009 (or PT010 when guarded) for a template on an include cycle, chain included.

    A guarded cycle whose guards read only names that no template on it assigns (`assigned`
    tells, per member) cannot end once entered: each pass sees the same values. That is
    PT009 too, since such a render always recurses until it is stopped.
    """
    if cycle is None:
        return []
    frozen = cycle.is_conditional and assigned is not None and _guards_never_change(cycle, assigned)
    conditional = cycle.is_conditional and not frozen
    code = "PT010" if conditional else "PT009"
    kind = "conditional include cycle" if conditional else "include cycle"
    message = f"{kind}: {cycle.chain()}"
    if conditional:
        message += " (ends only if a guard along it becomes false)"
    elif frozen:
        names = sorted({name for edge in cycle.ring for name in edge.ref.guard_names or ()})
        shown = ", ".join(f"`{name}`" for name in names) or "nothing"
        message += (
            f" (its guards read {shown}, which no template on the cycle assigns,"
            " so once entered it never ends)"
        )
    first, *rest = cycle.head(MAX_CYCLE_RELATED + 1)
    related = tuple(
        RelatedLocation(edge.source, edge.ref.span, f"{edge.source} → {edge.target}")
        for edge in rest
    )
    severity = RULES[code].severity
    return [Diagnostic(code, severity, message, parsed.name, first.ref.span, related)]
