"""TemplateEngine: strict sandboxed rendering, the product's filters, clear failures."""

from __future__ import annotations

from collections.abc import Iterator
from types import GeneratorType

import pytest
from jinja2 import DictLoader

from prompt_tool.core.budget import RenderBudget
from prompt_tool.core.errors import PromptToolError
from prompt_tool.core.templating import (
    RenderBudgetError,
    SandboxViolationError,
    TemplateEngine,
    TemplateRecursionError,
    TemplateRenderError,
)


@pytest.mark.parametrize(
    "payload",
    [
        pytest.param("{{ ''.__class__.__mro__ }}", id="str-mro"),
        pytest.param("{{ ''.__class__.__mro__[1].__subclasses__() }}", id="subclasses"),
        pytest.param("{{ cycler.__init__.__globals__ }}", id="cycler-globals"),
        pytest.param("{{ lipsum.__globals__['os'] }}", id="lipsum-globals"),
        pytest.param("{{ joiner.__init__.__globals__.__builtins__ }}", id="joiner-builtins"),
        pytest.param("{{ '{0.__class__}'.format(1) }}", id="format-string"),
        pytest.param("{{ self._TemplateReference__context }}", id="private-context"),
        pytest.param("{{ namespace.__init__ }}", id="namespace-init"),
    ],
)
def test_sandbox_escapes_fail_clearly(payload: str) -> None:
    with pytest.raises(SandboxViolationError, match="sandbox"):
        TemplateEngine().render_string(payload, {})


def test_undefined_name_is_an_error_not_empty_text() -> None:
    with pytest.raises(TemplateRenderError, match="'missing' is undefined"):
        TemplateEngine().render_string("Hello {{ missing }}", {})


def test_include_recursion_stops_with_domain_error() -> None:
    engine = TemplateEngine({"a.j2": "{% include 'b.j2' %}", "b.j2": "{% include 'a.j2' %}"})
    with pytest.raises(TemplateRecursionError, match=r"a\.j2: includes recurse"):
        engine.render("a.j2", {})
    assert issubclass(TemplateRecursionError, PromptToolError)


def test_renders_includes_from_the_given_loader() -> None:
    engine = TemplateEngine(DictLoader({"p.j2": "[{{ x }}]", "main.j2": "{% include 'p.j2' %}!"}))
    assert engine.render("main.j2", {"x": 1}) == "[1]!"


def test_missing_template_and_python_errors_become_render_errors() -> None:
    engine = TemplateEngine({"main.j2": "{% include 'gone.j2' %}"})
    with pytest.raises(TemplateRenderError, match=r"gone\.j2"):
        engine.render("main.j2", {})
    with pytest.raises(TemplateRenderError, match="ZeroDivisionError"):
        engine.render_string("{{ 1 // 0 }}", {})


def test_loopcontrols_enabled() -> None:
    source = "{% for i in range(5) %}{% if i == 2 %}{% break %}{% endif %}{{ i }}{% endfor %}"
    assert TemplateEngine().render_string(source, {}) == "01"


@pytest.mark.parametrize(
    ("source", "context", "expected"),
    [
        pytest.param("{{ t | indent_block(2) }}", {"t": "a\n\nb"}, "  a\n\n  b", id="indent_block"),
        pytest.param("{{ xs | bullet_list }}", {"xs": ["a", "b"]}, "- a\n- b", id="bullet_list"),
        pytest.param("{{ xs | numbered_list }}", {"xs": ["a", "b"]}, "1. a\n2. b", id="numbered"),
        pytest.param(
            "{{ t | truncate_words(2) }}", {"t": "one two three"}, "one two…", id="truncate"
        ),
        pytest.param(
            "{{ t | truncate_words(5) }}", {"t": "one  two"}, "one two", id="truncate-short"
        ),
        pytest.param("{{ v | to_json(None) }}", {"v": {"a": "<b>"}}, '{"a": "<b>"}', id="to_json"),
        pytest.param("{{ t | code_block('py') }}", {"t": "x = 1"}, "```py\nx = 1\n```", id="code"),
        pytest.param("{{ t | code_block }}", {"t": "```\n```"}, "````\n```\n```\n````", id="fence"),
    ],
)
def test_custom_filters(source: str, context: dict[str, object], expected: str) -> None:
    assert TemplateEngine().render_string(source, context) == expected


def test_names_exposed_for_the_analyser() -> None:
    engine = TemplateEngine(extra_globals={"strftime_now": lambda fmt: fmt})
    assert {"bullet_list", "to_json", "upper"} <= engine.filter_names()
    assert {"defined", "string"} <= engine.test_names()
    assert {"range", "namespace", "strftime_now"} <= engine.global_names()


TIGHT = RenderBudget(max_seconds=0.5, max_output_chars=10_000, max_iterations=1_000)


