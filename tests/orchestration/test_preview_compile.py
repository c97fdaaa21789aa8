"""The chunked compile of a previewed template renders exactly what the whole compile renders.

Every case renders the same template twice through the preview's loader and engine: whole
(as the orchestrator compiles it) and chunk by chunk (`preview_compile`), and compares the
text, the error message, the origin of every output line and the failing line. Cases meant
to be chunked also assert that they were (a silent fallback would prove nothing).
"""

from __future__ import annotations

import random
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jinja2 import Environment, TemplateError

from benchmarks.preview_bench import SAMPLE, write_workspace
from prompt_tool.core.budget import RenderBudget
from prompt_tool.core.chunked import ChunkedTemplate
from prompt_tool.core.source_map import Origin, TracedRender
from prompt_tool.core.templating import TemplateRenderError
from prompt_tool.orchestration.orchestrator import to_render_mapping
from prompt_tool.orchestration.preview import PreviewLoader, files_lookup, json_context
from prompt_tool.orchestration.preview_compile import ChunkCache, preview_engine, serving
from prompt_tool.orchestration.sample_contexts import sample_context
from prompt_tool.orchestration.template_files import header_phase
from tests.analysis.test_incremental import DENSE, edits

DEFAULTS = Path(__file__).parents[2] / "prompt_tool" / "defaults"
MAIN = "main.j2"
CONTEXT: dict[str, Any] = {
    "items": [{"name": "a", "description": "first"}, {"name": "b", "description": "second"}],
    "feature": {"is_urgent": False, "name": "Checkout"},
    "project": {"name": "shop", "language": "python"},
    "pairs": [(1, 2), (0, 3)],
    "x": 1,
    "y": {"z": "zed"},
    "n": 2,
}
PARTIALS = {
    "a.j2": "partial a sees {{ x }}\n",
    "macros.j2": "{% macro shout(word) %}{{ word | upper }}!{% endmacro %}",
    "wide.j2": "{% set local = 5 %}wide {{ x }} {{ seen | default('unset') }}\n",
    "base.j2": "base {% block body %}default{% endblock %}\n",
    **{f"partials/part{index}.j2": f"part {index} {{{{ x }}}}\n" for index in range(5)},
}

Render = tuple[str, str | None, list[Origin | None], Origin | None]


def render(
    templates: dict[str, str], context: dict[str, Any], chunked: bool
) -> tuple[Render, bool]:
    """(text, error, line origins, failing line) of `main.j2`, and whether it was chunked."""
    lookup = files_lookup(lambda name: (templates[name], name) if name in templates else None)
    loader = PreviewLoader("production", lookup, chunked=MAIN if chunked else None)
    engine = preview_engine("production", None)
    trace = TracedRender()
    error = None
    try:
        with serving(loader):
            text = engine.render_traced(MAIN, context, trace)
    except TemplateRenderError as failure:
        text, error = trace.text, str(failure)
    except SyntaxError as failure:  # `{% break %}` outside a loop: Python refuses the code
        text, error = trace.text, f"SyntaxError: {failure}"
    with serving(loader):
        was_chunked = _was_chunked(engine.environment)
    return (text, error, trace.line_origins(), trace.failed_at), was_chunked


def _was_chunked(environment: Environment) -> bool:
    try:
        template = environment.get_template(MAIN)
    except (TemplateError, SyntaxError):
        return False
    return isinstance(getattr(template.root_render_func, "__self__", None), ChunkedTemplate)


def assert_same(main: str, context: dict[str, Any], others: dict[str, str] | None = None) -> bool:
    """Chunked equals whole for `main`; whether the chunked render really was chunked."""
    templates = {**PARTIALS, **(others or {}), MAIN: main}
    whole, was_whole_chunked = render(templates, context, chunked=False)
    chunked, was_chunked = render(templates, context, chunked=True)
    assert not was_whole_chunked
    assert chunked == whole
    return was_chunked


