"""The limits every render runs under, and where a project sets them.

A leaf module (no Jinja import), so that configuration parsing and the commands can name a
budget without loading the template engine. The sandbox in `core/templating.py` enforces it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

from prompt_tool.core.errors import ConfigError

RENDER_TABLE = "render"


@dataclass(frozen=True)
class RenderBudget:
    """Limits on one render; the defaults are far above any honest prompt.

    A rendered prompt of four million characters is about a million tokens, more than any
    model's context window; two hundred thousand loop iterations cover a loop over every
    file of a large repository several times over; ten seconds is a hundred times what the
    built-in templates take.
    """

    max_seconds: float = 10.0
    """Wall-clock seconds one render (includes and macros included) may take."""

    max_output_chars: int = 4_000_000
    """Characters of the rendered text, and of any one value built along the way."""

    max_iterations: int = 200_000
    """Loop iterations of one render, summed over every `for` loop, nested ones included."""

    max_range: int = 100_000
    """Items one `range(...)` may produce (Jinja's own sandbox default)."""

    max_integer_digits: int = 4_300
    """Decimal digits of an integer computed by `*` or `**` (Python's own conversion limit)."""


def parse_render_budget(table: Mapping[str, Any], where: str) -> RenderBudget:
    """A budget from a `[tool.prompt-tool.render]` table; unknown keys and bad values are errors."""
    known = {item.name: item.type for item in fields(RenderBudget)}
    values: dict[str, Any] = {}
    for key, value in table.items():
        if key not in known:
            raise ConfigError(f"{where}: unknown setting {key!r} (known: {', '.join(known)})")
        is_number = isinstance(value, int | float) and not isinstance(value, bool)
        if not is_number or value <= 0:
            raise ConfigError(f"{where}: {key} must be a positive number")
        if key != "max_seconds" and not isinstance(value, int):
            raise ConfigError(f"{where}: {key} must be a whole number")
        values[key] = float(value) if key == "max_seconds" else value
    return RenderBudget(**values)
