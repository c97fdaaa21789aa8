"""Render a template and tell, for every output line, which template and line produced it.

A preview shows an author the exact prompt; the source map lets them jump from a line of it
back to the template line that wrote it. Jinja's own `debug_info` maps generated code to
template lines only approximately (static text inherits the line of the statement before it),
so the engine that previews compiles with `SourceMapCodeGenerator`: every output item becomes
its own `yield`, and the module records, for the code line of each `yield`, the template line
the item starts at and whether it is static text. The generated code computes the same text;
only the chunking of the output stream differs.

While rendering, each chunk is attributed by looking at the suspended generator that yielded
it: the chain `generate → root → blocks` is followed through `gi_yieldfrom`, an include with
context through the includer's `gen` local. Static text advances the template line at each of
its newlines; an expression's value (a variable, a macro call, a filter block) belongs to the
line of the expression, however many lines it spans. Text Jinja materialises ahead of time
(`{% include … without context %}`) is attributed to the include's line.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from types import CodeType, FrameType, GeneratorType
from typing import Any, NamedTuple

from jinja2 import Environment, Template, nodes
from jinja2.compiler import CodeGenerator, Frame

OUTPUT_TABLE = "prompt_tool_output_lines"
"""The module global holding {code line: (template line, is static text)}, compiled in as
`"code=line[s|e]&…"` and decoded on first use."""

_LINE_BREAK = re.compile(r"\r\n|\r|\n")


class SourceMapCodeGenerator(CodeGenerator):
    """Jinja's code generator, recording where each output item of the template starts."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.output_lines: dict[int, tuple[int, bool]] = {}
        self._item: tuple[int, bool] | None = None

    def visit_Output(self, node: nodes.Output, frame: Frame) -> None:
        if frame.buffer is not None:
            super().visit_Output(node, frame)
            return
        for child in node.nodes:
            self._item = (child.lineno, isinstance(child, nodes.TemplateData))
            super().visit_Output(nodes.Output([child], lineno=child.lineno), frame)
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
            f"{code}={line}{'s' if is_static else 'e'}"
            for code, (line, is_static) in self.output_lines.items()
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


@dataclass(frozen=True)
class Origin:
    """Where output comes from: a template (its loader name) and a 1-based line in it."""

    template: str
    line: int


class Chunk(NamedTuple):
    """One piece of output and where it starts; static text moves down the template.

    A tuple rather than a dataclass: a render makes thousands, and this is the cheapest.
    """

    text: str
    origin: Origin | None
    is_static: bool


@dataclass(frozen=True)
class LineSource:
    """One output line: the origin of its first visible character and of every piece."""

    origin: Origin | None
    pieces: tuple[tuple[int, Origin], ...]
    """(0-based column where a piece starts, its origin), in order."""


def _template_of(frame: FrameType) -> Template | None:
    found = frame.f_globals.get("__jinja_template__")
    return found if isinstance(found, Template) else None


Site = tuple[Origin, bool] | None
"""What one `yield` site of a template outputs: its origin and whether it is static text;
None for a site that passes on another template's output (an include)."""
SITES = "prompt_tool_sites"
"""The module global caching each yield site by (code object, instruction offset)."""


def _decode(table: str) -> dict[int, tuple[int, bool]]:
    decoded: dict[int, tuple[int, bool]] = {}
    for item in filter(None, table.split("&")):
        code, _equals, line = item.partition("=")
        decoded[int(code)] = (int(line[:-1]), line.endswith("s"))
    return decoded


CODE_LINES = "prompt_tool_code_lines"
"""The module global caching, per code object, its instruction offsets and their lines."""


def _lineno(frame: FrameType) -> int:
    """`frame.f_lineno`, from a table read once per code object: `f_lineno` itself scans
    the code's whole line table on every call, and a long template's root is long."""
    tables = frame.f_globals.get(CODE_LINES)
    if not isinstance(tables, dict):
        tables = frame.f_globals[CODE_LINES] = {}
    code = frame.f_code
    table = tables.get(code)
    if table is None:
        starts: list[int] = []
        lines: list[int] = []
        for start, _end, line in code.co_lines():
            if line is not None:
                starts.append(start)
                lines.append(line)
        table = tables[code] = (starts, lines)
    index = bisect_right(table[0], frame.f_lasti) - 1
    return table[1][index] if index >= 0 else frame.f_lineno


