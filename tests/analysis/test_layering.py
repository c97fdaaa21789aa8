"""Editor and lint modules load no Typer, database or LSP code: `lint` starts fast and pure."""

from __future__ import annotations

import subprocess
import sys

import pytest

FORBIDDEN = {"typer", "sqlalchemy", "alembic", "pygls", "lsprotocol", "psycopg2", "rich"}
PURE_MODULES = [
    pytest.param(f"prompt_tool.{package}.{name}", id=f"{role}-{name}")
    for role, package, names in (
        (
            "editor",
            "analysis",
            (
                "highlighting",
                "positions",
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
        ("lint", "analysis", ("formats", "sources")),
        ("lint", "checking", ("type_resolver", "settings", "discovery", "lint")),
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
