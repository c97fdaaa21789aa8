"""Runs the analyser off the event loop, one analysis at a time, coalescing newer edits.

The analyser's `Workspace` is touched only on this runner's single worker thread. While
an analysis runs, the event loop keeps reading edits; they replace each other in the
pending set, so only the newest version is analysed next, and a result computed from a
source that has since changed is dropped instead of published. When idle, an edit starts
an analysis at once: there is no fixed debounce.

The edited documents are analysed and published first; the templates whose results they
may change (includers, partials, cycle members) follow once no newer edit waits, and only
those whose diagnostics actually changed are published, so a keystroke in a template with
twenty partials costs one analysis and one notification while the user types.

A document whose preview follows its edits (one was rendered in the last
`FOLLOWED_SECONDS`) is analysed after that edit's preview has rendered, or `PREVIEW_GRACE`
after the edit, whichever comes first: the client asks for the preview right after the
`didChange`, and the two would otherwise share the interpreter. Its diagnostics still
arrive for every edit, of the newest text, at most `PREVIEW_GRACE` later.
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field

from lsp_server.collection import IdleCollector
from lsp_server.settings import DEFAULT_MAX_DOCUMENT_SIZE
from prompt_tool.analysis.diagnostics import Diagnostic, Severity, Span
from prompt_tool.analysis.document import DocumentModel
from prompt_tool.analysis.workspace import AnalysisConfig, TemplateSource, Workspace

logger = logging.getLogger(__name__)
TOO_LARGE = "PT090"
FOLLOWED_SECONDS = 5.0
"""How long after a preview of a document its edits count as followed by a preview."""
PREVIEW_GRACE = 0.1
"""How long the analysis of a followed document waits for the edit's preview, at most."""


def too_large(name: str, size: int, limit: int) -> Diagnostic:
    """The one finding of a document over the size limit, which is not analysed."""
    message = (
        f"not analysed: {size:,} characters is over the limit of {limit:,} "
        "(setting maxDocumentSize)"
    )
    return Diagnostic(TOO_LARGE, Severity.WARNING, message, name, Span.at(0, 0, 0))


@dataclass(frozen=True)
class Change:
    """A template's new state: editor text, or None to fall back to the file on disk."""

    source: str | None
    version: int | None = None
    is_closed: bool = False


@dataclass(frozen=True)
class Outcome:
    """Fresh diagnostics for every template an analysed batch may have changed."""

    diagnostics: dict[str, list[Diagnostic]]
    versions: dict[str, int | None]
    closed: frozenset[str] = field(default_factory=frozenset)


