"""Compile a template one top-level statement at a time, so an edit recompiles only its chunk.

A template's top level is a run of chunks: one top-level `{% … %}` statement (through its end
tag) and the text and `{{ }}` after it, up to the next top-level `{%` (the first chunk is the
text before the first statement). Jinja's parser closes its output at every top-level `{%`,
so a chunk parsed alone gives exactly the nodes the whole parse gives it. Here each chunk is
compiled as its own root function, and a `ChunkedTemplate` runs them in order against one
shared `Context`: a top-level `{% set %}`, macro or import writes `context.vars` (Jinja does
that for every top-level store), where the next chunk reads it.

Where the whole template's code would differ, the chunk's code is adjusted or the template
is not chunked (the caller compiles it whole):

- Jinja starts a root-level name that is assigned before it is read as `missing`; a chunk
  starts it from the context instead (`resolve`), which is what the whole template holds at
  that point as long as no assigned name is also a context name or a global: a chunked
  render checks that first and otherwise renders the whole template (`ChunkedTemplate`).
- A macro or call block reads the root's names through a Python closure, which in the whole
  template sees later assignments; a chunk's root variables stop changing when the chunk
  ends, so the body of a macro resolves those names from the context when it is called.
- `{% extends %}`, `{% block %}`, `self` and recursive loops are not chunked.

Chunks are compiled with their lines counted from the chunk's first line: a chunk that only
moves keeps its code. `ChunkTemplate.line_offset` puts its lines back in place.

An edit of a chunk's text (outside its tags, on its lines) changes only string constants of
its code: `ChunkShape` compiles a chunk once with a marker in place of each text token and
makes the code of any chunk of that shape by putting the texts in the markers' places
(`ChunkShape.fill`). Where Jinja transforms or joins a text at compile time (autoescaping,
a text folded with a constant into one string), a marker is not found whole, exactly once,
and the chunk is compiled as it is.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from io import StringIO
from types import CodeType
from typing import Any

from jinja2 import Environment, Template, nodes
from jinja2.compiler import CodeGenerator, Frame, MacroRef
from jinja2.idtracking import VAR_LOAD_RESOLVE, VAR_LOAD_UNDEFINED, Symbols
from jinja2.lexer import TokenStream
from jinja2.parser import Parser
from jinja2.runtime import Context

ChunkToken = tuple[int, str, str]
"""(1-based line counted from the chunk's first line, token type, raw value), as Jinja's
lexer yields them before `Lexer.wrap`."""


class ChunkCodeGenerator(CodeGenerator):
    """The environment's code generator, made to compile one chunk of a longer template."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.root_symbols: Symbols | None = None

    def enter_frame(self, frame: Frame) -> None:
        if frame.toplevel and frame.rootlevel and self.root_symbols is None:
            self.root_symbols = frame.symbols
            names = {ref: name for name, ref in frame.symbols.refs.items()}
            loads = frame.symbols.loads
            for target, (action, _param) in list(loads.items()):
                if action == VAR_LOAD_UNDEFINED:
                    loads[target] = (VAR_LOAD_RESOLVE, names[target])
        super().enter_frame(frame)

    def macro_body(
        self, node: nodes.Macro | nodes.CallBlock, frame: Frame
    ) -> tuple[Frame, MacroRef]:
        root = self.root_symbols
        if root is None:
            return super().macro_body(node, frame)
        saved = root.refs, root.loads, root.stores
        root.refs, root.loads, root.stores = {}, {}, set()
        try:
            return super().macro_body(node, frame)
        finally:
            root.refs, root.loads, root.stores = saved


_CHUNKING: dict[type[CodeGenerator], type[CodeGenerator]] = {}
"""One chunk-compiling subclass per base generator, made once (a cache, not state)."""


def _chunking(base: type[CodeGenerator]) -> type[CodeGenerator]:
    if base not in _CHUNKING:
        _CHUNKING[base] = type(f"Chunk{base.__name__}", (ChunkCodeGenerator, base), {})
    return _CHUNKING[base]


CHUNKABLE_EXTENSIONS = frozenset(
    {"jinja2.ext.LoopControlExtension", "jinja2.ext.ExprStmtExtension"}
)
"""Extensions whose tags compile to plain statements (`break`, `continue`, `do`)."""


def can_chunk(environment: Environment) -> bool:
    """Whether `environment`'s templates may be chunked: synchronous, no line statements,
    and no extension that filters the token stream or brings nodes of its own."""
    return (
        not environment.is_async
        and environment.line_statement_prefix is None
        and environment.line_comment_prefix is None
        and set(environment.extensions) <= CHUNKABLE_EXTENSIONS
    )


@dataclass(frozen=True)
class CompiledChunk:
    """One chunk's code (lines from the chunk's first line), the names it assigns at the
    top level (which a render must not find among the context's names or the globals), and
    the template line of the last statement its code records (None: it records none)."""

    code: CodeType
    stores: frozenset[str]
    last_line: int | None


def compile_chunk(
    environment: Environment, name: str, tokens: Sequence[ChunkToken]
) -> CompiledChunk | None:
    """The chunk of `tokens` compiled alone; None when it cannot be proved to behave as in
    the whole template (or does not compile alone: the whole compile then says why)."""
    try:
        parser = Parser(environment, "", name)
        parser.stream = TokenStream(environment.lexer.wrap(iter(tokens), name), name, None)
        template = nodes.Template(parser.subparse(), lineno=1)
        template.set_environment(environment)
        if not _is_chunkable(template):
            return None
        stream = StringIO()
        generator = _chunking(environment.code_generator_class)(
            environment, name, None, stream, defer_init=False, optimized=environment.optimized
        )
        generator.visit(template)
        code = environment._compile(stream.getvalue(), "<template>")
    except Exception:  # never worse than the whole compile, which reports it
        return None
    root = getattr(generator, "root_symbols", None)
    stores = frozenset(root.stores) if root is not None else frozenset()
    last_line = generator.debug_info[-1][0] if generator.debug_info else None
    return CompiledChunk(code, stores, last_line)


def _is_chunkable(template: nodes.Template) -> bool:
    if any(True for _ in template.find_all((nodes.Extends, nodes.Block))):
        return False
    if any(loop.recursive for loop in template.find_all(nodes.For)):
        return False
    return not any(name.name == "self" for name in template.find_all(nodes.Name))


Shape = tuple[tuple[int, str, str | bool], ...]
"""A chunk's tokens with each text token's value replaced by whether it is empty (the
parser drops an empty text): what decides its code but for the texts' constants."""

_MARKER_START = "\x00prompt_tool_text_"
_MARKER = _MARKER_START + "{}\x00"


def chunk_shape(environment: Environment, tokens: Sequence[ChunkToken]) -> Shape | None:
    """The shape of `tokens`; None where a text's constant may differ from its token's
    value (autoescaping can escape it; another newline sequence rewrites it)."""
    if environment.autoescape is not False or environment.newline_sequence != "\n":
        return None
    shape: list[tuple[int, str, str | bool]] = []
    for line, kind, value in tokens:
        if kind == "name" and value == "autoescape":
            return None
        shape.append((line, kind, value == "") if kind == "data" else (line, kind, value))
    return tuple(shape)


@dataclass(frozen=True)
class ChunkShape:
    """One shape's code, compiled with a marker for each non-empty text token."""

    compiled: CompiledChunk | None
    """None: the shape does not compile alone, or a marker is not one whole constant."""

    @classmethod
    def compile(
        cls, environment: Environment, name: str, tokens: Sequence[ChunkToken]
    ) -> ChunkShape:
        """`tokens`' shape compiled, each non-empty text token's value a marker."""
        marked = [
            (line, kind, _MARKER.format(index) if kind == "data" and value else value)
            for index, (line, kind, value) in enumerate(tokens)
        ]
        markers = [value for _line, kind, value in marked if kind == "data" and value]
        compiled = compile_chunk(environment, name, marked)
        if compiled is not None and not _markers_whole(compiled.code, markers):
            compiled = None
        return cls(compiled)

    def fill(self, tokens: Sequence[ChunkToken]) -> CompiledChunk | None:
        """The code of `tokens` (of this shape): the markers replaced by their texts."""
        if self.compiled is None:
            return None
        texts = {
            _MARKER.format(index): value
            for index, (_line, kind, value) in enumerate(tokens)
            if kind == "data" and value
        }
        code = _replaced(self.compiled.code, texts)
        return CompiledChunk(code, self.compiled.stores, self.compiled.last_line)


def _constants(code: CodeType) -> Iterator[str]:
    """Every string constant of `code` and of the code nested in it, in tuples too."""
    for constant in code.co_consts:
        if isinstance(constant, CodeType):
            yield from _constants(constant)
        elif isinstance(constant, str):
            yield constant
        elif isinstance(constant, tuple):
            yield from (item for item in constant if isinstance(item, str))


def _markers_whole(code: CodeType, markers: list[str]) -> bool:
    """Whether each marker is one whole constant, once, and no other constant holds one."""
    found = [constant for constant in _constants(code) if _MARKER_START in constant]
    return sorted(found) == sorted(markers)


def _replaced(code: CodeType, texts: dict[str, str]) -> CodeType:
    return code.replace(co_consts=tuple(_replaced_constant(item, texts) for item in code.co_consts))


def _replaced_constant(constant: object, texts: dict[str, str]) -> object:
    if isinstance(constant, CodeType):
        return _replaced(constant, texts)
    if isinstance(constant, str):
        return texts.get(constant, constant)
    if isinstance(constant, tuple):
        return tuple(texts.get(item, item) if isinstance(item, str) else item for item in constant)
    return constant


class ChunkTemplate(Template):
    """One chunk, run as part of a `ChunkedTemplate`; its lines are moved to the chunk's place.

    Code before the chunk's first recorded statement maps, as in the whole template's code,
    to the last statement recorded before it: the previous chunks' (`line_before`).
    """

    line_offset = 0
    line_before = 1
    module_code: CodeType | None = None
    """The code the module ran (a cache of chunk modules checks it is still the same)."""

    def get_corresponding_lineno(self, lineno: int) -> int:
        for template_line, code_line in reversed(self.debug_info):
            if code_line <= lineno:
                return template_line + self.line_offset
        return self.line_before


def chunk_template(
    environment: Environment, chunk: CompiledChunk, line_offset: int, line_before: int
) -> ChunkTemplate:
    """`chunk`'s code run in a module of its own, its lines `line_offset` below its own."""
    namespace = {"environment": environment, "__file__": "<template>"}
    exec(chunk.code, namespace)
    template = ChunkTemplate._from_namespace(environment, namespace, environment.globals)
    assert isinstance(template, ChunkTemplate)
    template.line_offset = line_offset
    template.line_before = line_before
    return template


@dataclass(frozen=True)
class ChunkedTemplate:
    """The chunks of one template, and how to compile it whole when a render needs that."""

    chunks: Sequence[Template]
    stores: frozenset[str]
    whole: Callable[[], Template]
    """The template compiled whole (called only when a render needs it)."""

    def root_render_func(self, context: Context) -> Iterator[str]:
        """Every chunk in turn against the one context; the whole template's code when an
        assigned name is also a context name or a global (chunks would read it early)."""
        if not self.stores.isdisjoint(context.parent):
            yield from self.whole().root_render_func(context)
            return
        for chunk in self.chunks:
            yield from chunk.root_render_func(context)


def as_template(environment: Environment, name: str, chunked: ChunkedTemplate) -> Template:
    """`chunked` as the `Template` Jinja's loaders return."""
    namespace: dict[str, Any] = {
        "name": name,
        "__file__": None,
        "blocks": {},
        "root": chunked.root_render_func,
        "debug_info": "",
    }
    return environment.template_class._from_namespace(environment, namespace, environment.globals)
