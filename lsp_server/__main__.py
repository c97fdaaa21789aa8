"""`prompt-tool-lsp` and `python -m lsp_server`: start the language server (stdio or TCP)."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

LOG_FORMAT = "%(asctime)s - %(name)s - %(levelname)s - %(message)s"


def run(
    tcp: bool = False, host: str = "127.0.0.1", port: int = 2087, log_level: str = "WARNING"
) -> None:
    """Serve until the client says exit; logs go to stderr, never to the protocol stream."""
    logging.basicConfig(level=log_level.upper(), format=LOG_FORMAT, stream=sys.stderr)
    from lsp_server.collection import defer_full_collections
    from lsp_server.protocol import serve_stdio
    from lsp_server.server import create_server

    server = create_server()
    defer_full_collections()
    if tcp:
        server.start_tcp(host, port)
    else:
        serve_stdio(server)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="prompt-tool-lsp",
        description="Language server for prompt-tool Jinja2 templates (stdio by default).",
    )
    parser.add_argument(
        "--tcp", action="store_true", help="listen on TCP instead of stdio (debugging)"
    )
    parser.add_argument("--host", default="127.0.0.1", help="TCP host (default: %(default)s)")
    parser.add_argument("--port", type=int, default=2087, help="TCP port (default: %(default)s)")
    parser.add_argument(
        "--log-level",
        default="WARNING",
        choices=["DEBUG", "INFO", "WARNING", "ERROR"],
        type=str.upper,
        help="stderr log level (default: %(default)s)",
    )
    args = parser.parse_args(argv)
    run(args.tcp, args.host, args.port, args.log_level)


if __name__ == "__main__":
    main()
