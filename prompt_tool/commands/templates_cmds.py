"""`prompt-tool templates …`: the group the template commands (lint, store) are mounted on."""

from __future__ import annotations

import typer

app = typer.Typer(help="Lint, publish and inspect prompt templates.", no_args_is_help=True)
