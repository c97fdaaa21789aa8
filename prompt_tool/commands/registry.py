"""The command groups the root app mounts, in the order `--help` lists them."""

from __future__ import annotations

import typer


def groups() -> list[tuple[typer.Typer, str, str]]:
    return []
