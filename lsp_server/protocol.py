"""The JSON-RPC layer: every request gets an answer, every malformed frame is survived.

pygls answers nothing to a request whose params do not match the method's type (a negative
position, a missing field), drops requests silently after `shutdown`, and runs requests
before `initialize`. Here such requests get the JSON-RPC error the specification names
(invalid params, invalid request, server not initialized), an unparsable body gets a parse
error, and frames are read by `framing.FrameDecoder`, which skips malformed ones.
"""

from __future__ import annotations

import asyncio
import json
import logging
import sys
import threading
from collections.abc import Awaitable, Callable, Generator
from typing import Any, BinaryIO

from lsprotocol import types
from pygls.exceptions import (
    JsonRpcException,
    JsonRpcInternalError,
    JsonRpcInvalidRequest,
    JsonRpcParseError,
    JsonRpcServerNotInitialized,
)
from pygls.io_ import StdoutWriter
from pygls.lsp.server import LanguageServer
from pygls.protocol import LanguageServerProtocol, lsp_method

from lsp_server.documents import LspWorkspace
from lsp_server.framing import FrameDecoder, Malformed

logger = logging.getLogger(__name__)
_CHUNK = 1 << 16
_ALWAYS_ALLOWED = frozenset({types.EXIT})


class RobustProtocol(LanguageServerProtocol):
    """pygls' LSP protocol that answers every request, valid or not, in every state."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.is_initialized = False

    @lsp_method(types.INITIALIZE)
    def lsp_initialize(
        self, params: types.InitializeParams
    ) -> Generator[Any, Any, types.InitializeResult]:
        """pygls' initialize, with a workspace that counts lines as LSP does."""
        self.is_initialized = True
        steps = super().lsp_initialize(params)
        request = next(steps)
        self._workspace = LspWorkspace.like(self.workspace)
        while True:
            answer = yield request
            try:
                request = steps.send(answer)
            except StopIteration as done:
                return done.value  # type: ignore[no-any-return]

    def receive(self, body: bytes) -> bool:
        """Handle one frame's body; False when it is not JSON (the caller may resync)."""
        try:
            data = json.loads(body)
        except ValueError as error:
            logger.warning("a message that is not JSON was skipped: %s", error)
            self.answer_error(None, JsonRpcParseError(f"not JSON: {error}"))
            return False
        if not isinstance(data, dict) or not ("method" in data or "id" in data):
            logger.warning("a message that is not a JSON-RPC object was skipped")
            self.answer_error(None, JsonRpcInvalidRequest("not a JSON-RPC message"))
            return True
        request_id = data.get("id") if "method" in data else None
        if not isinstance(request_id, int | str):
            request_id = None
        try:
            message = self.structure_message(data)
        except JsonRpcException as error:
            if request_id is not None:
                self.answer_error(request_id, error)
            return True
        try:
            self.handle_message(message)
        except Exception as error:
            logger.exception("cannot handle %s", data.get("method"))
            if request_id is not None:
                self.answer_error(request_id, JsonRpcInternalError(str(error)))
        return True

    def handle_message(self, message: Any) -> None:
        method = getattr(message, "method", None)
        is_request = method is not None and getattr(message, "id", None) is not None
        if method is None or method in _ALWAYS_ALLOWED:
            super().handle_message(message)
        elif not self.is_initialized and method != types.INITIALIZE:
            if is_request:
                self.answer_error(
                    message.id, JsonRpcServerNotInitialized("the server is not initialized yet")
                )
        elif self._shutdown:
            if is_request:
                self.answer_error(message.id, JsonRpcInvalidRequest("the server is shut down"))
        elif method == types.INITIALIZE and self._workspace is not None:
            self.answer_error(message.id, JsonRpcInvalidRequest("the server is initialized"))
        else:
            super().handle_message(message)

    def _send_response(
        self, msg_id: Any, result: Any | None = None, error: Any | None = None
    ) -> None:
        """A plain JSON answer (a dict, as custom requests answer) is written as it is:
        pygls would first have cattrs walk every object in it (a preview's source map has
        one per output line); LSP objects inside are still converted by `json.dumps`'s
        `default`, as before."""
        if error is None and isinstance(result, dict):
            self._result_types.pop(msg_id, None)
            self._send_data({"jsonrpc": "2.0", "id": msg_id, "result": result})
            return
        super()._send_response(msg_id, result, error)

    def answer_error(self, request_id: int | str | None, error: JsonRpcException) -> None:
        response = error.to_response_error()
        self._send_data(
            {"jsonrpc": "2.0", "id": request_id, "error": self._converter.unstructure(response)}
        )


async def serve(
    server: LanguageServer,
    read: Callable[[], Awaitable[bytes]],
    stop_event: threading.Event,
) -> None:
    """Read frames until the stream ends or the server stops; malformed ones are logged."""
    protocol = server.protocol
    assert isinstance(protocol, RobustProtocol)
    decoder = FrameDecoder()
    while not stop_event.is_set():
        data = await read()
        if not data:
            return
        for frame in decoder.feed(data):
            if isinstance(frame, Malformed):
                logger.warning("a malformed frame was skipped: %s", frame.reason)
            elif not protocol.receive(frame):
                decoder.recover(frame)
                for again in decoder.feed(b""):
                    if isinstance(again, bytes):
                        protocol.receive(again)
            if stop_event.is_set():
                return


def serve_stdio(
    server: LanguageServer, stdin: BinaryIO | None = None, stdout: BinaryIO | None = None
) -> None:
    """pygls' `start_io`, reading with `serve` instead of pygls' header parser."""
    source = stdin or sys.stdin.buffer
    read_some = getattr(source, "read1", source.read)
    stop_event = threading.Event()
    server._stop_event = stop_event
    server.protocol.set_writer(StdoutWriter(stdout or sys.stdout.buffer))

    async def read() -> bytes:
        return await asyncio.get_running_loop().run_in_executor(
            server.thread_pool, read_some, _CHUNK
        )

    try:
        asyncio.run(serve(server, read, stop_event))
    except BrokenPipeError:
        logger.error("the client closed the connection")
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        server.shutdown()  # type: ignore[no-untyped-call]
