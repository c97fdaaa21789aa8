"""Preview renders in flight: one at a time per document and context, shared by version.

A client asks for a preview after each change. Renders of the same document and context
run one at a time (a lane): a request that arrives while an older version renders waits
for that render, then renders the document as it is by then, so requests queued behind a
slow render are all answered by one render of the newest version instead of one render per
version fighting over the interpreter. Requests for the same version share one render.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from prompt_tool.orchestration.preview import Preview

RenderKey = tuple[str, int | None, str, str]
"""(document URI, version, context id, phase)."""


class PreviewRenders:
    """The renders in flight, by version and by lane (document, context, phase)."""

    def __init__(self) -> None:
        self._by_version: dict[RenderKey, asyncio.Future[Preview]] = {}
        self._lanes: dict[tuple[str, str, str], asyncio.Future[Preview]] = {}

    def shared(self, key: RenderKey) -> asyncio.Future[Preview] | None:
        """The render of exactly this version, if one is in flight."""
        return self._by_version.get(key)

    async def wait_for_lane(self, key: RenderKey) -> bool:
        """Wait for the render of another version of `key`'s lane; False if there is none
        (the caller may start one). After a wait the document may have moved on: ask again."""
        running = self._lanes.get(_lane(key))
        if running is None or running.done():
            return False
        await asyncio.wait([running])
        return True

    def start(
        self, key: RenderKey, render: Callable[[], Awaitable[Preview]]
    ) -> asyncio.Future[Preview]:
        """Run `render` as the lane's render of `key`'s version."""
        pending = asyncio.ensure_future(render())
        lane = _lane(key)
        self._by_version[key] = self._lanes[lane] = pending

        def forget(_done: asyncio.Future[Preview]) -> None:
            if self._by_version.get(key) is pending:
                del self._by_version[key]
            if self._lanes.get(lane) is pending:
                del self._lanes[lane]

        pending.add_done_callback(forget)
        return pending


def _lane(key: RenderKey) -> tuple[str, str, str]:
    uri, _version, context, phase = key
    return uri, context, phase
