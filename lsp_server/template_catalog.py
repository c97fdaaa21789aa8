"""Template names for completion, held in memory and refreshed in the background.

A keystroke reads the last listing and never waits for the disk or a database. Each source
is a `TemplateSource` with a label for the completion's detail ("workspace" now; the
published templates of the configured project plug in the same way).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

from prompt_tool.analysis.workspace import TemplateSource

logger = logging.getLogger(__name__)


class TemplateCatalog:
    """The last known template names, each with the label of the source that serves it."""

    def __init__(self) -> None:
        self._names: dict[str, str] = {}
        self._sources: Sequence[tuple[str, TemplateSource]] = ()
        self._refreshing: asyncio.Task[None] | None = None

    @property
    def names(self) -> dict[str, str]:
        return self._names

    def use(self, sources: Sequence[tuple[str, TemplateSource]]) -> None:
        """Serve names from `sources` (first label wins on a clash), refreshing now."""
        self._sources = tuple(sources)
        self.refresh()

    def refresh(self) -> None:
        """List every source again in a worker thread; the old listing serves meanwhile."""
        if self._refreshing is not None and not self._refreshing.done():
            self._refreshing.cancel()
        self._refreshing = asyncio.get_running_loop().create_task(self._refresh(self._sources))

    async def settled(self) -> None:
        if self._refreshing is not None and not self._refreshing.done():
            await asyncio.shield(self._refreshing)

    async def _refresh(self, sources: Sequence[tuple[str, TemplateSource]]) -> None:
        try:
            self._names = await asyncio.to_thread(_listing, sources)
        except Exception:
            logger.exception("listing template names failed; keeping the previous listing")


def _listing(sources: Sequence[tuple[str, TemplateSource]]) -> dict[str, str]:
    names: dict[str, str] = {}
    for label, source in sources:
        for name in source.list_names():
            names.setdefault(name, label)
    return names
