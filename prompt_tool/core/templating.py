"""The one Jinja environment that renders prompts, and that the analyser asks what exists."""

from __future__ import annotations

import json
import re
import textwrap
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextvars import ContextVar
from dataclasses import asdict, is_dataclass
from functools import wraps
from types import BuiltinMethodType, MethodType
from typing import Any

from jinja2 import BaseLoader, DictLoader, StrictUndefined, TemplateError, TemplateNotFound, nodes
from jinja2.compiler import CodeGenerator, Frame, optimizeconst
from jinja2.exceptions import SecurityError, TemplateSyntaxError, UndefinedError
from jinja2.runtime import Context
from jinja2.sandbox import SandboxedEnvironment
from jinja2.utils import Namespace, generate_lorem_ipsum

from prompt_tool.core.budget import RenderBudget
from prompt_tool.core.errors import PromptToolError
from prompt_tool.core.source_map import TracedRender, trace_chunks

DEFAULT_EXTENSIONS: tuple[str, ...] = ("jinja2.ext.loopcontrols",)


class TemplateRenderError(PromptToolError):
    """A template failed while rendering: an undefined name, a bad filter argument."""


class TemplateRecursionError(TemplateRenderError):
    """Templates include each other without end; rendering was stopped."""


class SandboxViolationError(TemplateRenderError):
    """A template tried to reach Python internals the sandbox forbids."""


class RenderBudgetError(TemplateRenderError):
    """A render went over its budget (time, output size, loop iterations, range or number size)."""


def indent_block(text: object, width: int = 2, first: bool = True) -> str:
    """Indent every non-blank line of `text`, so a multi-line value nests under a heading."""
    prefix = " " * width
    lines = str(text).splitlines()
    return "\n".join(
        (prefix + line if line.strip() and (first or index) else line)
        for index, line in enumerate(lines)
    )


def bullet_list(items: Iterable[object], marker: str = "-") -> str:
    """One `- item` line per element; the usual way to list criteria in a prompt."""
    return "\n".join(f"{marker} {item}" for item in items)


def numbered_list(items: Iterable[object], start: int = 1) -> str:
    """One `1. item` line per element, for ordered steps."""
    return "\n".join(f"{number}. {item}" for number, item in enumerate(items, start))


def truncate_words(text: object, count: int = 50, end: str = "…") -> str:
    """At most `count` words of `text`, so a long summary cannot swamp the prompt."""
    words = str(text).split()
    if len(words) <= count:
        return " ".join(words)
    return " ".join(words[:count]) + end


def _json_default(value: object) -> object:
    if is_dataclass(value) and not isinstance(value, type):
        return asdict(value)
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    return str(value)


def to_json(value: object, indent: int | None = 2) -> str:
    """JSON without HTML escaping (Jinja's `tojson` escapes `<`, which garbles prompts)."""
    return json.dumps(value, indent=indent, ensure_ascii=False, default=_json_default)


def code_block(text: object, language: str = "") -> str:
    """Fence `text` as Markdown code; a longer fence when the text itself holds one."""
    body = textwrap.dedent(str(text)).strip("\n")
    fence = "````" if "```" in body else "```"
    return f"{fence}{language}\n{body}\n{fence}"


CUSTOM_FILTERS: dict[str, Any] = {
    "indent_block": indent_block,
    "bullet_list": bullet_list,
    "numbered_list": numbered_list,
    "truncate_words": truncate_words,
    "to_json": to_json,
    "code_block": code_block,
}


def _as_loader(templates: BaseLoader | Mapping[str, str] | None) -> BaseLoader:
    if isinstance(templates, BaseLoader):
        return templates
    return DictLoader(dict(templates or {}))


SETTINGS_HINT = "[tool.prompt-tool.render]"
LARGE_NUMBER = re.compile(r"\d{7,}")
GUARDED_MARK = "prompt_tool_budget_guarded"
_METHODS = (MethodType, BuiltinMethodType)
"""What `SandboxedEnvironment.wrap_str_format` looks at; anything else it returns None for."""


