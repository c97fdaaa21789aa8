"""Several template sources seen as one: the first that knows a name serves it.

`templates lint` asks the files under its roots first, then (when given) published
templates, so that an include may name a template that only the database holds.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from prompt_tool.analysis.workspace import TemplateSource


class ChainedSource:
    """A `TemplateSource` over `sources` in order of precedence."""

    def __init__(self, *sources: TemplateSource) -> None:
        self.sources = sources

    def get_source(self, name: str) -> str | None:
        """The source of `name` from the first source that has it."""
        for source in self.sources:
            text = source.get_source(name)
            if text is not None:
                return text
        return None

    def list_names(self) -> Iterable[str]:
        """Every name any source serves, each once, in order of precedence."""
        names: dict[str, None] = {}
        for source in self.sources:
            for name in source.list_names():
                names.setdefault(name, None)
        return list(names)


class MappingSource:
    """A `TemplateSource` over templates held in memory (name → source), e.g. a set of
    templates about to be published, or those a database query returned."""

    def __init__(self, templates: Mapping[str, str]) -> None:
        self.templates = dict(templates)

    def get_source(self, name: str) -> str | None:
        return self.templates.get(name)

    def list_names(self) -> Iterable[str]:
        return list(self.templates)
