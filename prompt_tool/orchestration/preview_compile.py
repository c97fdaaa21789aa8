"""Compiled templates kept between previews; the previewed one compiled chunk by chunk.

Previews share one engine per (label, render budget) (`preview_engine`): its loader keeps
every template's module by name and source, so a preview runs no compile for a template it
saw before, and serves each preview what that preview's own loader finds (`serving`). Per
render, a template is loaded once, as in a fresh engine: an imported module is rendered in
the render that imports it, under its budget.

Compiling a dense 300-line template whole costs Jinja ~80 ms, far over a frame. The preview
compiles the template it renders as chunks (`prompt_tool.core.chunked`): one per top-level
statement. The text is lexed by re-lexing only around the edit (the analyser's incremental
lexer, from the previous text of the same template), and each chunk's code is cached by
what decides its tokens: its own text and the three characters after it (`{%-` strips the
text before it). A chunk that only moved keeps its code (its lines count from its start).
A chunk whose tokens differ from a compiled one's only in its texts (prose typed outside
the tags, on the same lines) takes that shape's code with its own texts in place
(`ChunkShape`), without compiling.

Whatever cannot be chunked (`extends`, blocks, an unbalanced or unlexable text, a chunk
that does not compile alone) is compiled whole, as before, so errors read the same.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterator, MutableMapping
from contextlib import contextmanager
from contextvars import ContextVar
from functools import cache, partial
from typing import Any, Protocol

from jinja2 import Environment, Template

from prompt_tool.analysis.incremental import supports_incremental
from prompt_tool.analysis.positions import normalise_newlines
from prompt_tool.core.bounded_map import BoundedMap
from prompt_tool.core.budget import RenderBudget
from prompt_tool.core.chunked import (
    ChunkedTemplate,
    ChunkShape,
    ChunkTemplate,
    ChunkToken,
    CompiledChunk,
    as_template,
    can_chunk,
    chunk_shape,
    chunk_template,
    compile_chunk,
)
from prompt_tool.core.source_map import instrument
from prompt_tool.core.templating import TemplateEngine
from prompt_tool.orchestration.db_loader import LabelledLoader, engine_over
from prompt_tool.orchestration.lexed_templates import LEXED, lexed_text

_NOT_CHUNKABLE = CompiledChunk(compile("", "<none>", "exec"), frozenset(), None)


class ChunkCache:
    """Chunk code by (settings, name, chunk text, what follows it), each shape's code by
    (settings, name, shape), and each template's last lexed text. Shared by every preview
    engine; entries never change once stored."""

    def __init__(self, chunks: int = 4096) -> None:
        self.compiled: BoundedMap[Hashable, CompiledChunk] = BoundedMap(chunks)
        self.shapes: BoundedMap[Hashable, ChunkShape] = BoundedMap(chunks)
        self.lexed = LEXED

    def compile(
        self, environment: Environment, settings: int, name: str, tokens: list[ChunkToken]
    ) -> CompiledChunk:
        """The code of a chunk not seen with this text: from its shape's code when the shape
        allows it, else compiled (`_NOT_CHUNKABLE` when it cannot be compiled alone)."""
        shape = chunk_shape(environment, tokens)
        if shape is not None:
            key = (settings, name, shape)
            shaped = self.shapes.get(key)
            if shaped is None:
                shaped = ChunkShape.compile(environment, name, tokens)
                self.shapes.put(key, shaped)
            filled = shaped.fill(tokens)
            if filled is not None:
                return filled
        return compile_chunk(environment, name, tokens) or _NOT_CHUNKABLE


PREVIEW_CHUNKS = ChunkCache()


def settings_key(environment: Environment) -> Hashable:
    """What, besides the text, decides a chunk's code: the lexer (its identity is its
    settings), the code generator, autoescaping, extensions and the render budget (Jinja
    folds constant filters at compile time, under the budget)."""
    return (
        environment.lexer,
        environment.code_generator_class,
        environment.autoescape,
        environment.optimized,
        tuple(sorted(environment.extensions)),
        getattr(environment, "budget", None),
    )


_SETTINGS: dict[Hashable, int] = {}
"""A small number for each settings key (a chunk's key is hashed for every chunk)."""


def _settings_id(settings: Hashable) -> int:
    return _SETTINGS.setdefault(settings, len(_SETTINGS))


def load_chunked(
    environment: Environment,
    name: str,
    source: str,
    whole: Callable[[], Template],
    made: BoundedMap[Hashable, ChunkTemplate] | None = None,
    store: ChunkCache = PREVIEW_CHUNKS,
) -> Template | None:
    """`source` as a chunked template; None when it must be compiled whole (`whole`)."""
    if not (can_chunk(environment) and supports_incremental(environment)):
        return None
    settings = _settings_id(settings_key(environment))
    text = normalise_newlines(source)
    lexed = lexed_text(environment, name, text, store.lexed)
    if lexed is None:
        return None
    items = lexed.index.items
    bounds = [0, *(chunk for chunk in lexed.chunks if chunk > 0), len(items)]
    offsets = [0, *(items[chunk][2] for chunk in bounds[1:-1]), len(text)]
    chunks: list[Template] = []
    stores: set[str] = set()
    line_before = 1
    for position in range(len(bounds) - 1):
        first, last = bounds[position], bounds[position + 1]
        if first == last:
            continue
        start, stop = offsets[position], offsets[position + 1]
        line = items[first][4] if start else 0
        key = (settings, name, start == 0, text[start:stop], text[stop : stop + 3])
        compiled = store.compiled.get(key)
        if compiled is None:
            tokens = [(item[4] - line + 1, item[0], item[1]) for item in items[first:last]]
            compiled = store.compile(environment, settings, name, tokens)
            store.compiled.put(key, compiled)
        if compiled is _NOT_CHUNKABLE:
            return None
        stores |= compiled.stores
        chunks.append(_chunk(environment, compiled, line, line_before, made))
        if compiled.last_line is not None:
            line_before = compiled.last_line + line
    return as_template(environment, name, ChunkedTemplate(chunks, frozenset(stores), cache(whole)))


def _chunk(
    environment: Environment,
    compiled: CompiledChunk,
    line: int,
    line_before: int,
    made: BoundedMap[Hashable, ChunkTemplate] | None,
) -> ChunkTemplate:
    """The chunk's module, made once per engine and place (`made`), or anew."""
    if made is None:
        return chunk_template(environment, compiled, line, line_before)
    key = (id(compiled), line, line_before)
    found = made.get(key)
    if found is None or found.module_code is not compiled.code:
        found = chunk_template(environment, compiled, line, line_before)
        found.module_code = compiled.code
        made.put(key, found)
    return found


class TemplateRequest(Protocol):
    """What one preview serves: each template's source, and which template to chunk."""

    chunked: str | None

    def get_source(
        self, environment: Environment, template: str
    ) -> tuple[str, str | None, Callable[[], bool]]: ...


_SERVING: ContextVar[tuple[TemplateRequest, dict[str, Template]] | None] = ContextVar(
    "prompt_tool_preview_request", default=None
)
"""The preview rendering in this thread (or task), and the templates it has loaded."""


@contextmanager
def serving(request: TemplateRequest) -> Iterator[None]:
    """Render with a shared engine as if it were a fresh one over `request`."""
    token = _SERVING.set((request, {}))
    try:
        yield
    finally:
        _SERVING.reset(token)


class SharedPreviewLoader(LabelledLoader):
    """The loader of a shared preview engine: serves the current preview's templates,
    keeping their modules by name and source, and the chunked template's chunk modules."""

    def __init__(self, label: str) -> None:
        super().__init__(label)
        self.modules: BoundedMap[tuple[str, str], dict[str, Any]] = BoundedMap(512)
        self.chunks: BoundedMap[Hashable, ChunkTemplate] = BoundedMap(8192)

    def get_source(
        self, environment: Environment, template: str
    ) -> tuple[str, str | None, Callable[[], bool]]:
        return _current()[0].get_source(environment, template)

    def load(
        self,
        environment: Environment,
        name: str,
        globals: MutableMapping[str, Any] | None = None,
    ) -> Template:
        request, loaded = _current()
        found = loaded.get(name)
        if found is None:
            source, _filename, _uptodate = request.get_source(environment, name)
            whole = partial(self._whole, environment, name, source, globals)
            if name == request.chunked:
                found = load_chunked(environment, name, source, whole, self.chunks)
            loaded[name] = found = found or whole()
        return found

    def _whole(
        self,
        environment: Environment,
        name: str,
        source: str,
        globals: MutableMapping[str, Any] | None,
    ) -> Template:
        namespace = self.modules.get((name, source))
        if namespace is None:
            code = environment.compile(source, name)
            namespace = {"environment": environment, "__file__": code.co_filename}
            exec(code, namespace)
            self.modules.put((name, source), namespace)
        made = globals if globals is not None else environment.make_globals(None)
        return environment.template_class._from_namespace(environment, namespace, made)


def _current() -> tuple[TemplateRequest, dict[str, Template]]:
    current = _SERVING.get()
    if current is None:
        raise RuntimeError("a shared preview engine renders only inside `serving(...)`")
    return current


_ENGINES: BoundedMap[tuple[str, RenderBudget | None], TemplateEngine] = BoundedMap(16)


def preview_engine(label: str, budget: RenderBudget | None) -> TemplateEngine:
    """The shared engine previews under `label` and `budget` render with (see `serving`):
    the orchestrator's engine factory, instrumented for source maps."""
    engine = _ENGINES.get((label, budget))
    if engine is None:
        engine = engine_over(SharedPreviewLoader(label), budget=budget)
        engine.environment.cache = None  # the loader keeps templates, per render and source
        instrument(engine.environment)
        _ENGINES.put((label, budget), engine)
    return engine