class _Meter:
    """What one render has spent: its deadline and loop iterations (`TemplateEngine._run`
    counts the output)."""

    def __init__(self, budget: RenderBudget) -> None:
        self.budget = budget
        self.deadline = time.monotonic() + budget.max_seconds
        self.iterations = 0

    def check_time(self) -> None:
        if time.monotonic() > self.deadline:
            raise _over(f"took longer than {self.budget.max_seconds:g} s", "max_seconds")

    def loop(self, iterable: Iterable[Any]) -> Iterator[Any]:
        for item in iterable:
            self.iterations += 1
            if self.iterations > self.budget.max_iterations:
                limit = self.budget.max_iterations
                raise _over(f"more than {limit:,} loop iterations", "max_iterations")
            self.check_time()
            yield item


_METER: ContextVar[_Meter | None] = ContextVar("prompt_tool_render_meter", default=None)


def _over(what: str, setting: str) -> RenderBudgetError:
    return RenderBudgetError(f"render budget exceeded: {what} ({SETTINGS_HINT} {setting})")


def _output_over(budget: RenderBudget) -> RenderBudgetError:
    limit = budget.max_output_chars
    return _over(f"output over {limit:,} characters", "max_output_chars")


def _tick() -> None:
    meter = _METER.get()
    if meter is not None:
        meter.check_time()


def _check_size(budget: RenderBudget, size: int) -> None:
    if size > budget.max_output_chars:
        raise _output_over(budget)


def _check_value(budget: RenderBudget, value: object) -> None:
    """A value built by the template (a call's or a filter's result) may not exceed the budget."""
    if isinstance(value, str | bytes | list | tuple | dict | set):
        _check_size(budget, len(value))


def _check_arguments(budget: RenderBudget, args: Iterable[object]) -> None:
    """A width or count above the output budget can only build an oversized value."""
    for value in args:
        if isinstance(value, int) and not isinstance(value, bool):
            if abs(value) > budget.max_output_chars:
                raise _over(
                    f"argument {value:,} is larger than the output budget", "max_output_chars"
                )
        elif isinstance(value, str) and LARGE_NUMBER.search(value):
            _check_format(budget, value)


def _check_format(budget: RenderBudget, text: str) -> None:
    """A `%`- or `{}`-format with a width above the output budget ('%999999999s')."""
    for digits in LARGE_NUMBER.findall(text):
        if len(digits) > 18 or int(digits) > budget.max_output_chars:
            raise _over(
                f"format width {digits} is larger than the output budget", "max_output_chars"
            )


def _estimated_size(name: str, args: tuple[Any, ...], kwargs: Mapping[str, Any]) -> int:
    """The size the amplifying filters and methods would build, before they build it.

    `name` is a filter's name, or `str.<method>` for a string method (its owner first).
    """
    values = [*args, *kwargs.values()]
    if name in {"indent", "indent_block"} and values and isinstance(values[0], str):
        width = next((v for v in values[1:] if not isinstance(v, bool)), 4)
        size = len(width) if isinstance(width, str) else width if isinstance(width, int) else 0
        return len(values[0]) + (values[0].count("\n") + 1) * max(size, 0)
    if name in {"replace", "str.replace"} and len(values) >= 3:
        text, old, new = values[:3]
        if isinstance(text, str) and isinstance(old, str) and isinstance(new, str):
            return len(text) + (text.count(old) if old else len(text) + 1) * len(new)
    if name in {"join", "str.join"} and len(values) >= 2:
        items, separator = (values[1], values[0]) if name == "str.join" else values[:2]
        if isinstance(separator, str) and hasattr(items, "__len__"):
            return len(items) * len(separator)
    return 0