@pytest.mark.parametrize(
    ("source", "reason"),
    [
        pytest.param("{{ 9**(9**9) }}", "digits", id="power-tower"),
        pytest.param("{{ 9**(9**5) }}", "digits", id="power-over-str-limit"),
        pytest.param("{{ (10**2000) * (10**3000) }}", "digits", id="integer-product"),
        pytest.param(
            "{% for i in range(1000) %}{% for j in range(1000) %}{% endfor %}{% endfor %}",
            "loop iterations",
            id="nested-loops",
        ),
        pytest.param(
            "{% set s = 'ab' * 2000 %}{% for a in s %}{% for b in s %}{% endfor %}{% endfor %}",
            "loop iterations",
            id="nested-loops-over-text",
        ),
        pytest.param("{{ range(10**6)|list|length }}", "range", id="range"),
        pytest.param("{{ range(10**30)|length }}", "range", id="range-beyond-maxsize"),
        pytest.param("{{ lipsum(n=10**6) }}", "output", id="lipsum"),
        pytest.param("{{ 'a' * 10**9 }}", "output", id="string-times-number"),
        pytest.param("{{ [0] * 10**9 }}", "output", id="list-times-number"),
        pytest.param("{% set x = 'a' * 9000 %}{{ x + x }}", "output", id="string-plus"),
        pytest.param("{{ 'a'|center(10**9) }}", "argument", id="filter-width"),
        pytest.param("{{ 'a'|center(1000000000) }}", "argument", id="filter-width-constant"),
        pytest.param("{{ 'a'.ljust(10**9) }}", "argument", id="method-width"),
        pytest.param("{{ '%999999999s'|format('a') }}", "format width", id="format-filter"),
        pytest.param("{{ '%999999999s' % 'a' }}", "format width", id="percent-format"),
        pytest.param("{{ '{:>999999999}'.format('a') }}", "format width", id="str-format"),
        pytest.param("{{ range(1000)|join('x' * 5000) }}", "output", id="join-separator-amplifies"),
        pytest.param("{{ ('a\n' * 4000)|indent(9000) }}", "output", id="indent-amplifies"),
        pytest.param(
            "{{ ('a' * 4000)|replace('a', 'b' * 4000) }}", "output", id="replace-amplifies"
        ),
        pytest.param(
            "{{ ('a' * 4000).replace('a', 'b' * 4000) }}", "output", id="str-replace-amplifies"
        ),
        pytest.param("{{ ('x' * 5000).join(range(1000)|map('string')) }}", "output", id="str-join"),
        pytest.param("{{ ('a' * 5000)|join('b' * 5000) }}", "output", id="join-over-text"),
        pytest.param(
            "{{ ('a\n' * 4000)|indent('x' * 9000) }}", "output", id="indent-with-a-string"
        ),
        pytest.param(
            "{% set ns = namespace(s='aaaaaaaaaa') %}{% for i in range(60) %}"
            "{% set ns.s = ns.s ~ ns.s %}{% endfor %}",
            "output",
            id="namespace-doubling",
        ),
        pytest.param(
            "{% set a = 'aaaaaaaaaa' %}" + "{% set a = a ~ a ~ a ~ a %}" * 30,
            "output",
            id="concat-doubling",
        ),
        pytest.param(
            "{% set x %}{% for i in range(900) %}" + "a" * 100 + "{% endfor %}{% endset %}",
            "output",
            id="captured-block",
        ),
        pytest.param(
            "{% for i in range(900) %}" + "a" * 100 + "{% endfor %}", "output", id="output"
        ),
        pytest.param(
            "{% macro m(n) %}{% if n %}{{ m(n - 1) }}{{ m(n - 1) }}{% endif %}{% endmacro %}"
            "{{ m(60) }}",
            "longer than",
            id="exponential-macro",
        ),
    ],
)
def test_render_over_budget_is_one_clear_error(source: str, reason: str) -> None:
    engine = TemplateEngine(budget=TIGHT)
    with pytest.raises(RenderBudgetError, match=f"render budget exceeded: .*{reason}") as caught:
        engine.render_string(source, {}, name="prompt.j2")
    assert str(caught.value).startswith("prompt.j2: ")
    assert "\n" not in str(caught.value)
    assert "[tool.prompt-tool.render]" in str(caught.value)


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        pytest.param("{% for i in range(10) %}{{ i }}{% endfor %}", "0123456789", id="loop"),
        pytest.param(
            "{{ 2**10 }} {{ 'ab' * 3 }} {{ 7 % 3 }} {{ 1 + 2 }}", "1024 ababab 1 3", id="ops"
        ),
        pytest.param("{{ '%5s'|format('x') }}|{{ 'x'|center(5) }}", "    x|  x  ", id="widths"),
        pytest.param("{{ [1, 2]|join(', ') }}", "1, 2", id="join"),
        pytest.param("{{ 'a\nb'|indent(2, true) }}", "  a\n  b", id="indent"),
        pytest.param("{{ '{:>3}'.format('x') }}", "  x", id="str-format"),
        pytest.param(
            "{% set ns = namespace(n=0) %}{% for i in range(5) %}{% set ns.n = ns.n + i %}"
            "{% endfor %}{{ ns.n }}",
            "10",
            id="namespace",
        ),
        pytest.param("{{ lipsum(1, false, 5, 6)|wordcount }}", "5", id="lipsum"),
        pytest.param("{% set x %}{{ 'a' ~ 'b' }}{% endset %}{{ x }}", "ab", id="captured"),
    ],
)
def test_honest_templates_render_under_the_budget(source: str, expected: str) -> None:
    assert TemplateEngine(budget=TIGHT).render_string(source, {}) == expected


