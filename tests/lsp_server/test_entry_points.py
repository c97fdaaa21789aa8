"""The server starts the ways users start it: console scripts and `python -m`, over stdio."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
from pathlib import Path
from typing import IO, Any

import pytest

BIN = Path(sys.executable).parent


def frame(message: dict[str, object]) -> bytes:
    body = json.dumps(message).encode("utf-8")
    return b"Content-Length: %d\r\n\r\n%s" % (len(body), body)


SESSION = b"".join(
    frame(message)
    for message in (
        {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"capabilities": {}}},
        {"jsonrpc": "2.0", "method": "initialized", "params": {}},
        {"jsonrpc": "2.0", "id": 2, "method": "shutdown"},
        {"jsonrpc": "2.0", "method": "exit"},
    )
)


@pytest.mark.parametrize(
    "command",
    [
        pytest.param([str(BIN / "prompt-tool-lsp")], id="prompt-tool-lsp"),
        pytest.param([str(BIN / "prompt-tool"), "lsp"], id="prompt-tool-lsp-subcommand"),
        pytest.param([sys.executable, "-m", "lsp_server"], id="python-m-lsp_server"),
    ],
)
def test_a_whole_session_over_stdio(command: list[str], tmp_path: Path) -> None:
    completed = subprocess.run(
        command, input=SESSION, capture_output=True, timeout=60, cwd=tmp_path, check=False
    )

    assert completed.returncode == 0, completed.stderr.decode()
    assert b'"id": 1' in completed.stdout and b'"capabilities"' in completed.stdout
    assert b'"name": "prompt-tool-lsp"' in completed.stdout


@pytest.mark.parametrize(
    "command",
    [
        pytest.param([str(BIN / "prompt-tool-lsp"), "--help"], id="prompt-tool-lsp"),
        pytest.param([str(BIN / "prompt-tool"), "lsp", "--help"], id="prompt-tool-lsp-subcommand"),
    ],
)
def test_help_names_the_transport_options(command: list[str]) -> None:
    completed = subprocess.run(
        command,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={**os.environ, "COLUMNS": "120"},
    )

    assert completed.returncode == 0, completed.stderr
    for option in ("--tcp", "--host", "--port"):
        assert option in completed.stdout


def test_a_bad_port_is_one_clear_line() -> None:
    completed = subprocess.run(
        [str(BIN / "prompt-tool-lsp"), "--port", "nope"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert completed.returncode == 2
    assert "argument --port: invalid int value: 'nope'" in completed.stderr
    assert "Traceback" not in completed.stderr


def test_tcp_mode_serves_a_client_on_the_given_port() -> None:
    server = subprocess.Popen(
        [str(BIN / "prompt-tool-lsp"), "--tcp", "--port", "0", "--log-level", "INFO"],
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stderr is not None
        port = _announced_port(server.stderr)
        with socket.create_connection(("127.0.0.1", port), timeout=30) as connection:
            connection.sendall(frame(INITIALIZE))
            reply = _read_message(connection.makefile("rb"))
        assert reply["id"] == 1
        assert reply["result"]["serverInfo"]["name"] == "prompt-tool-lsp"
    finally:
        server.terminate()
        server.wait(timeout=30)


INITIALIZE = {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"capabilities": {}}}


def _announced_port(stderr: IO[str]) -> int:
    for line in stderr:
        if match := re.search(r"Serving on \('[^']+', (\d+)\)", line):
            return int(match.group(1))
    raise AssertionError("the server never announced its port")


def _read_message(stream: IO[bytes]) -> dict[str, Any]:
    length = 0
    while (header := stream.readline().strip()) != b"":
        name, _, value = header.partition(b":")
        if name.lower() == b"content-length":
            length = int(value)
    return json.loads(stream.read(length))
