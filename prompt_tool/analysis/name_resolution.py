"""Scope-aware navigation: which binding a variable refers to, and the uses of that binding.

Lexical navigation (`navigation.py`) treats a name as one name throughout the file, so two
`{% for item in ... %}` loops, or a `set` inside a macro and one at the top level, are
confused. Here the analyser's frames decide: a read refers to the binding in scope where
it stands (the innermost loop target or macro argument, else the nearest `set` before it
in the same or an enclosing frame); a variable is a name bound in one frame, so
reassigning it in that frame (`{% set total = total + x %}`) keeps it one variable.

It needs a model of the current text; the caller falls back to the lexical path when the
template does not parse (half-typed) or the model is of an older text.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeGuard

from prompt_tool.analysis.diagnostics import Position, Span
from prompt_tool.analysis.document import DocumentModel
from prompt_tool.analysis.highlighting import Statement, statements
from prompt_tool.analysis.navigation import NameKind, defined_names, definition_of, name_at, uses_of
from prompt_tool.analysis.positions import lex, normalise_newlines
from prompt_tool.analysis.scopes import Frame

ALWAYS_VISIBLE = frozenset({"loop", "argument", "with"})


@dataclass(frozen=True)
class Site:
    """Where a frame binds a name; `visible_from` is where a read starts to see it (the end
    of its `set` statement, so `{% set x = x + 1 %}` reads the previous `x`)."""

    name: str
    frame: Frame
    origin: str
    span: Span | None
    visible_from: Position


@dataclass(frozen=True)
class Resolution:
    """The variable under the cursor: the binding in effect there (None for a contract
    variable, a global or an undefined name), every binding site of the variable in its
    frame, and every read bound to it."""

    name: str
    definition: Site | None
    definitions: tuple[Span, ...]
    uses: tuple[Span, ...]


class _Scoped:
    """One parsed template's frames with the regions reads see them in, and its sites."""

    def __init__(
        self, frames: tuple[tuple[Frame, Span], ...], root: Frame, sites: list[Site]
    ) -> None:
        self.frames = frames
        self.root = root
        self.sites = sorted(sites, key=lambda site: site.visible_from)
        self._by_frame: dict[tuple[int, str], list[Site]] = {}
        for site in self.sites:
            self._by_frame.setdefault((id(site.frame), site.name), []).append(site)

    def sites_of(self, frame: Frame | None, name: str) -> list[Site]:
        return self._by_frame.get((id(frame), name), []) if frame is not None else []

    def frame_at(self, position: Position) -> Frame:
        inside = [
            (region.start, frame)
            for frame, region in self.frames
            if region.start <= position <= region.end
        ]
        return max(inside, key=lambda item: item[0])[1] if inside else self.root

    def resolve(self, name: str, position: Position) -> tuple[Frame | None, Site | None]:
        """The frame whose binding of `name` a read at `position` sees, and the site."""
        passed_late = False
        frame: Frame | None = self.frame_at(position)
        while frame is not None:
            site = self._visible(frame, name, position, passed_late)
            if site is not None:
                return frame, site
            if name in frame.bindings:
                return frame, None
            passed_late = passed_late or name in frame.late
            frame = frame.parent
        return None, None

    def _visible(self, frame: Frame, name: str, position: Position, anywhere: bool) -> Site | None:
        """The site of `name` in `frame` a read at `position` sees. Past a macro's or a
        block's frame (`anywhere`) the top level counts whole: they run when called."""
        own = self.sites_of(frame, name)
        always = [site for site in own if site.origin in ALWAYS_VISIBLE or site.span is None]
        if always:
            return always[-1]
        before = [site for site in own if site.visible_from <= position]
        if before:
            return before[-1]
        return own[0] if anywhere and own else None


def definition_at(model: DocumentModel | None, source: str, position: Position) -> Span | None:
    """Where the name under the cursor is bound: scoped when `model` is of `source`, else
    lexical. A contract variable, a global or an undefined name has no definition here."""
    found = resolve_at(model, position) if is_current(model, source) else None
    if found is not None and found.definition is not None:
        return found.definition.span
    token = name_at(source, position)
    lexical = definition_of(source, token.value, position) if token else None
    if found is not None and (lexical is None or lexical.kind != NameKind.IMPORT):
        return None
    return lexical.span if lexical else None


def uses_at(
    model: DocumentModel | None, source: str, position: Position, with_definitions: bool
) -> list[Span]:
    """The uses of the variable under the cursor (and its binding sites if asked), in
    document order: scoped when `model` is of `source`, else every use of the name."""
    found = resolve_at(model, position) if is_current(model, source) else None
    if found is None:
        token = name_at(source, position)
        return uses_of(source, token.value) if token else []
    spans = {*found.uses, *(found.definitions if with_definitions else ())}
    return sorted(spans, key=lambda span: span.start)


