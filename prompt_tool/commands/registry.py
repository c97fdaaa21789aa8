"""The command groups the root app mounts, in the order `--help` lists them."""

from __future__ import annotations

import typer


def groups() -> list[tuple[typer.Typer, str, str]]:
    from prompt_tool.commands import lsp_cmds

    return [(lsp_cmds.app, "lsp", "Start the language server (stdio; --tcp for debugging).")]
