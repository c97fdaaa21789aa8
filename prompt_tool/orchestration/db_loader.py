"""A Jinja loader over one `Resolution`, so includes render the versions resolved for a scope.

Lives in orchestration because it serves database rows; core's `TemplateEngine` only takes
a loader. Names are qualified `name@label` or `name@version` as the resolver keys them: a
bare name is qualified with its includer's label (`join_path`), or the requested label at
the top, so `{% include "partials/context.j2" %}` inside a published template renders the
partial resolved for the same scope and label.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from jinja2 import BaseLoader, Environment, TemplateNotFound

from prompt_tool.analysis.parsing import split_pin
from prompt_tool.core.templating import TemplateEngine
from prompt_tool.orchestration.template_resolver import Resolution, is_version_pin


class LabelledLoader(BaseLoader):
    """Names templates `name@label` or `name@version`, an include inheriting its includer's."""

    def __init__(self, label: str) -> None:
        self.label = label

    def qualify(self, name: str, parent_label: str | None = None) -> str:
        base, pin = split_pin(name)
        return name if pin is not None else f"{base}@{parent_label or self.label}"

    def join_path(self, template: str, parent: str) -> str:
        """A bare include follows the includer's label; below a version pin, the requested one."""
        _base, parent_pin = split_pin(parent)
        label = None if parent_pin is None or is_version_pin(parent_pin) else parent_pin
        return self.qualify(template, label)


class ResolvedTemplateLoader(LabelledLoader):
    """Serves exactly the versions of a resolution; anything else is not found."""

    def __init__(self, resolution: Resolution) -> None:
        super().__init__(resolution.label)
        self.templates = {key: prompt.content for key, prompt in resolution.templates().items()}

    def get_source(
        self, environment: Environment, template: str
    ) -> tuple[str, str | None, Callable[[], bool] | None]:
        key = self.qualify(template)
        source = self.templates.get(key)
        if source is None:
            raise TemplateNotFound(template)
        return source, None, lambda: True


def engine_for(resolution: Resolution, **options: Any) -> TemplateEngine:
    """A sandboxed `TemplateEngine` whose includes come from `resolution`."""
    return engine_over(ResolvedTemplateLoader(resolution), **options)


def engine_over(loader: LabelledLoader, **options: Any) -> TemplateEngine:
    """The sandboxed `TemplateEngine` sessions render with, over any labelled loader."""
    engine = TemplateEngine(loader, **options)
    # Jinja asks the environment, not the loader, to join an include name with its includer.
    engine.environment.join_path = loader.join_path  # type: ignore[method-assign]
    return engine
