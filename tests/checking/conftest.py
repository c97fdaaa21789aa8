"""The language-server client fixtures, shared with the agreement test (it drives all three
entry points: the CLI's lint and publish, and `python -m lsp_server` over stdio)."""

from __future__ import annotations

from tests.lsp_server.conftest import client, lsp

__all__ = ["client", "lsp"]