def is_current(model: DocumentModel | None, source: str) -> TypeGuard[DocumentModel]:
    """Whether `model` analysed `source` (the runner may hand back the last text that
    parsed, or one a keystroke has already changed)."""
    return (
        model is not None
        and model.analysis is not None
        and model.parsed.source == normalise_newlines(source)
    )


def resolve_at(model: DocumentModel, position: Position) -> Resolution | None:
    """The variable under the cursor, on a read or on a binding site; None when the model
    has no analysis or the cursor is on neither (the lexical path then answers)."""
    if model.analysis is None:
        return None
    scoped = _scope(model)
    read = next((ref for ref in model.references if _contains(ref.span, position)), None)
    if read is not None:
        name = read.name
        frame, site = scoped.resolve(name, read.span.start)
    else:
        site = next(
            (s for s in scoped.sites if s.span is not None and _contains(s.span, position)), None
        )
        if site is None:
            return None
        name, frame = site.name, site.frame
    uses = tuple(
        ref.span
        for ref in model.references
        if ref.name == name and scoped.resolve(name, ref.span.start)[0] is frame
    )
    definitions = tuple(s.span for s in scoped.sites_of(frame, name) if s.span is not None)
    return Resolution(name, site, definitions, uses)


def _contains(span: Span, position: Position) -> bool:
    return span.start <= position <= span.end


def _scope(model: DocumentModel) -> _Scoped:
    assert model.analysis is not None
    frames = model.analysis.frames
    tagged = statements(lex(model.parsed.source))
    ends = _statement_ends(tagged)
    sites = [
        Site(b.name, frame, b.origin, b.span, _visible_from(b.origin, b.span, tagged, ends))
        for frame in frames
        for b in frame.history
        if b.span is not None or b.origin in ALWAYS_VISIBLE
    ]
    known = {site.span for site in sites if site.span is not None}
    regions = _regions(frames, tagged)
    scoped = _Scoped(regions, frames[0], [])
    for defined in defined_names(model.parsed.source):
        if defined.kind == NameKind.VARIABLE and defined.span not in known:
            owner = scoped.frame_at(defined.span.start)
            visible = _visible_from("set", defined.span, tagged, ends)
            sites.append(Site(defined.name, owner, "set", defined.span, visible))
    return _Scoped(regions, frames[0], sites)


def _regions(frames: list[Frame], tagged: list[Statement]) -> tuple[tuple[Frame, Span], ...]:
    """Each frame's region; a loop's starts at its `if` filter, which sees the target."""
    regions: list[tuple[Frame, Span]] = []
    for frame in frames:
        if frame.region is None:
            continue
        start = frame.region.start
        if frame.kind == "loop":
            start = _loop_filter_start(frame, tagged) or start
        regions.append((frame, Span(start, frame.region.end)))
    return tuple(regions)


def _loop_filter_start(frame: Frame, tagged: list[Statement]) -> Position | None:
    target = next((b.span for b in frame.history if b.span is not None), None)
    head = _statement_at(tagged, target.start) if target is not None else None
    if head is None or head.tag != "for":
        return None
    depth = 0
    for token in head.body:
        if token.value in {"(", "[", "{"}:
            depth += 1
        elif token.value in {")", "]", "}"}:
            depth -= 1
        elif token.type == "name" and token.value == "if" and depth == 0:
            return token.span.start
    return None


def _visible_from(
    origin: str, span: Span | None, tagged: list[Statement], ends: dict[Span, Position]
) -> Position:
    if span is None:
        return Position(0, 0)
    statement = _statement_at(tagged, span.start)
    if statement is None or origin in ALWAYS_VISIBLE:
        return span.end
    return ends.get(statement.span, statement.span.end)


def _statement_at(tagged: list[Statement], position: Position) -> Statement | None:
    return next((item for item in tagged if _contains(item.span, position)), None)


def _statement_ends(tagged: list[Statement]) -> dict[Span, Position]:
    """A block `{% set x %}…{% endset %}` binds at its `endset`: its body reads the old `x`."""
    ends: dict[Span, Position] = {}
    open_sets: list[Statement] = []
    for item in tagged:
        if item.tag == "set" and not any(token.value == "=" for token in item.body):
            open_sets.append(item)
        elif item.tag == "endset" and open_sets:
            ends[open_sets.pop().span] = item.span.end
    return ends


def scope_of(model: DocumentModel) -> _Scoped:
    """The frames and binding sites of a model that analysed its text (for renaming,
    which asks where a second name would resolve)."""
    return _scope(model)