def test_budget_counts_loops_of_included_templates() -> None:
    engine = TemplateEngine(
        {"inner.j2": "{% for j in range(100) %}{% endfor %}"},
        budget=TIGHT,
    )
    with pytest.raises(RenderBudgetError, match="loop iterations"):
        engine.render_string("{% for i in range(20) %}{% include 'inner.j2' %}{% endfor %}", {})


def test_each_render_gets_the_whole_budget() -> None:
    engine = TemplateEngine(budget=TIGHT)
    source = "{% for i in range(600) %}.{% endfor %}"
    assert engine.render_string(source, {}) == "." * 600
    assert engine.render_string(source, {}) == "." * 600


def test_compiling_never_folds_unbounded_constants() -> None:
    """Jinja folds constants at compile time; intercepted operators are not folded."""
    from jinja2 import meta

    environment = TemplateEngine().environment
    ast = environment.parse("{{ 9**(9**9) }}{{ 'a'|center(1000000000) }}{{ 'a' * 10**9 }}")
    assert meta.find_undeclared_variables(ast) == set()
    environment.compile("{{ 9**(9**9) }}{{ 'a'|center(1000000000) }}")


class _Disguised:
    """An object that says it is of another class: the sandbox judges it by `__class__`."""

    def __init__(self, claims: type) -> None:
        self.claims = claims
        self.gi_frame = "a frame"

    @property  # type: ignore[misc]
    def __class__(self) -> type:
        return self.claims


def _generator() -> Iterator[int]:
    """A generator, whose frame the sandbox hides."""
    yield 1


def _function() -> None:
    """A plain function, whose `__code__`-like attributes the sandbox hides."""


@pytest.mark.parametrize(
    ("obj", "attribute"),
    [
        pytest.param(_function, "__code__", id="function-code"),
        pytest.param(_function, "__name__", id="function-dunder-name"),
        pytest.param(TemplateEngine().render, "__func__", id="method-func"),
        pytest.param(str, "mro", id="type-mro"),
        pytest.param(str, "upper", id="type-upper"),
        pytest.param("text", "upper", id="str-method"),
        pytest.param("a{0}", "format", id="str-format"),
        pytest.param("a{x}", "format_map", id="str-format-map"),
        pytest.param("text", "_private", id="missing-private"),
        pytest.param({"key": 1}, "key", id="dict-item"),
        pytest.param({"key": 1}, "items", id="dict-method"),
        pytest.param([1, 2], "missing", id="list-missing"),
        pytest.param(RenderBudget(), "max_seconds", id="dataclass-field"),
        pytest.param(RenderBudget(), "__dict__", id="dataclass-dunder"),
        pytest.param(_Disguised(object), "gi_frame", id="disguised-plain"),
        pytest.param(_Disguised(GeneratorType), "gi_frame", id="disguised-generator"),
        pytest.param(_generator(), "gi_frame", id="generator-frame"),
    ],
)
def test_attribute_checks_answer_as_the_sandbox_does(obj: object, attribute: str) -> None:
    """`getattr` caches the sandbox's check per (type, attribute); asked twice, it must
    give what Jinja's own `SandboxedEnvironment.getattr` gives, unsafe or not."""
    from jinja2.runtime import Undefined
    from jinja2.sandbox import SandboxedEnvironment

    environment = TemplateEngine().environment
    expected = SandboxedEnvironment.getattr(environment, obj, attribute)
    for _attempt in range(2):
        found = environment.getattr(obj, attribute)
        if isinstance(expected, Undefined):
            assert isinstance(found, Undefined)
            assert found._undefined_hint == expected._undefined_hint
            assert found._undefined_exception is expected._undefined_exception
        elif attribute == "format":
            assert type(found) is type(expected) and found(1) == expected(1) == "a1"
        elif attribute == "format_map":
            assert found({"x": 2}) == expected({"x": 2}) == "a2"
        else:
            assert found == expected


def test_attribute_checks_of_one_type_follow_each_objects_class() -> None:
    """Two objects of one type that claim different classes get different answers."""
    environment = TemplateEngine().environment
    assert environment.getattr(_Disguised(object), "gi_frame") == "a frame"
    with pytest.raises(SandboxViolationError, match="unsafe"):
        TemplateEngine().render_string(
            "{{ plain.gi_frame }}{{ generator.gi_frame }}",
            {"plain": _Disguised(object), "generator": _Disguised(GeneratorType)},
        )
