"""Built-in orchestration templates: the last fallback when no project or global one exists."""

from __future__ import annotations

from importlib.resources import files
from importlib.resources.abc import Traversable

TEMPLATE_SUFFIX = ".j2"


def _walk(folder: Traversable, prefix: str) -> list[str]:
    names: list[str] = []
    for entry in folder.iterdir():
        if entry.is_dir():
            names += _walk(entry, f"{prefix}{entry.name}/")
        elif entry.name.endswith(TEMPLATE_SUFFIX):
            names.append(prefix + entry.name)
    return names


def default_template_names() -> list[str]:
    """Every shipped template, by loader name (`analysis.j2`, `partials/feature.j2`)."""
    return sorted(_walk(files(__package__), ""))


def default_template_source(name: str) -> str:
    """The text of shipped template `name`."""
    resource = files(__package__)
    for part in name.split("/"):
        resource = resource / part
    return resource.read_text(encoding="utf-8")


def default_templates() -> dict[str, str]:
    """All shipped templates by name, ready for a TemplateEngine or a Workspace."""
    return {name: default_template_source(name) for name in default_template_names()}