CHUNKED_CASES = [
    pytest.param("{% set a = 1 %}{{ a }}\n{% set a = a + 1 %}{{ a }}\n", id="set-then-reassign"),
    pytest.param(
        "{% set ns = namespace(total=0) %}{% for i in items %}{% set ns.total = ns.total + 1 %}"
        "{% endfor %}\ntotal {{ ns.total }}\n",
        id="namespace-across-chunks",
    ),
    pytest.param(
        "{% macro row(a, b=1) %}{{ a }}/{{ b }}{% endmacro %}\n{{ row(1) }}\n"
        "{% if x %}{{ row(2, 3) }}{% endif %}\n",
        id="macro-used-in-later-chunks",
    ),
    pytest.param(
        "{% set later = 'one' %}{% macro m() %}{{ later }}{% endmacro %}{{ m() }}\n"
        "{% set later = 'two' %}{{ m() }}\n",
        id="macro-reads-a-later-assignment",
    ),
    pytest.param(
        "{% set v = 1 %}\n{% macro m() %}{{ v }}{% endmacro %}{{ v }}\n{% set v = 2 %}{{ m() }}\n",
        id="macro-next-to-a-read-of-the-same-name",
    ),
    pytest.param(
        "{% set v = 1 %}\n{% if x %}{% for i in [1] %}{{ v }}{% endfor %}{% set v = 2 %}"
        "{% else %}{% set v = 3 %}{% endif %}{{ v }}\n",
        id="read-before-a-store-in-every-branch",
    ),
    pytest.param(
        "{% set v = 'old' %}\n{% set v %}[{{ v }}]{% endset %}{{ v }}\n",
        id="set-block-reads-the-previous-value",
    ),
    pytest.param(
        "{% for i in items %}{{ unset_yet | default('none') }}{% endfor %}\n"
        "{% set unset_yet = 1 %}{{ unset_yet }}\n",
        id="loop-reads-a-name-assigned-later",
    ),
    pytest.param(
        "{% import 'macros.j2' as m %}{{ m.shout('hi') }}\n"
        "{% from 'macros.j2' import shout %}{{ shout('yo') }}\n",
        id="import-and-from-import",
    ),
    pytest.param(
        "{% set seen = 'yes' %}\n{% include 'wide.j2' %}{{ local | default('gone') }}\n"
        "{% for x in [7] %}{% include 'wide.j2' %}{% endfor %}\n",
        id="include-with-context-sees-top-level-and-loop-names",
    ),
    pytest.param(
        "{% include 'a.j2' %}\n{% include 'a.j2' without context %}\n{% include 'a.j2' %}",
        id="include-with-and-without-context",
    ),
    pytest.param(
        "text  \n  {%- if x -%}\n  kept  \n  {%- endif %}\n    {% if x %}lstrip{% endif %}\n"
        "  {%+ if x %}plus{% endif %}  \n{% if x %}trim{% endif %}\nend",
        id="whitespace-control-at-chunk-boundaries",
    ),
    pytest.param(
        "{% set w = 'x' %}{% macro twice() %}{{ caller('a') }}{{ caller('b') }}{% endmacro %}\n"
        "{% call(word) twice() %}{{ word }}{{ w }}{% endcall %}\n{% set w = 'y' %}",
        id="call-block",
    ),
    pytest.param(
        "{% if x %}\n{% set flag = 'on' %}\n{% endif %}flag {{ flag | default('off') }}\n",
        id="set-inside-a-top-level-if",
    ),
    pytest.param("one\n{{ missing_name }}\nthree\n", id="undefined-error-in-the-first-chunk"),
    pytest.param("ok\n{% if x %}\n\n{{ 1 // 0 }}{% endif %}\n", id="error-in-a-later-chunk"),
    pytest.param("{% for i in items %}{{ i.name }}{% break %}{% endfor %}", id="loop-controls"),
]
WHOLE_CASES = [
    pytest.param("{% extends 'base.j2' %}{% block body %}child{% endblock %}", id="extends"),
    pytest.param("{% block body %}a block{% endblock %}\n{{ self.body() }}", id="block-and-self"),
    pytest.param("{% for i in [[1], [2]] recursive %}{{ i }}{% endfor %}\n", id="recursive-loop"),
    pytest.param("{% if x %}unclosed\n", id="syntax-error"),
    pytest.param("{{ 1 | no_such_filter }}", id="unknown-filter"),
]


@pytest.mark.parametrize("main", CHUNKED_CASES)
def test_a_chunked_template_renders_as_the_whole_one(main: str) -> None:
    assert assert_same(main, CONTEXT)


@pytest.mark.parametrize("main", WHOLE_CASES)
def test_what_cannot_be_chunked_renders_whole_with_the_same_result(main: str) -> None:
    assert not assert_same(main, CONTEXT)


