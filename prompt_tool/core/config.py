"""Reading configuration: the nearest pyproject.toml's `[tool.prompt-tool]` table, defaults.

Which source wins for a setting (flag, environment, pyproject, default) is decided in one
place above this module: `prompt_tool.checking.settings`.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from prompt_tool.core.budget import RENDER_TABLE, RenderBudget, parse_render_budget
from prompt_tool.core.errors import ConfigError

DATABASE_URL_ENV = "PROMPT_TOOL_DATABASE_URL"
LOG_LEVEL_ENV = "PROMPT_TOOL_LOG_LEVEL"
DEFAULT_DATA_DIR = ".prompt-tool"
DEFAULT_DB_FILE = "prompt-tool.db"


@dataclass(frozen=True)
class DatabaseUrl:
    """A database URL and where it came from, so that errors can name the source."""

    url: str
    source: str

    @property
    def is_embedded_default(self) -> bool:
        return self.source == "default"


def find_pyproject(start: Path) -> Path | None:
    """The nearest `pyproject.toml` at or above `start`, as tools like ruff and pytest look."""
    start = start.resolve()
    for folder in (start, *start.parents):
        candidate = folder / "pyproject.toml"
        if candidate.is_file():
            return candidate
    return None


def load_tool_config(start: Path) -> tuple[dict[str, Any], Path | None]:
    """The `[tool.prompt-tool]` table of the nearest pyproject.toml (empty when there is none)."""
    path = find_pyproject(start)
    if path is None:
        return {}, None
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise ConfigError(f"{path}: cannot read configuration: {error}") from error
    section = data.get("tool", {}).get("prompt-tool", {})
    if not isinstance(section, dict):
        raise ConfigError(f"{path}: [tool.prompt-tool] must be a table")
    return section, path


def default_database_url(cwd: Path) -> str:
    """The embedded SQLite file under `.prompt-tool/` in the working directory."""
    return f"sqlite:///{(cwd / DEFAULT_DATA_DIR / DEFAULT_DB_FILE).resolve()}"


def render_budget_in(section: Mapping[str, Any], path: Path | None) -> RenderBudget:
    """`[tool.prompt-tool.render]` of a `[tool.prompt-tool]` table read from `path`, else the
    default budget (the project settings carry it: one read of pyproject.toml serves all)."""
    table = section.get(RENDER_TABLE)
    if table is None:
        return RenderBudget()
    where = f"{path}: [tool.prompt-tool.{RENDER_TABLE}]"
    if not isinstance(table, dict):
        raise ConfigError(f"{where} must be a table")
    return parse_render_budget(table, where)
