"""The command groups the root app mounts, in the order `--help` lists them."""

from __future__ import annotations

import typer


def groups() -> list[tuple[typer.Typer, str, str]]:
    from prompt_tool.commands import templates_cmds

    return [
        (templates_cmds.app, "templates", "Lint, publish and inspect prompt templates."),
    ]