def test_a_template_assigning_a_context_name_renders_whole() -> None:
    """Jinja reads `x` in the loop as the not yet assigned top-level `x` (undefined); a chunk
    alone would read the context's `x`. The chunked template sees the clash and renders
    the whole template's code."""
    main = "{% for i in [1] %}{{ x }}{% endfor %}\n{% set x = 5 %}{{ x }}"
    templates = {MAIN: main}
    whole, _ = render(templates, CONTEXT, chunked=False)
    chunked, was_chunked = render(templates, CONTEXT, chunked=True)
    assert was_chunked and chunked == whole
    assert whole[1] is not None and "'x' is undefined" in whole[1]


def test_the_builtin_templates_render_the_same_chunked() -> None:
    templates = {
        path.relative_to(DEFAULTS).as_posix(): path.read_text()
        for path in sorted(DEFAULTS.rglob("*.j2"))
    }
    for name, source in templates.items():
        phase = header_phase(source) or Path(name).stem
        if name.startswith("partials/"):
            continue
        for seed in range(3):
            context = to_render_mapping(sample_context(phase, random.Random(seed)))
            assert assert_same(source, context, templates), name


def test_the_benchmark_template_renders_the_same_chunked_after_each_edit(tmp_path: Path) -> None:
    main, sample = write_workspace(tmp_path, 120, 5)
    templates = {
        path.relative_to(tmp_path).as_posix(): path.read_text() for path in tmp_path.rglob("*.j2")
    }
    context = to_render_mapping(json_context("analysis", sample.read_text(), str(sample)))
    assert SAMPLE["project"]
    lines = main.read_text().split("\n")
    for version, line in enumerate([3, 60, 60, 119, 0]):
        lines[line] = f"v{version} " + lines[line]
        assert assert_same("\n".join(lines), context, templates)


def _prose_edited(text: str, word: str) -> str:
    """`text` with `word` typed at the start of every line (text, outside any tag)."""
    return "\n".join(word + line if line else line for line in text.split("\n"))


@pytest.mark.parametrize("main", CHUNKED_CASES)
def test_prose_typed_into_any_chunk_renders_the_same(main: str) -> None:
    """Typing prose makes chunks of a shape already compiled, whose code is that shape's
    with the new texts in place: each edit renders as the whole template does."""
    assert_same(main, CONTEXT)
    for word in ("a", "longer words ", "<b>&'\"\\ {} %s \\x00 "):
        assert_same(_prose_edited(main, word), CONTEXT)


@pytest.mark.parametrize(
    ("before", "after", "reused"),
    [
        pytest.param(
            "{% if x %}yes{% endif %}\nThe project is {{ project.name }}.\n",
            "{% if x %}yes, so{% endif %}\nThe projects are {{ project.name }}!\n",
            True,
            id="prose-around-an-expression",
        ),
        pytest.param(
            "{% macro m(a) %}<{{ a }}>{% endmacro %}{{ m(1) }} tail\n",
            "{% macro m(a) %}<< {{ a }} >>{% endmacro %}{{ m(1) }} other tail\n",
            True,
            id="prose-inside-a-macro",
        ),
        pytest.param(
            "{% set b %}q{{ 1 }}r{% endset %}{{ b }}\n",
            "{% set b %}qq{{ 1 }}rr{% endset %}{{ b }}\n",
            False,
            id="text-folded-with-a-constant",
        ),
        pytest.param(
            "{% autoescape true %}<{{ x }}>{% endautoescape %}\n",
            "{% autoescape true %}<<{{ x }}>>{% endautoescape %}\n",
            False,
            id="autoescaped-text",
        ),
    ],
)
def test_a_prose_edit_takes_its_shapes_code_where_that_is_exact(
    before: str, after: str, reused: bool
) -> None:
    """Both texts render as whole (above); here: the edit's code comes from the shape
    compiled for `before` exactly when no text is transformed or joined at compile time."""
    assert assert_same(before, CONTEXT) and assert_same(after, CONTEXT)
    store = ChunkCache()
    environment = preview_engine("production", None).environment
    for text in (before, after):
        store.compile(environment, 0, MAIN, list(environment.lexer.tokeniter(text, MAIN)))
        shapes = store.shapes.values()
        assert len(shapes) <= 1
        assert (len(shapes) == 1 and shapes[0].compiled is not None) is reused


