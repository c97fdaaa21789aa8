"""Raw bytes over stdio to the real server process: malformed frames are survived and every
request is answered, whatever the state of the session."""

from __future__ import annotations

import json
import queue
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import pytest

TIMEOUT = 30


def frame(message: dict[str, Any]) -> bytes:
    body = json.dumps(message).encode("utf-8")
    return b"Content-Length: %d\r\n\r\n%s" % (len(body), body)


def request(request_id: int, method: str, params: Any = None) -> bytes:
    message: dict[str, Any] = {"jsonrpc": "2.0", "id": request_id, "method": method}
    if params is not None:
        message["params"] = params
    return frame(message)


def notification(method: str, params: Any) -> bytes:
    return frame({"jsonrpc": "2.0", "method": method, "params": params})


INITIALIZE = request(1, "initialize", {"capabilities": {}, "processId": None, "rootUri": None})


class RawServer:
    """`python -m lsp_server` with a thread reading its frames into a queue."""

    def __init__(self, cwd: Path) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "lsp_server"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            cwd=cwd,
        )
        self.messages: queue.Queue[dict[str, Any] | None] = queue.Queue()
        threading.Thread(target=self._read, args=(self.process.stdout,), daemon=True).start()

    def _read(self, stream: IO[bytes]) -> None:
        while True:
            length = None
            while (line := stream.readline()) not in (b"\r\n", b""):
                name, _, value = line.decode("ascii").partition(":")
                if name.lower() == "content-length":
                    length = int(value)
            if not line or length is None:
                self.messages.put(None)
                return
            self.messages.put(json.loads(stream.read(length)))

    def send(self, data: bytes) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(data)
        self.process.stdin.flush()

    def answer(self, request_id: int | None) -> dict[str, Any]:
        """The next response to `request_id` (notifications in between are skipped)."""
        while True:
            message = self.messages.get(timeout=TIMEOUT)
            assert message is not None, "the server closed its output"
            if "method" not in message and message.get("id") == request_id:
                return message

    def close(self) -> int:
        if self.process.poll() is None:
            self.send(request(999, "shutdown") + notification("exit", None))
        return self.process.wait(timeout=TIMEOUT)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[RawServer]:
    raw = RawServer(tmp_path)
    yield raw
    if raw.process.poll() is None:
        raw.process.kill()
        raw.process.wait()


@pytest.mark.parametrize(
    "garbage",
    [
        pytest.param(b"Content-Length: -5\r\n\r\n", id="negative"),
        pytest.param(b"Content-Length: abc\r\n\r\n{}", id="not-a-number"),
        pytest.param(b"Content-Length: 99999999999999999999999\r\n\r\n", id="huge"),
        pytest.param(b"Content-Length: 0\r\n\r\n", id="zero"),
        pytest.param(b"Content-Type: application/json\r\n\r\n{}", id="missing"),
        pytest.param(b"Content-Length: 600\r\n\r\n{}", id="longer-than-the-body"),
        pytest.param(b"Content-Length 12\r\n\r\n", id="no-colon"),
    ],
)
def test_the_server_recovers_from_a_malformed_frame(server: RawServer, garbage: bytes) -> None:
    server.send(garbage + INITIALIZE + request(2, "shutdown"))
    # A declared length too long swallows what follows until enough bytes arrive: the
    # frames after it must still be found and answered once they do.
    server.send(b"".join(notification("$/ping", {"pad": "x" * 40}) for _ in range(8)))

    assert "capabilities" in server.answer(1)["result"]
    assert server.answer(2) == {"jsonrpc": "2.0", "id": 2, "result": None}
    server.send(notification("exit", None))
    assert server.process.wait(timeout=TIMEOUT) == 0


@pytest.mark.parametrize(
    ("body", "code"),
    [
        pytest.param(b"{{{{{", -32700, id="not-json"),
        pytest.param(b"[1, 2]", -32600, id="not-an-object"),
    ],
)
def test_a_body_that_is_no_message_gets_an_error_and_the_session_goes_on(
    server: RawServer, body: bytes, code: int
) -> None:
    server.send(b"Content-Length: %d\r\n\r\n%s" % (len(body), body) + INITIALIZE)

    assert server.answer(None)["error"]["code"] == code
    assert "capabilities" in server.answer(1)["result"]
    assert server.close() == 0


OPEN = notification(
    "textDocument/didOpen",
    {"textDocument": {"uri": "file:///t/a.j2", "languageId": "jinja", "version": 1, "text": "x"}},
)
DOCUMENT = {"uri": "file:///t/a.j2"}


@pytest.mark.parametrize(
    ("method", "params", "code"),
    [
        pytest.param("textDocument/hover", {"foo": 1}, -32602, id="missing-fields"),
        pytest.param(
            "textDocument/hover",
            {"textDocument": DOCUMENT, "position": {"line": 0, "character": -1}},
            -32602,
            id="negative-character",
        ),
        pytest.param(
            "textDocument/completion",
            {"textDocument": DOCUMENT, "position": {"line": 2**40, "character": 0}},
            -32602,
            id="line-beyond-uinteger",
        ),
        pytest.param("textDocument/hover", [1, 2], -32602, id="params-not-an-object"),
        pytest.param("no/such/method", {}, -32601, id="unknown-method"),
    ],
)
def test_a_request_with_invalid_params_gets_an_error(
    server: RawServer, method: str, params: Any, code: int
) -> None:
    server.send(INITIALIZE + notification("initialized", {}) + OPEN)
    server.answer(1)

    server.send(request(7, method, params))

    assert server.answer(7)["error"]["code"] == code
    server.send(
        request(
            8,
            "textDocument/hover",
            {"textDocument": DOCUMENT, "position": {"line": 9, "character": 9}},
        )
    )
    assert server.answer(8) == {"jsonrpc": "2.0", "id": 8, "result": None}
    assert server.close() == 0


def test_requests_before_initialize_are_refused_and_initialize_still_works(
    server: RawServer,
) -> None:
    server.send(
        request(1, "shutdown")
        + request(
            2,
            "textDocument/hover",
            {"textDocument": DOCUMENT, "position": {"line": 0, "character": 0}},
        )
    )

    assert server.answer(1)["error"]["code"] == -32002
    assert server.answer(2)["error"]["code"] == -32002
    server.send(request(3, "initialize", {"capabilities": {}}))
    assert "capabilities" in server.answer(3)["result"]
    assert server.close() == 0


def test_requests_after_shutdown_are_refused_and_exit_still_ends_the_process(
    server: RawServer,
) -> None:
    server.send(INITIALIZE + request(2, "shutdown"))
    server.answer(1)
    server.answer(2)

    server.send(
        request(
            3,
            "textDocument/hover",
            {"textDocument": DOCUMENT, "position": {"line": 0, "character": 0}},
        )
        + INITIALIZE
    )

    assert server.answer(3)["error"]["code"] == -32600
    assert server.answer(1)["error"]["code"] == -32600
    server.send(notification("exit", None))
    assert server.process.wait(timeout=TIMEOUT) == 0