class AnalysisRunner:
    """Owns the analyser workspace; features submit changes and listen for outcomes."""

    def __init__(self) -> None:
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="analysis")
        self._workspace = Workspace()
        self._external: TemplateSource | None = None
        self._pending: dict[str, Change] = {}
        self._task: asyncio.Task[None] | None = None
        self._latest: dict[str, list[Diagnostic]] = {}
        self._models: dict[str, DocumentModel] = {}
        self._owed: set[str] = set()
        self._collector = IdleCollector()
        self._in_flight: frozenset[str] = frozenset()
        self._batch_done: asyncio.Future[None] | None = None
        self.listeners: list[Callable[[Outcome], None]] = []
        self.max_document_size = DEFAULT_MAX_DOCUMENT_SIZE
        self._too_large: dict[str, Diagnostic] = {}
        self._previews = 0
        self._woken: asyncio.Future[None] | None = None
        self.preview_grace = PREVIEW_GRACE
        self._previewed: dict[str, float] = {}
        """When a preview of each document last finished (loop time)."""

    def reset(self, config: AnalysisConfig, external: TemplateSource, load: list[str]) -> None:
        """Start over with a new configuration, loading `load` from `external` first."""
        self._executor.submit(self._reset, config, external, load)

    def invalidate_external(self) -> None:
        """The external sources changed (the published templates were read again): forget
        what they answered, before any analysis submitted after this call runs."""
        self._executor.submit(lambda: self._workspace.invalidate_external())

    def submit(self, name: str, change: Change) -> None:
        """Analyse `name` in its new state as soon as the worker is free."""
        self._pending[name] = change
        self._collector.busy()
        self._wake()
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._drain())

    @contextmanager
    def previewing(self, name: str | None = None) -> Iterator[None]:
        """While a preview renders, the templates an edit affects wait (edits do not): a
        preview after a keystroke should not share the interpreter with twenty re-checks.
        From then on, `name`'s edits are followed by a preview (see the module docstring)."""
        self._previews += 1
        try:
            yield
        finally:
            self._previews -= 1
            if name is not None:
                self._previewed[name] = asyncio.get_running_loop().time()
            self._wake()

    def _wake(self) -> None:
        woken, self._woken = self._woken, None
        if woken is not None and not woken.done():
            woken.set_result(None)

    def touch(self) -> None:
        """A request arrived: postpone the idle-time collection (edits already have)."""
        if self._task is None or self._task.done():
            self._collector.idle()

    async def analysed(self, name: str) -> None:
        """Wait until the diagnostics of `name` are current: its newest text analysed, or
        its re-check owed to an edit elsewhere done. Unlike `settled`, a pull of the edited
        document does not wait for the templates the edit affects."""
        while name in self._pending or name in self._in_flight or name in self._owed:
            if self._batch_done is None:
                self._batch_done = asyncio.get_running_loop().create_future()
            await asyncio.shield(self._batch_done)

    async def settled(self) -> None:
        """Wait until every submitted change has been analysed."""
        while self._task is not None and not self._task.done():
            await asyncio.shield(self._task)

    async def document(self, name: str) -> DocumentModel | None:
        """The analyser's model of `name`; while the text does not parse (half-typed), the
        last model that did, so that scopes and types stay available for completion."""
        loop = asyncio.get_running_loop()
        model = await loop.run_in_executor(self._executor, self._document, name)
        if model is not None and model.analysis is not None:
            self._models[name] = model
            return model
        return self._models.get(name, model)

    def _document(self, name: str) -> DocumentModel | None:
        return self._workspace.document(name)

    def _diagnostics_of(self, names: list[str]) -> dict[str, list[Diagnostic]]:
        """A name the analyser does not hold yet (a file created since the last reset that
        no one reported) is read from the external source first."""
        workspace = self._workspace
        held = set(workspace.names())
        for name in names:
            if name not in held and self._external is not None:
                source = self._external.get_source(name)
                if source is not None:
                    workspace.set_document(name, source)
        return self._diagnose(names)

    def latest(self, name: str) -> list[Diagnostic] | None:
        """The last published diagnostics of `name` (None before its first analysis)."""
        return self._latest.get(name)

    async def diagnostics_of(self, names: list[str]) -> dict[str, list[Diagnostic]]:
        """Current diagnostics of every name in `names`, open or not, for a whole-workspace
        report; computed on the worker, the only thread that touches the analyser."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, self._diagnostics_of, names)

    async def includers(self, name: str) -> list[tuple[str, str]]:
        """The templates the analyser holds (and those they reach) that include, extend or
        import `name`, each with how (`include`, `extends`, `import`, `from`): its include
        graph already knows, no file is read again."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, self._includers_of, name)

    def _includers_of(self, name: str) -> list[tuple[str, str]]:
        edges = self._workspace.graph().includers(name)
        return sorted({(edge.source, edge.ref.kind) for edge in edges})

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)

    def _reset(self, config: AnalysisConfig, external: TemplateSource, load: list[str]) -> None:
        try:
            workspace = Workspace(config, external)
        except Exception:
            logger.exception("the analyser rejected its configuration; using the defaults")
            config = AnalysisConfig(disabled_codes=config.disabled_codes)
            workspace = Workspace(config, external)
        for name in load:
            source = external.get_source(name)
            if source is not None:
                workspace.set_document(name, source)
        self._workspace, self._external = workspace, external

    async def _drain(self) -> None:
        loop = asyncio.get_running_loop()
        while self._pending or self._owed:
            if not self._pending and self._previews:
                self._woken = loop.create_future()
                await self._woken  # a preview's end or a new edit wakes it
                continue
            if not self._pending:
                await self._refresh_owed(loop)
                continue
            await self._await_previews(loop)
            batch, self._pending = self._pending, {}
            self._in_flight = frozenset(batch)
            try:
                await self._run_batch(loop, batch)
            finally:
                self._in_flight = frozenset()
                self._finish_batch()
        self._collector.idle()

    async def _await_previews(self, loop: asyncio.AbstractEventLoop) -> None:
        """Let the preview of a followed document's edit render first: until a preview
        ends or `preview_grace` passes (newer edits do not extend the wait)."""
        now = loop.time()
        if not any(
            now - self._previewed.get(name, -math.inf) < FOLLOWED_SECONDS for name in self._pending
        ):
            return
        deadline = now + self.preview_grace
        while not any(finished >= now for finished in self._previewed.values()):
            self._woken = woken = loop.create_future()
            try:
                await asyncio.wait_for(woken, deadline - loop.time())
            except TimeoutError:
                return

    async def _run_batch(self, loop: asyncio.AbstractEventLoop, batch: dict[str, Change]) -> None:
        try:
            diagnostics, affected = await loop.run_in_executor(self._executor, self._analyse, batch)
        except Exception:
            logger.exception("analysis failed for %s", ", ".join(sorted(batch)))
            return
        self._owed |= affected - batch.keys()
        if batch.keys() & self._pending.keys():
            return
        fresh = {name: diagnostics[name] for name in batch if name in diagnostics}
        self._latest.update(fresh)
        closed = frozenset(name for name, change in batch.items() if change.is_closed)
        for name in closed:
            self._latest.pop(name, None)
        versions = {name: change.version for name, change in batch.items()}
        self._notify(Outcome(fresh, versions, closed))

    def _finish_batch(self) -> None:
        """Wake `analysed` waiters; the next batch's waiters get a new future."""
        done, self._batch_done = self._batch_done, None
        if done is not None and not done.done():
            done.set_result(None)

    async def _refresh_owed(self, loop: asyncio.AbstractEventLoop) -> None:
        """Re-check the templates earlier edits may have changed; publish those that did."""
        owed, self._owed = sorted(self._owed), set()
        self._in_flight = frozenset(owed)
        try:
            diagnostics = await loop.run_in_executor(self._executor, self._diagnose, owed)
        except Exception:
            logger.exception("analysis failed for %s", ", ".join(owed))
            return
        finally:
            self._in_flight = frozenset()
            self._finish_batch()
        changed = {
            name: found
            for name, found in diagnostics.items()
            if name not in self._pending and found != self._latest.get(name, [])
        }
        self._latest.update(changed)
        if changed:
            self._notify(Outcome(changed, {}))

    def _notify(self, outcome: Outcome) -> None:
        for listener in self.listeners:
            try:
                listener(outcome)
            except Exception:
                logger.exception("diagnostics listener failed")

    def _analyse(self, batch: dict[str, Change]) -> tuple[dict[str, list[Diagnostic]], set[str]]:
        """Apply `batch`; the diagnostics of its own templates, and every template affected."""
        workspace = self._workspace
        affected: set[str] = set()
        for name, change in batch.items():
            source = change.source
            if source is None and self._external is not None:
                source = self._external.get_source(name)
            self._too_large.pop(name, None)
            if source is not None and len(source) > self.max_document_size:
                self._too_large[name] = too_large(name, len(source), self.max_document_size)
                source = None if change.source is None else ""
            if source is None:
                affected |= workspace.remove_document(name)
            else:
                affected |= workspace.set_document(name, source)
        return self._diagnose(sorted(affected & batch.keys())), affected

    def _diagnose(self, names: list[str]) -> dict[str, list[Diagnostic]]:
        workspace = self._workspace
        disabled = workspace.config.disabled_codes
        return {
            name: [self._too_large[name]]
            if name in self._too_large
            else [found for found in workspace.diagnostics(name) if found.code not in disabled]
            for name in names
        }
