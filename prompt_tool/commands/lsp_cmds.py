"""`prompt-tool lsp`: start the language server, exactly as `prompt-tool-lsp` does."""

from __future__ import annotations

import typer

app = typer.Typer(no_args_is_help=False)


@app.callback(invoke_without_command=True)
def lsp(
    tcp: bool = typer.Option(False, "--tcp", help="Listen on TCP instead of stdio (debugging)."),
    host: str = typer.Option("127.0.0.1", "--host", help="TCP host."),
    port: int = typer.Option(2087, "--port", help="TCP port."),
) -> None:
    """Start the language server on stdio (editors start it this way)."""
    import logging

    from lsp_server.__main__ import run

    run(tcp, host, port, logging.getLevelName(logging.getLogger().getEffectiveLevel()))
