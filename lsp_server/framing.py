"""JSON-RPC frames (`Content-Length` headers, then a body) cut from a byte stream, recovering
from malformed ones.

pygls' own reader trusts every header: a negative, non-numeric or missing length left it
waiting forever for a body, a length too long swallowed the next messages, and a huge one
made it exit. Here a malformed frame is reported and skipped, and reading resumes at the
next `Content-Length:` header, which valid JSON can never contain followed by a raw line
break (JSON strings hold no raw control characters, and bare words are not JSON), so a
body that does contain one is a broken frame, cut where the next frame starts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MAX_FRAME_BYTES = 256 * 1024 * 1024
"""The largest body accepted; a longer declared length is treated as malformed."""
_HEADER = re.compile(rb"content-length:[ \t]*[-+0-9a-z]*[ \t]*\r?\n", re.IGNORECASE)
_MARKER = b"content-length:"
_OVERLAP = 64


@dataclass(frozen=True)
class Malformed:
    """A frame that was skipped, and why (for the log)."""

    reason: str


Frame = bytes | Malformed


class FrameDecoder:
    """Feed it bytes as they arrive; it returns the complete frames' bodies in order."""

    def __init__(self, max_body: int = MAX_FRAME_BYTES) -> None:
        self.max_body = max_body
        self._buffer = bytearray()
        self._length: int | None = None
        self._problem: str | None = None
        self._in_body = False
        self._scanned = 0

    def feed(self, data: bytes) -> list[Frame]:
        self._buffer += data
        frames: list[Frame] = []
        while True:
            frame = self._body() if self._in_body else self._headers()
            if frame is None:
                return frames
            frames.append(frame)

    def recover(self, body: bytes) -> None:
        """`body` did not parse: if a frame header hides in it (a declared length too long
        swallowed the next message), read again from there."""
        at = body.lower().find(_MARKER, 1)
        if at > 0:
            self._buffer[:0] = body[at:]

    def _headers(self) -> Frame | None:
        while True:
            end = self._buffer.find(b"\n")
            if end < 0:
                if len(self._buffer) > self.max_body:
                    del self._buffer[:-_OVERLAP]
                return None
            line = bytes(self._buffer[: end + 1]).strip(b"\r\n")
            del self._buffer[: end + 1]
            if not line:
                if self._length is None and self._problem is None:
                    continue  # blank lines between frames
                return self._start_body()
            at = line.lower().find(_MARKER)
            if at > 0:  # the tail of a broken body before the next frame's header
                line = line[at:]
                self._length, self._problem = None, None
            key, colon, value = line.partition(b":")
            if not colon:
                self._problem = f"a header line without `:` ({line[:40]!r})"
            elif key.strip().lower() == b"content-length":
                self._read_length(value.strip())

    def _read_length(self, value: bytes) -> None:
        if not value.isdigit() or len(value) > 12:
            self._problem = f"Content-Length {value[:40]!r} is not a byte count"
        elif int(value) == 0:
            self._problem = "Content-Length 0: an empty message"
        elif int(value) > self.max_body:
            self._problem = f"Content-Length {int(value)} exceeds {self.max_body} bytes"
        else:
            self._length = int(value)

    def _start_body(self) -> Frame | None:
        problem = self._problem
        if problem is None and self._length is None:
            problem = "a frame without Content-Length"
        if problem is not None:
            self._length, self._problem = None, None
            return Malformed(problem)
        self._in_body, self._scanned = True, 0
        return self._body()

    def _body(self) -> Frame | None:
        length = self._length or 0
        window = bytes(self._buffer[max(0, self._scanned - _OVERLAP) : length])
        embedded = _HEADER.search(window) if _MARKER in window.lower() else None
        if embedded is not None:
            cut = max(0, self._scanned - _OVERLAP) + embedded.start()
            del self._buffer[:cut]
            self._in_body, self._length = False, None
            return Malformed(f"Content-Length {length} runs into the next frame's header")
        if len(self._buffer) < length:
            self._scanned = len(self._buffer)
            return None
        body = bytes(self._buffer[:length])
        del self._buffer[:length]
        self._in_body, self._length = False, None
        return body