def _guarded_filter(environment: BudgetedEnvironment, name: str, function: Any) -> Any:
    """`function` with its arguments and result checked against the environment's budget.

    A failed check at compile time (Jinja folds filters of constants) only stops the folding;
    the render then fails with the budget error.
    """
    skip = 2 if hasattr(function, "jinja_pass_arg") else 1

    @wraps(function)
    def guarded(*args: Any, **kwargs: Any) -> Any:
        budget = environment.budget
        _tick()
        _check_arguments(budget, [*args[skip:], *kwargs.values()])
        if name == "format" and len(args) >= skip and isinstance(args[skip - 1], str):
            _check_format(budget, args[skip - 1])
        _check_size(budget, _estimated_size(name, args[skip - 1 :], kwargs))
        result = function(*args, **kwargs)
        _check_value(budget, result)
        return result

    setattr(guarded, GUARDED_MARK, True)
    return guarded


class BudgetedCodeGenerator(CodeGenerator):
    """Jinja's code generator, with every loop iterating through `environment.budget_loop`.

    The loop's iterable is wrapped in a call for the length of the loop's code generation
    only, so the tree the caller parsed (the analyser's, a cache's) is left as it was.
    """

    def visit_For(self, node: nodes.For, frame: Frame) -> None:
        original = node.iter
        counted = nodes.Call(nodes.EnvironmentAttribute("budget_loop"), [original], [], None, None)
        node.iter = counted.set_lineno(original.lineno)
        try:
            super().visit_For(node, frame)
        finally:
            node.iter = original

    @optimizeconst
    def visit_Concat(self, node: nodes.Concat, frame: Frame) -> None:
        """`a ~ b` joined by the environment's `concat`, which stops at the output budget."""
        if frame.eval_ctx.volatile or frame.eval_ctx.autoescape:
            super().visit_Concat(node, frame)
            return
        self.write("environment.concat(map(str, (")
        for argument in node.nodes:
            self.visit(argument, frame)
            self.write(", ")
        self.write(")))")


class BudgetedNamespace(Namespace):
    """`namespace()`, whose attributes may not grow beyond the output budget in a loop."""

    def __setitem__(self, name: str, value: Any) -> None:
        meter = _METER.get()
        if meter is not None:
            _check_value(meter.budget, value)
        super().__setitem__(name, value)


