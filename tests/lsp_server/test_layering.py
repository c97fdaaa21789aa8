"""The server starts without the database layer, Typer or the analyser: those load only
when used, so that it answers `initialize` quickly."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

HEAVY_ANALYSIS = (
    "jinja2",
    "lsp_server.analysis_config",
    "lsp_server.analysis_runner",
    "lsp_server.convert",
    "lsp_server.published",
    "lsp_server.template_files",
    "prompt_tool.analysis.checks",
    "prompt_tool.analysis.completions",
    "prompt_tool.analysis.parsing",
    "prompt_tool.analysis.workspace",
    "prompt_tool.checking.lint",
)
"""The analyser and the checking service behind it: built after the `initialize` answer."""


def _loaded_after_start(candidates: tuple[str, ...]) -> list[str]:
    probe = (
        "import json, sys, lsp_server.server\n"
        "lsp_server.server.create_server()\n"
        f"print(json.dumps(sorted(set(sys.modules) & {set(candidates)!r})))"
    )
    completed = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=False
    )
    assert completed.returncode == 0, completed.stderr
    loaded: list[str] = json.loads(completed.stdout)
    return loaded


@pytest.mark.parametrize(
    "modules",
    [
        pytest.param(("sqlalchemy", "typer"), id="database-layer-and-typer"),
        pytest.param(HEAVY_ANALYSIS, id="analyser-and-checking"),
    ],
)
def test_the_server_starts_without_loading_heavy_modules(modules: tuple[str, ...]) -> None:
    assert _loaded_after_start(modules) == []


def test_the_analyser_loads_on_first_use() -> None:
    """The lazy names resolve to the real objects (the probe above is not vacuous)."""
    from lsp_server import analysis_api as api
    from prompt_tool.analysis.outline import outline

    assert api.outline is outline
