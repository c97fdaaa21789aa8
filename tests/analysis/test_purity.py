"""The analyser is pure: importing every analysis module loads no database, LSP or CLI code."""

from __future__ import annotations

import pkgutil
import subprocess
import sys

import prompt_tool.analysis

FORBIDDEN = ("sqlalchemy", "pygls", "lsprotocol", "typer", "psycopg2", "alembic")


def test_analysis_imports_nothing_forbidden() -> None:
    modules = [
        f"prompt_tool.analysis.{info.name}"
        for info in pkgutil.iter_modules(prompt_tool.analysis.__path__)
    ]
    assert "prompt_tool.analysis.workspace" in modules
    script = (
        "import importlib, sys\n"
        f"for name in {modules!r}: importlib.import_module(name)\n"
        "from prompt_tool.analysis.workspace import Workspace\n"
        "w = Workspace(); w.set_document('analysis.j2', '{{ feature.name }}'); w.diagnostics('analysis.j2')\n"
        f"print(sorted(m for m in sys.modules if m.split('.')[0] in {FORBIDDEN!r}))\n"
    )
    completed = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=False
    )
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.strip() == "[]"