class BudgetedEnvironment(SandboxedEnvironment):
    """The sandbox, plus the render budget: every way a template can do unbounded work.

    Loops count their iterations (`budget_loop`, woven in by the code generator); `range`,
    `lipsum` and the filters check their sizes before building anything; `*`, `**`, `+`
    and `%` are intercepted, which also keeps Jinja from folding `9**(9**9)` at compile
    time; calls (macros, methods) check the time and their result; captured blocks are
    joined by a `concat` that stops at the output budget.
    """

    intercepted_binops = frozenset({"+", "*", "%", "**"})
    code_generator_class = BudgetedCodeGenerator

    def __init__(self, *args: Any, budget: RenderBudget, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.budget = budget
        self.globals.update(range=self.budget_range, lipsum=self.budget_lipsum)
        self.globals["namespace"] = BudgetedNamespace
        self._safe_attributes: dict[tuple[type, str], bool] = {}
        """`is_safe_attribute`'s answers by (type, attribute) (see `getattr`): a cache."""

    def getattr(self, obj: Any, attribute: str) -> Any:
        """The sandbox's `getattr`, with its check answered once per (type, attribute).

        A prompt reads thousands of attributes (a third of a long render was the sandbox
        asking the same questions again). What Jinja does is unchanged: the attribute, else
        the item, else undefined; a bound method goes through `wrap_str_format` (only a
        method can be a `str.format`); and the safety check, which is cached only where
        its answer is a function of the type and the name (see `_is_safe`).
        """
        try:
            value = getattr(obj, attribute)
        except AttributeError:
            try:
                return obj[attribute]
            except (TypeError, LookupError):
                return self.undefined(obj=obj, name=attribute)
        if isinstance(value, _METHODS):
            formatter = self.wrap_str_format(value)
            if formatter is not None:
                return formatter
        if self._is_safe(obj, attribute, value):
            return value
        return self.unsafe_undefined(obj, attribute)

    def _is_safe(self, obj: Any, attribute: str, value: Any) -> bool:
        """Jinja's default check reads only the name and `isinstance(obj, …)`, which is a
        function of `type(obj)` when `obj.__class__` is its type; otherwise (or with a
        subclass's own check) it is asked every time."""
        kind = type(obj)
        if (
            obj.__class__ is not kind
            or type(self).is_safe_attribute is not SandboxedEnvironment.is_safe_attribute
        ):
            return self.is_safe_attribute(obj, attribute, value)
        key = (kind, attribute)
        safe = self._safe_attributes.get(key)
        if safe is None:
            if len(self._safe_attributes) > 4096:
                self._safe_attributes.clear()
            safe = self._safe_attributes[key] = self.is_safe_attribute(obj, attribute, value)
        return safe

    def guard_filters(self) -> None:
        """Wrap every registered filter (call again after adding filters)."""
        for name, function in list(self.filters.items()):
            if not getattr(function, GUARDED_MARK, False):
                self.filters[name] = _guarded_filter(self, name, function)

    def budget_loop(self, iterable: Iterable[Any]) -> Iterable[Any]:
        meter = _METER.get()
        return iterable if meter is None else meter.loop(iterable)

    def budget_range(self, *args: int) -> range:
        try:
            numbers = range(*args)
            size = len(numbers)
        except OverflowError:
            size = self.budget.max_range + 1
        if size > self.budget.max_range:
            raise _over(f"range of more than {self.budget.max_range:,} items", "max_range")
        return numbers

    def budget_lipsum(self, n: int = 5, html: bool = True, min: int = 20, max: int = 100) -> str:
        _check_arguments(self.budget, [n, min, max])
        _check_size(self.budget, n * max * 12)
        return str(generate_lorem_ipsum(n, html, min, max))

    def concat(self, parts: Iterable[str]) -> str:
        collected: list[str] = []
        size = 0
        for part in parts:
            size += len(part)
            _check_size(self.budget, size)
            collected.append(part)
        return "".join(collected)

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        _tick()
        self._check_binop(operator, left, right)
        result = self.binop_table[operator](left, right)
        _check_value(self.budget, result)
        return result

    def _check_binop(self, operator: str, left: Any, right: Any) -> None:
        budget = self.budget
        if operator == "%" and isinstance(left, str):
            _check_format(budget, left)
        ints = [v for v in (left, right) if isinstance(v, int) and not isinstance(v, bool)]
        sized = [v for v in (left, right) if isinstance(v, str | list | tuple)]
        if operator == "*" and len(ints) == 2:
            digits = (left.bit_length() + right.bit_length()) * 0.302
            if digits > budget.max_integer_digits:
                raise _integer_over(budget)
        elif operator == "*" and ints and sized:
            _check_size(budget, len(sized[0]) * ints[0])
        elif operator == "+" and len(sized) == 2:
            _check_size(budget, len(sized[0]) + len(sized[1]))
        elif (
            operator == "**"
            and len(ints) == 2
            and right > 0
            and right * abs(left).bit_length() * 0.302 > budget.max_integer_digits + 1
        ):
            raise _integer_over(budget)

    def call(__self, __context: Context, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        _tick()
        budget = __self.budget
        owner = getattr(__obj, "__self__", None)
        if isinstance(owner, str | list | tuple):
            _check_arguments(budget, [*args, *kwargs.values()])
            name = f"str.{getattr(__obj, '__name__', '')}"
            _check_size(budget, _estimated_size(name, (owner, *args), kwargs))
        result = super().call(__context, __obj, *args, **kwargs)
        _check_value(budget, result)
        return result

    def wrap_str_format(self, value: Any) -> Callable[..., str] | None:
        wrapped = super().wrap_str_format(value)
        owner = getattr(value, "__self__", None)
        if wrapped is not None and isinstance(owner, str):
            _check_format(self.budget, owner)
        return wrapped


def _integer_over(budget: RenderBudget) -> RenderBudgetError:
    limit = budget.max_integer_digits
    return _over(f"a number of more than {limit:,} digits", "max_integer_digits")


class TemplateEngine:
    """A sandboxed, strict Jinja environment plus the product's filters, under a render budget.

    Renders prompts (undefined names fail loudly rather than vanish) and tells the analyser
    which filters, tests and globals exist, so the two can never disagree. Every render runs
    under `budget` (see `RenderBudget`); a render over it raises `RenderBudgetError`.
    """

    def __init__(
        self,
        templates: BaseLoader | Mapping[str, str] | None = None,
        *,
        extensions: Iterable[str] = (),
        extra_globals: Mapping[str, Any] | None = None,
        budget: RenderBudget | None = None,
    ) -> None:
        wanted = list(dict.fromkeys([*DEFAULT_EXTENSIONS, *extensions]))
        self.budget = budget or RenderBudget()
        self.environment = BudgetedEnvironment(
            loader=_as_loader(templates),
            undefined=StrictUndefined,
            extensions=wanted,
            autoescape=False,
            keep_trailing_newline=True,
            trim_blocks=True,
            lstrip_blocks=True,
            budget=self.budget,
        )
        self.environment.filters.update(CUSTOM_FILTERS)
        self.environment.globals.update(extra_globals or {})
        self.environment.guard_filters()

    def filter_names(self) -> frozenset[str]:
        return frozenset(self.environment.filters)

    def test_names(self) -> frozenset[str]:
        return frozenset(self.environment.tests)

    def global_names(self) -> frozenset[str]:
        return frozenset(self.environment.globals)

    def render(self, name: str, context: Mapping[str, Any]) -> str:
        """Render template `name` from the loader with `context`."""
        return self._run(name, lambda: self.environment.get_template(name).generate(context))

    def render_traced(self, name: str, context: Mapping[str, Any], trace: TracedRender) -> str:
        """`render`, recording each chunk with the template line it came from (previews).

        The engine must be `instrument`ed; the text is the one `render` gives.
        """
        template = self.environment.get_template
        return self._run(name, lambda: trace_chunks(template(name), context, trace))

    def render_string(self, source: str, context: Mapping[str, Any], name: str = "<string>") -> str:
        """Render `source` directly (previews, tests); includes still go through the loader."""
        return self._run(name, lambda: self.environment.from_string(source).generate(context))

    def _run(self, name: str, generate: Callable[[], Iterator[str]]) -> str:
        """Stream the output, stopping as soon as it is over budget; errors become one line."""
        meter = _Meter(self.budget)
        token = _METER.set(meter)
        try:
            parts: list[str] = []
            append, limit, deadline, clock = (
                parts.append,
                self.budget.max_output_chars,
                meter.deadline,
                time.monotonic,
            )
            size = 0
            for chunk in generate():  # checked inline: a prompt is thousands of chunks
                size += len(chunk)
                if size > limit:
                    raise _output_over(self.budget)
                if clock() > deadline:
                    meter.check_time()
                append(chunk)
            result = "".join(parts)
        except RenderBudgetError as error:
            raise RenderBudgetError(f"{name}: {error}") from None
        except RecursionError:
            raise TemplateRecursionError(
                f"{name}: includes recurse without end; rendering stopped"
            ) from None
        except SecurityError as error:
            raise SandboxViolationError(f"{name}: blocked by the sandbox: {error}") from None
        except TemplateNotFound as error:
            raise TemplateRenderError(f"{name}: template not found: {error.name}") from None
        except TemplateSyntaxError as error:
            where = error.filename or error.name or name
            raise TemplateRenderError(f"{where}:{error.lineno}: {error.message}") from None
        except UndefinedError as error:
            raise TemplateRenderError(f"{name}: {error.message}") from None
        except TemplateError as error:
            raise TemplateRenderError(f"{name}: {error}") from None
        except (ArithmeticError, LookupError, TypeError, ValueError) as error:
            raise TemplateRenderError(f"{name}: {type(error).__name__}: {error}") from None
        finally:
            _METER.reset(token)
        return result
