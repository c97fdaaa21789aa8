"""The one Jinja environment that renders prompts, and that the analyser asks what exists."""

from __future__ import annotations

import json
import textwrap
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, is_dataclass
from typing import Any

from jinja2 import BaseLoader, DictLoader, StrictUndefined, TemplateError, TemplateNotFound
from jinja2.exceptions import SecurityError, TemplateSyntaxError, UndefinedError
from jinja2.sandbox import SandboxedEnvironment

from prompt_tool.core.errors import PromptToolError
from prompt_tool.core.source_map import TracedRender, trace_chunks

DEFAULT_EXTENSIONS: tuple[str, ...] = ("jinja2.ext.loopcontrols",)


class TemplateRenderError(PromptToolError):
    """A template failed while rendering: an undefined name, a bad filter argument."""


class TemplateRecursionError(TemplateRenderError):
    """Templates include each other without end; rendering was stopped."""


class SandboxViolationError(TemplateRenderError):
    """A template tried to reach Python internals the sandbox forbids."""


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


class TemplateEngine:
    """A sandboxed, strict Jinja environment plus the product's filters.

    Renders prompts (undefined names fail loudly rather than vanish) and tells the analyser
    which filters, tests and globals exist, so the two can never disagree.
    """

    def __init__(
        self,
        templates: BaseLoader | Mapping[str, str] | None = None,
        *,
        extensions: Iterable[str] = (),
        extra_globals: Mapping[str, Any] | None = None,
    ) -> None:
        wanted = list(dict.fromkeys([*DEFAULT_EXTENSIONS, *extensions]))
        self.environment = SandboxedEnvironment(
            loader=_as_loader(templates),
            undefined=StrictUndefined,
            extensions=wanted,
            autoescape=False,
            keep_trailing_newline=True,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.environment.filters.update(CUSTOM_FILTERS)
        self.environment.globals.update(extra_globals or {})

    def filter_names(self) -> frozenset[str]:
        return frozenset(self.environment.filters)

    def test_names(self) -> frozenset[str]:
        return frozenset(self.environment.tests)

    def global_names(self) -> frozenset[str]:
        return frozenset(self.environment.globals)

    def render(self, name: str, context: Mapping[str, Any]) -> str:
        """Render template `name` from the loader with `context`."""
        return self._run(name, lambda: self.environment.get_template(name).render(context))

    def render_traced(self, name: str, context: Mapping[str, Any], trace: TracedRender) -> str:
        """`render`, recording each chunk with the template line it came from (previews).

        The engine must be `instrument`ed; the text is the one `render` gives.
        """
        template = self.environment.get_template
        return self._run(name, lambda: "".join(trace_chunks(template(name), context, trace)))

    def render_string(self, source: str, context: Mapping[str, Any], name: str = "<string>") -> str:
        """Render `source` directly (previews, tests); includes still go through the loader."""
        return self._run(name, lambda: self.environment.from_string(source).render(context))

    def _run(self, name: str, render: Callable[[], str]) -> str:
        try:
            result: str = render()
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
        return result