CHUNKABLE_DENSE = DENSE.replace("{% block body scoped %}{{ super() }}{% endblock %}", "")


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(steps=edits, base=st.sampled_from([CHUNKABLE_DENSE, DENSE]))
def test_every_edit_renders_the_same_chunked(base: str, steps: list[tuple[int, int, str]]) -> None:
    text = base
    assert_same(text, CONTEXT)
    for start, length, snippet in steps:
        start = min(start, len(text))
        text = text[:start] + snippet + text[start + length :]
        assert_same(text, CONTEXT)


STATEMENTS = [
    "{% set a = 1 %}",
    "{% set a = a ~ 'x' %}",
    "{% set b %}[{{ a }}]{% endset %}",
    "{% if x %}{% set a = 2 %}{% endif %}",
    "{% if n > 5 %}{% set b = 3 %}{% else %}{% set b = 4 %}{% endif %}",
    "{% for i in items %}{{ a }}{% set a = i.name %}{{ a }}{% endfor %}",
    "{% macro m() %}<{{ a }}|{{ b }}>{% endmacro %}",
    "{% macro m(a) %}({{ a }}{{ caller() if caller else '' }}){% endmacro %}",
    "{{ m() }}",
    "{% call m(7) %}c{{ a }}{% endcall %}",
    "{% set ns = namespace(v=a) %}",
    "{% set ns.v = b %}{{ ns.v }}",
    "{% include 'reads.j2' %}",
    "{% with a = 9 %}{{ a }}{{ m() }}{% endwith %}",
    "{% filter upper %}{{ a }}{% endfilter %}",
    "{% import 'macros.j2' as m %}",
    "{{ a }}{{ b }}",
    "text\n",
]
"""Statements that read and write the same few names at the top level, in any order."""


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(STATEMENTS), min_size=1, max_size=10))
def test_any_order_of_top_level_reads_and_writes_renders_the_same(parts: list[str]) -> None:
    reads = {"reads.j2": "{{ a | default('-') }}{{ b | default('-') }}{{ ns | default('') }}\n"}
    context = {"x": True, "n": 3, "items": [{"name": "p"}, {"name": "q"}]}
    assert_same("\n".join(parts), context, reads)


def _preview_text(templates: dict[str, str], budget: RenderBudget | None = None) -> str:
    lookup = files_lookup(lambda name: (templates[name], name) if name in templates else None)
    loader = PreviewLoader("production", lookup, chunked=MAIN)
    try:
        with serving(loader):
            return preview_engine("production", budget).render(MAIN, {})
    except TemplateRenderError as error:
        return f"error: {error}"


def test_a_shared_engine_serves_each_preview_its_own_templates() -> None:
    first = _preview_text({MAIN: "{% include 'p.j2' %}!", "p.j2": "one"})
    second = _preview_text({MAIN: "{% include 'p.j2' %}!", "p.j2": "two"})
    assert (first, second) == ("one!", "two!")


def test_an_imported_module_is_rendered_under_each_renders_budget() -> None:
    """A fresh engine renders an imported template's module in every render that imports
    it; the shared engine must too, or a later preview would escape part of its budget."""
    budget = RenderBudget(max_iterations=10)
    templates = {
        MAIN: "{% import 'loops.j2' as l %}{% import 'loops.j2' as again %}"
        "{% for i in range(4) %}{% endfor %}done",
        "loops.j2": "{% for i in range(4) %}{% endfor %}",
    }
    assert _preview_text(templates, budget) == "done"  # 4 + 4: the module renders once
    templates[MAIN] = templates[MAIN].replace("range(4)", "range(7)")
    for _attempt in range(2):
        assert "more than 10 loop iterations" in _preview_text(templates, budget)


def test_previews_on_worker_threads_at_once_each_render_their_own_templates() -> None:
    """The language server renders previews on a thread pool, all on the shared engine."""
    sources = {
        f"v{index}": {MAIN: f"{{% include 'p.j2' %}}{index}\n" * 200, "p.j2": f"<{index}>"}
        for index in range(6)
    }
    expected = {key: (f"<{key[1:]}>{key[1:]}\n" * 200) for key in sources}
    with ThreadPoolExecutor(max_workers=3) as pool:
        rendered = dict(zip(sources, pool.map(_preview_text, sources.values()), strict=True))
    assert rendered == expected