def _site(frame: FrameType, template: Template) -> Site:
    """The site `frame` is suspended at, worked out once per site and kept in the module.

    `f_lineno` scans the code's whole line table (slow for a long template, and a loop
    yields from the same site again and again); the instruction offset `f_lasti` is free.
    """
    sites = frame.f_globals.get(SITES)
    if not isinstance(sites, dict):
        sites = frame.f_globals[SITES] = {}
    key = (frame.f_code, frame.f_lasti)
    if key in sites:
        found: Site = sites[key]
        return found
    table = frame.f_globals.get(OUTPUT_TABLE)
    if isinstance(table, str):
        table = frame.f_globals[OUTPUT_TABLE] = _decode(table)
    line = _lineno(frame)
    item = table.get(line) if isinstance(table, dict) else None
    name = template.name or ""
    if item is not None:
        found = (Origin(name, item[0]), item[1])
    elif "gen" in frame.f_code.co_varnames:
        found = None  # an include: the origin is in the included template's generator
    else:
        found = (Origin(name, template.get_corresponding_lineno(line)), False)
    sites[key] = found
    return found


def origin_of(generator: GeneratorType[Any, Any, Any]) -> tuple[Origin, bool] | None:
    """The origin of the value `generator` has just yielded, and whether it is static text."""
    current: GeneratorType[Any, Any, Any] = generator
    while True:
        frame = current.gi_frame
        if frame is None:
            return None
        inner = current.gi_yieldfrom
        if isinstance(inner, GeneratorType):
            current = inner
            continue
        template = _template_of(frame)
        if template is None or OUTPUT_TABLE not in frame.f_globals:
            return None
        site = _site(frame, template)
        if site is not None:
            return site
        included = frame.f_locals.get("gen")
        if not isinstance(included, GeneratorType) or included.gi_frame is None:
            return None
        current = included


@dataclass
class TracedRender:
    """The chunks of one render, and where it failed if it did."""

    chunks: list[Chunk] = field(default_factory=list)
    failed_at: Origin | None = None

    @property
    def text(self) -> str:
        return "".join(chunk.text for chunk in self.chunks)


def trace_chunks(
    template: Template, context: Mapping[str, Any], into: TracedRender
) -> Iterator[str]:
    """The output of `template.generate(context)`, each chunk's origin recorded in `into`.

    A failure is located (`into.failed_at`) before Jinja rewrites its traceback, then raised
    the way `Template.generate` raises it. Per chunk, the common case (a yield site seen
    before, in the template being rendered) is one dictionary lookup.
    """
    generator = template.root_render_func(template.new_context(dict(context)))
    if not isinstance(generator, GeneratorType):
        yield from generator  # an async environment: no source map
        return
    known: dict[tuple[CodeType, int], tuple[Origin, bool] | None] = {}
    chunks = into.chunks
    try:
        for text in generator:
            frame = generator.gi_frame
            site: tuple[Origin, bool] | None = None
            if frame is not None and generator.gi_yieldfrom is None:
                key = (frame.f_code, frame.f_lasti)
                site = known.get(key, _UNKNOWN)
                if site is _UNKNOWN:
                    site = known[key] = _own_site(frame)
            if site is None:
                site = origin_of(generator)
            if site is None:
                chunks.append(Chunk(text, None, False))
            else:
                chunks.append(Chunk(text, site[0], site[1]))
            yield text
    except Exception as error:
        into.failed_at = failing_origin(error)
        template.environment.handle_exception()


_UNKNOWN: Any = object()


def _own_site(frame: FrameType) -> tuple[Origin, bool] | None:
    """The site of a template's own frame; None where it passes on an include's output."""
    template = _template_of(frame)
    if template is None or OUTPUT_TABLE not in frame.f_globals:
        return None
    return _site(frame, template)


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


def line_sources(chunks: list[Chunk]) -> list[LineSource]:
    """For every output line (as `split_output_lines` cuts the joined text), its sources.

    One pass; a chunk without a line break (most of them) costs a few comparisons.
    """
    found: list[LineSource] = []
    pieces: list[tuple[int, Origin]] = []
    visible: Origin | None = None
    column = 0
    pending_cr = False
    for chunk in chunks:
        origin = chunk.origin
        text = chunk.text
        if pending_cr and text.startswith("\n"):
            text = text[1:]  # the second half of a `\r\n` the previous chunk began
        if text:
            pending_cr = text.endswith("\r")
        if "\n" not in text and "\r" not in text:
            if origin is not None and (text or not pieces):
                pieces.append((column, origin))
                if visible is None and text and not text.isspace():
                    visible = origin
            column += len(text)
            continue
        for index, piece in enumerate(_LINE_BREAK.split(text)):
            if index:
                found.append(LineSource(visible or _first(pieces), tuple(pieces)))
                pieces, visible, column = [], None, 0
                if origin is not None and chunk.is_static:
                    origin = Origin(origin.template, origin.line + 1)
            if origin is not None and (piece or not pieces):
                pieces.append((column, origin))
                if visible is None and piece.strip():
                    visible = origin
            column += len(piece)
    found.append(LineSource(visible or _first(pieces), tuple(pieces)))
    return found


def _first(pieces: list[tuple[int, Origin]]) -> Origin | None:
    return pieces[0][1] if pieces else None
