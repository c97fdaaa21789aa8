"""Editor and lint analysis modules stay in the pure layer: no Typer, database or LSP imports."""

from __future__ import annotations

import subprocess
import sys

import pytest

FORBIDDEN = {"typer", "sqlalchemy", "alembic", "pygls", "lsprotocol", "psycopg2", "rich"}
PURE_MODULES = [
    pytest.param(f"prompt_tool.analysis.{name}", id=f"{role}-{name}")
    for role, names in (
        (
            "editor",
            (
                "tokens",
                "outline",
                "template_links",
                "completion_context",
                "completions",
                "navigation",
                "name_resolution",
                "renaming",
                "incremental",
                "hovers",
            ),
        ),
        (
            "lint",
            (
                "type_resolver",
                "runtime_types",
                "lint_config",
                "filesystem",
                "formats",
                "lint",
                "sources",
            ),
        ),
    )
    for name in names
]


@pytest.mark.parametrize("module", PURE_MODULES)
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
