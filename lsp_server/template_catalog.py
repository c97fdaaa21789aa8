"""Template names for completion, held in memory and refreshed in the background.

A keystroke reads the last listing and never waits for the disk or a database. Each source
is a `TemplateSource` with a function describing each name for the completion's detail
("workspace template", "v3 (production) · global"); the published source is re-read first.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence

from lsp_server.published import PublishedTemplates
from prompt_tool.analysis.workspace import TemplateSource

Describe = Callable[[str], str]

logger = logging.getLogger(__name__)
REFRESH_SECONDS = 300.0


class TemplateCatalog:
    """The last known template names, each with the label of the source that serves it."""

    def __init__(self) -> None:
        self._names: dict[str, str] = {}
        self._sources: Sequence[tuple[Describe, TemplateSource]] = ()
        self._published: PublishedTemplates | None = None
        self._refreshing: asyncio.Task[None] | None = None
        self._periodic: asyncio.Task[None] | None = None
        self._problem: str | None = None
        self._listed = asyncio.Event()
        self.on_problem: Callable[[str], None] = lambda message: None
        self.on_published: Callable[[], None] = lambda: None

    @property
    def names(self) -> dict[str, str]:
        return self._names

    def use(
        self,
        sources: Sequence[tuple[Describe, TemplateSource]],
        published: PublishedTemplates | None = None,
    ) -> None:
        """Serve names from `sources` (the first source wins on a clash), refreshing now and,
        with a database, every few minutes."""
        self._sources = tuple(sources)
        self._published = published
        self.refresh()
        if self._periodic is not None:
            self._periodic.cancel()
        if published is not None and published.url is not None:
            self._periodic = asyncio.get_running_loop().create_task(self._every(REFRESH_SECONDS))

    def refresh(self) -> None:
        """List every source again in a worker thread; the old listing serves meanwhile."""
        if self._refreshing is not None and not self._refreshing.done():
            self._refreshing.cancel()
        self._refreshing = asyncio.get_running_loop().create_task(self._refresh())

    async def listed(self) -> None:
        """Return once a first listing exists: before it, a completion would offer nothing
        (later keystrokes never wait; they read the last listing)."""
        await self._listed.wait()

    async def settled(self) -> None:
        if self._refreshing is not None and not self._refreshing.done():
            await asyncio.shield(self._refreshing)

    def close(self) -> None:
        for task in (self._refreshing, self._periodic):
            if task is not None:
                task.cancel()

    async def _every(self, seconds: float) -> None:
        while True:
            await asyncio.sleep(seconds)
            self.refresh()

    async def _refresh(self) -> None:
        published = self._published
        try:
            problem = await asyncio.to_thread(published.load) if published else None
            self._names = await asyncio.to_thread(_listing, self._sources)
        except Exception:
            logger.exception("listing template names failed; keeping the previous listing")
            self._listed.set()
            return
        self._listed.set()
        self._report(problem)
        if published is not None and published.url is not None and problem is None:
            self.on_published()

    def _report(self, problem: str | None) -> None:
        """One message when the database becomes unreachable, none while it stays so."""
        if problem is not None and self._problem is None:
            self.on_problem(problem)
        self._problem = problem


def _listing(sources: Sequence[tuple[Describe, TemplateSource]]) -> dict[str, str]:
    names: dict[str, str] = {}
    for describe, source in sources:
        for name in source.list_names():
            if name not in names:
                names[name] = describe(name)
    return names
