"""Garbage collection off the typing path.

CPython's full (generation 2) collection walks every tracked object. With a workspace of
parsed templates that takes tens of milliseconds, and it fires on an allocation count, so
in the middle of some edit's analysis: it was the whole p99 of didChange → diagnostics
(80 ms against 12 ms). The server therefore freezes what start-up allocated (it lives as
long as the process), keeps the cheap young-generation collections, and runs the full
collection itself once it has been idle for a moment.
"""

from __future__ import annotations

import asyncio
import gc

IDLE_SECONDS = 1.0
_NEVER = 1_000_000_000


def defer_full_collections() -> None:
    """Called once, after start-up: from now on `IdleCollector` runs full collections."""
    gc.collect()
    gc.freeze()
    young, middle, _ = gc.get_threshold()
    gc.set_threshold(young, middle, _NEVER)


class IdleCollector:
    """Runs a full collection after `IDLE_SECONDS` without work; new work postpones it."""

    def __init__(self) -> None:
        self._handle: asyncio.TimerHandle | None = None

    def busy(self) -> None:
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None

    def idle(self) -> None:
        self.busy()
        if gc.get_threshold()[2] == _NEVER:
            self._handle = asyncio.get_running_loop().call_later(IDLE_SECONDS, gc.collect)
