"""`prompt_tool/ab_testing` sits below orchestration: it reaches the template store only
through the `TemplateCatalog` that orchestration hands it, never by importing it."""

from __future__ import annotations

from pathlib import Path

import pytest

import prompt_tool.ab_testing
from tests.db.test_layering import imported_modules

ABOVE = (
    "prompt_tool.orchestration",
    "prompt_tool.checking",
    "prompt_tool.commands",
    "prompt_tool.cli",
    "lsp_server",
    "typer",
    "pygls",
)
MODULES = sorted(Path(prompt_tool.ab_testing.__file__).parent.glob("*.py"))


@pytest.mark.parametrize("path", [pytest.param(p, id=p.name) for p in MODULES])
def test_ab_testing_imports_nothing_above_it(path: Path) -> None:
    assert {name for name in imported_modules(path) if name.startswith(ABOVE)} == set()
