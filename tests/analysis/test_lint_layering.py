"""The lint modules stay in the pure analysis layer: no Typer, database or LSP imports."""

from __future__ import annotations

import subprocess
import sys

import pytest

LINT_MODULES = [
    "prompt_tool.analysis.type_resolver",
    "prompt_tool.analysis.runtime_types",
    "prompt_tool.analysis.lint_config",
    "prompt_tool.analysis.filesystem",
    "prompt_tool.analysis.formats",
    "prompt_tool.analysis.lint",
    "prompt_tool.analysis.sources",
]
FORBIDDEN = {"typer", "sqlalchemy", "alembic", "pygls", "lsprotocol", "psycopg2", "rich"}


@pytest.mark.parametrize("module", LINT_MODULES)
def test_module_imports_nothing_from_upper_layers(module: str) -> None:
    probe = (
        f"import sys, {module}\n"
        f"print(sorted({{name.split('.')[0] for name in sys.modules}} & set({sorted(FORBIDDEN)!r})))"
    )
    completed = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=False
    )
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.strip() == "[]"
