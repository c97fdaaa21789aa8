"""The editor-facing analysis modules stay pure: no Typer, database or LSP imports."""

from __future__ import annotations

import subprocess
import sys

import pytest

EDITOR_MODULES = [
    "prompt_tool.analysis.tokens",
    "prompt_tool.analysis.outline",
    "prompt_tool.analysis.template_links",
    "prompt_tool.analysis.completion_context",
    "prompt_tool.analysis.completions",
    "prompt_tool.analysis.navigation",
    "prompt_tool.analysis.hovers",
]
FORBIDDEN = {"typer", "sqlalchemy", "alembic", "pygls", "lsprotocol", "psycopg2", "rich"}


@pytest.mark.parametrize("module", EDITOR_MODULES)
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
