"""The server starts without the database layer or Typer: those load only when used."""

from __future__ import annotations

import subprocess
import sys


def test_the_server_starts_without_loading_the_database_layer() -> None:
    probe = (
        "import sys, lsp_server.server\n"
        "lsp_server.server.create_server()\n"
        "print(sorted({name.split('.')[0] for name in sys.modules} & {'sqlalchemy', 'typer'}))"
    )
    completed = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=False
    )

    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.strip() == "[]"
