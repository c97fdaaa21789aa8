"""`prompt_tool/db` sits at the bottom: it imports nothing from the layers above it."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import prompt_tool.db

ABOVE = (
    "prompt_tool.analysis",
    "prompt_tool.orchestration",
    "prompt_tool.ab_testing",
    "prompt_tool.commands",
    "prompt_tool.cli",
    "lsp_server",
    "typer",
    "pygls",
)
DB_MODULES = sorted(Path(prompt_tool.db.__file__).parent.glob("*.py"))


def imported_modules(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


@pytest.mark.parametrize("path", [pytest.param(p, id=p.name) for p in DB_MODULES])
def test_db_imports_nothing_above_it(path: Path) -> None:
    offending = {name for name in imported_modules(path) if name.startswith(ABOVE)}
    assert offending == set()
