"""Render a template and tell, for every output line, which template and line produced it.

A preview shows an author the exact prompt; the source map lets them jump from a line of it
back to the template line that wrote it. Jinja's own `debug_info` maps generated code to
template lines only approximately (static text inherits the line of the statement before it),
so the engine that previews compiles with `SourceMapCodeGenerator`: every output item becomes
its own `yield`, and the module records, for the code line of each `yield`, the template line
the item starts at and whether it is static text. The generated code computes the same text;
only the chunking of the output stream differs.

While rendering, a chunk is attributed by looking at the suspended generator that yielded
it: the chain `generate → root → blocks` is followed through `gi_yieldfrom`, an include with
context through the includer's `gen` local. Static text advances the template line at each of
its newlines; an expression's value (a variable, a macro call, a filter block) belongs to the
line of the expression, however many lines it spans. Text Jinja materialises ahead of time
(`{% include … without context %}`) is attributed to the include's line. Only the chunks
that decide a line's origin are looked at (`LineSources`): reading frames for each of the
thousands of chunks of a long prompt would cost more than rendering it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import partial
from types import CodeType, FrameType, GeneratorType
from typing import Any, NamedTuple

from jinja2 import Environment, Template, nodes
from jinja2.compiler import CodeGenerator, Frame

OUTPUT_TABLE = "prompt_tool_output_lines"
"""The module global holding {code line: (template line, kind)}, compiled in as
`"code=line[s|e|i]&…"` (static text, an expression, an include's output passed on) and
decoded on first use."""

_LINE_BREAK = re.compile(r"\r\n|\r|\n")


_STATIC, _EXPRESSION, _INCLUDE = "s", "e", "i"


class SourceMapCodeGenerator(CodeGenerator):
    """Jinja's code generator, recording where each output item of the template starts."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.output_lines: dict[int, tuple[int, str]] = {}
        self._item: tuple[int, str] | None = None

    def visit_Output(self, node: nodes.Output, frame: Frame) -> None:
        if frame.buffer is not None:
            super().visit_Output(node, frame)
            return
        for child in node.nodes:
            kind = _STATIC if isinstance(child, nodes.TemplateData) else _EXPRESSION
            self._item = (child.lineno, kind)
            super().visit_Output(nodes.Output([child], lineno=child.lineno), frame)
            self._item = None

    def visit_Include(self, node: nodes.Include, frame: Frame) -> None:
        """The `yield` passing an include's output on is marked: its origin is inside."""
        if node.with_context and frame.buffer is None:
            self._item = (node.lineno, _INCLUDE)
        super().visit_Include(node, frame)
        self._item = None

    def write(self, x: str) -> None:
        super().write(x)
        if self._item is not None and x.startswith("yield "):
            self.output_lines[self.code_lineno] = self._item
            self._item = None

    def visit_Template(self, node: nodes.Template, frame: Frame | None = None) -> None:
        super().visit_Template(node, frame)
        # A string, decoded on first use: a dict literal of every output line would cost
        # the compile of each edit more than the whole table is worth.
        encoded = "&".join(
            f"{code}={line}{kind}" for code, (line, kind) in self.output_lines.items()
        )
        self.writeline(f"{OUTPUT_TABLE} = {encoded!r}")


_MAPPED: dict[type[CodeGenerator], type[CodeGenerator]] = {}
"""One recording subclass per base generator, made once (a cache, not state)."""


def _mapping(base: type[CodeGenerator]) -> type[CodeGenerator]:
    if issubclass(base, SourceMapCodeGenerator):
        return base
    if base not in _MAPPED:
        _MAPPED[base] = type(f"SourceMapped{base.__name__}", (SourceMapCodeGenerator, base), {})
    return _MAPPED[base]


def instrument(environment: Environment) -> None:
    """Compile `environment`'s templates for source maps (before it loads any template).

    The recording is layered over the environment's own code generator (the render budget's
    loop counting stays), so the instrumented code computes exactly what the plain one does.
    """
    environment.code_generator_class = _mapping(environment.code_generator_class)


class Origin(NamedTuple):
    """Where output comes from: a template (its loader name) and a 1-based line in it.

    A tuple rather than a dataclass: a render makes one per line, and this is the cheapest.
    """

    template: str
    line: int


class Chunk(NamedTuple):
    """One piece of output and where it starts; static text moves down the template.

    A tuple rather than a dataclass: a render makes thousands, and this is the cheapest.
    """

    text: str
    origin: Origin | None
    is_static: bool


def _template_of(frame: FrameType) -> Template | None:
    found = frame.f_globals.get("__jinja_template__")
    return found if isinstance(found, Template) else None


Site = tuple[int, bool] | None
"""What one `yield` of a template's code outputs: the template line (counted in the code's
own lines, before a chunk's `line_offset`) and whether it is static text; None for the
`yield` that passes on an included template's output."""

_SITES: dict[int, tuple[CodeType, dict[int, Site]]] = {}
"""Each yield site by code object (its id: hashing a code object hashes all of it) and
instruction offset, worked out once (a cache; the code is kept with its entry)."""
_TABLES: dict[str, dict[int, tuple[int, str]]] = {}
"""Decoded output tables, by their encoded text (the same code object shares it)."""


def _decode(table: str) -> dict[int, tuple[int, str]]:
    decoded = _TABLES.get(table)
    if decoded is None:
        decoded = {}
        for item in filter(None, table.split("&")):
            code, _equals, line = item.partition("=")
            decoded[int(code)] = (int(line[:-1]), line[-1])
        if len(_TABLES) > 1024:
            _TABLES.clear()
        _TABLES[table] = decoded
    return decoded


def _sites_of(code: CodeType) -> dict[int, Site]:
    entry = _SITES.get(id(code))
    if entry is None or entry[0] is not code:
        if len(_SITES) > 4096:
            _SITES.clear()
        entry = _SITES[id(code)] = (code, {})
    return entry[1]


def _site(frame: FrameType, template: Template, table: object) -> Site:
    """The site `frame` is suspended at, worked out once per code object and offset
    (`f_lineno` scans the code's whole line table, and a long template's root is long)."""
    sites = _sites_of(frame.f_code)
    offset = frame.f_lasti
    if offset in sites:
        return sites[offset]
    line = frame.f_lineno
    item = _decode(table).get(line) if isinstance(table, str) else None
    found: Site
    if item is None:
        found = (Template.get_corresponding_lineno(template, line), False)
    elif item[1] == _INCLUDE:
        found = None
    else:
        found = (item[0], item[1] == _STATIC)
    sites[offset] = found
    return found


def origin_of(generator: GeneratorType[Any, Any, Any]) -> tuple[Origin, bool] | None:
    """The origin of the value `generator` has just yielded, and whether it is static text."""
    current: GeneratorType[Any, Any, Any] = generator
    while True:
        inner = current.gi_yieldfrom
        if isinstance(inner, GeneratorType):
            current = inner
            continue
        frame = current.gi_frame
        if frame is None:
            return None
        origins = frame.f_globals.get(ORIGINS)
        key = (id(frame.f_code), frame.f_lasti)
        found = origins.get(key, _UNKNOWN) if origins is not None else _origin(frame, key)
        if found is _UNKNOWN:
            found = _origin(frame, key)
        if found is not _INCLUDED:
            known: tuple[Origin, bool] | None = found
            return known
        included = frame.f_locals.get("gen")
        if not isinstance(included, GeneratorType):
            return None
        current = included


ORIGINS = "prompt_tool_origins"
"""The module global keeping, per yield site of the module's code (code id, offset), the
origin it outputs: a module (a template, a chunk at its place) keeps its lines."""
_UNKNOWN: Any = object()
_INCLUDED: Any = object()


def _origin(frame: FrameType, key: tuple[int, int]) -> Any:
    """The origin (and staticness) of `frame`'s yield site, kept in its module; `_INCLUDED`
    for the yield that passes an include's output on; None where it cannot be known."""
    template = _template_of(frame)
    table = frame.f_globals.get(OUTPUT_TABLE)
    if template is None or table is None:
        return None
    site = _site(frame, template, table)
    found: Any = _INCLUDED
    if site is not None:
        line = site[0] + getattr(template, "line_offset", 0)
        found = (Origin(template.name or "", line), site[1])
    frame.f_globals.setdefault(ORIGINS, {})[key] = found
    return found


class LineSources:
    """Builds, chunk by chunk, the origin of every output line (as `split_output_lines`
    cuts the text): the piece that gives its first visible character, else its first piece.

    Only a chunk that can change that is asked for its origin (`add`'s `origin`, called
    lazily): one with a line break, or one on a line whose origin is not settled yet. In a
    dense template that is one or two chunks per line, not every chunk.
    """

    def __init__(self) -> None:
        self.lines: list[Origin | None] = []
        self.settled = False
        """Whether the current line's visible origin is known (no chunk can change it)."""
        self._visible: Origin | None = None
        self._first: Origin | None = None
        self._pending_cr = False

    def add(self, text: str, origin: Callable[[], tuple[Origin, bool] | None]) -> None:
        """One chunk of output; `origin()` gives its origin and whether it is static text."""
        if self._pending_cr and text.startswith("\n"):
            text = text[1:]  # the second half of a `\r\n` the previous chunk began
        if text:
            self._pending_cr = text.endswith("\r")
        if "\n" not in text and "\r" not in text:
            if self._first is None or (text and not text.isspace()):
                self._piece(text, origin())
            return
        site = origin()
        pieces = _LINE_BREAK.split(text) if "\r" in text else text.split("\n")
        self._piece(pieces[0], site)
        lines = self.lines
        lines.append(self._visible or self._first)
        found = site[0] if site is not None else None
        is_static = site is not None and site[1]
        for _line in range(len(pieces) - 2):  # whole lines inside the chunk: its origin
            if found is not None and is_static:
                found = Origin(found.template, found.line + 1)
            lines.append(found)
        if found is not None and is_static:
            found = Origin(found.template, found.line + 1)
        last = pieces[-1]
        self._first = found
        self._visible = found if last and not last.isspace() else None
        self.settled = self._visible is not None

    def _piece(self, text: str, site: tuple[Origin, bool] | None) -> None:
        if site is None or not (text or self._first is None):
            return
        if self._first is None:
            self._first = site[0]
        if self._visible is None and text and not text.isspace():
            self._visible = site[0]
            self.settled = True

    def finish(self) -> list[Origin | None]:
        """Every line's origin, the last (unterminated) line included."""
        return [*self.lines, self._visible or self._first]


@dataclass
class TracedRender:
    """The output of one render, each line's origin, and where it failed if it did."""

    texts: list[str] = field(default_factory=list)
    sources: LineSources = field(default_factory=LineSources)
    failed_at: Origin | None = None

    @property
    def text(self) -> str:
        return "".join(self.texts)

    def line_origins(self) -> list[Origin | None]:
        return self.sources.finish()


def trace_chunks(
    template: Template, context: Mapping[str, Any], into: TracedRender
) -> Iterator[str]:
    """The output of `template.generate(context)`, each line's origin recorded in `into`.

    A failure is located (`into.failed_at`) before Jinja rewrites its traceback, then raised
    the way `Template.generate` raises it. Most chunks cost an append and two `in` tests:
    the generator's frames are read only for chunks that decide a line's origin.
    """
    generator = template.root_render_func(template.new_context(dict(context)))
    if not isinstance(generator, GeneratorType):
        yield from generator  # an async environment: no source map
        return
    append = into.texts.append
    sources = into.sources
    add = sources.add
    origin = partial(origin_of, generator)
    try:
        for text in generator:
            append(text)
            if not sources.settled or "\n" in text or "\r" in text:
                add(text, origin)
            yield text
    except Exception as error:
        into.failed_at = failing_origin(error)
        template.environment.handle_exception()


def failing_origin(error: BaseException) -> Origin | None:
    """The innermost template line in `error`'s traceback, read before Jinja rewrites it."""
    found: Origin | None = None
    trace = error.__traceback__
    while trace is not None:
        template = _template_of(trace.tb_frame)
        if template is not None:
            found = Origin(template.name or "", template.get_corresponding_lineno(trace.tb_lineno))
        trace = trace.tb_next
    return found


def split_output_lines(text: str) -> list[str]:
    """Lines as editors count them (`\\r\\n`, `\\r` or `\\n` ends one); never `splitlines`."""
    return _LINE_BREAK.split(text)


def _given(site: tuple[Origin, bool] | None) -> tuple[Origin, bool] | None:
    return site


def line_sources(chunks: Iterable[Chunk]) -> list[Origin | None]:
    """The origin of every output line of `chunks` whose origins are known."""
    sources = LineSources()
    for chunk in chunks:
        site = (chunk.origin, chunk.is_static) if chunk.origin is not None else None
        sources.add(chunk.text, partial(_given, site))
    return sources.finish()
