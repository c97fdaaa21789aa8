"""The one Jinja environment every check, completion and hover uses: the renderer's.

`TemplateEngine` (prompt_tool/core/templating.py) renders prompts; the analyser, the
completion list and hover ask this same environment which filters, tests and globals exist.
A project whose own renderer adds filters, tests or globals declares their names in
`[tool.prompt-tool.contracts]`; they are registered here as declared placeholders, so that
every entry point knows them alike. Jinja extension modules are imported with the
configured `source_roots` on `sys.path`, so a project's own extension is found.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from prompt_tool.checking.settings import ProjectSettings
from prompt_tool.core.errors import ConfigError
from prompt_tool.core.templating import TemplateEngine

DECLARED_DOC = (
    "Declared in [tool.prompt-tool.contracts] {kind}: provided by the project's renderer."
)


@contextlib.contextmanager
def source_roots_on_path(roots: Sequence[Path]) -> Iterator[None]:
    """`roots` first on `sys.path` while the block runs; `sys.path` restored afterwards."""
    added = [str(root) for root in roots if str(root) not in sys.path]
    sys.path[:0] = added
    try:
        yield
    finally:
        for entry in added:
            if entry in sys.path:
                sys.path.remove(entry)


def _declared(kind: str, name: str) -> Callable[..., Any]:
    def placeholder(value: Any = None, *args: Any, **kwargs: Any) -> Any:
        return value

    placeholder.__name__ = name
    placeholder.__doc__ = DECLARED_DOC.format(kind=kind)
    return placeholder


def build_engine(settings: ProjectSettings) -> TemplateEngine:
    """The renderer's environment with the project's extensions, filters, tests and globals."""
    contracts = settings.contracts
    try:
        with source_roots_on_path(contracts.source_roots):
            engine = TemplateEngine(extensions=contracts.extensions)
    except Exception as error:
        prefix = f"{settings.pyproject}: " if settings.pyproject else ""
        raise ConfigError(
            f"{prefix}[tool.prompt-tool.contracts] extensions: "
            f"cannot load {list(contracts.extensions)}: {error}"
        ) from None
    environment = engine.environment
    for name in sorted(contracts.filters):
        environment.filters.setdefault(name, _declared("filters", name))
    for name in sorted(contracts.tests):
        environment.tests.setdefault(name, _declared("tests", name))
    for name, _expression in contracts.globals:
        environment.globals.setdefault(name, _declared("globals", name))
    return engine
