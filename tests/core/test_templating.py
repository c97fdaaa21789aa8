"""TemplateEngine: strict sandboxed rendering, the product's filters, clear failures."""

from __future__ import annotations

import pytest
from jinja2 import DictLoader

from prompt_tool.core.errors import PromptToolError
from prompt_tool.core.templating import (
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
