"""Benchmark: server memory after opening 1,000 templates, and completion latency with
10,000 published templates in a real SQLite database.

Run: `python -m benchmarks lsp_scale_bench` (results appended to RESULTS.md).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from lsprotocol import types
from pygls.lsp.client import LanguageClient
from pygls.uris import from_fs_path

from benchmarks.lsp_bench import RESULTS, percentile

OPEN_TEMPLATES = 1000
PUBLISHED = 10_000
COMPLETIONS = 300
TEMPLATE = (
    "{% for item in items %}- {{ item.name | upper }}{% endfor %}\n"
    "{% if feature.is_urgent %}Answer briefly.{% else %}Answer in detail.{% endif %}\n"
) * 10


async def started(folder: Path, options: object = None) -> LanguageClient:
    client = LanguageClient("benchmark", "1")
    await client.start_io(sys.executable, "-m", "lsp_server", cwd=str(folder))
    uri = from_fs_path(str(folder)) or ""
    await client.initialize_async(
        types.InitializeParams(
            capabilities=types.ClientCapabilities(),
            workspace_folders=[types.WorkspaceFolder(uri, "w")],
            initialization_options=options,
        )
    )
    client.initialized(types.InitializedParams())
    return client


async def stopped(client: LanguageClient) -> None:
    await asyncio.wait_for(client.shutdown_async(None), 30)
    client.exit(None)
    await client.stop()


async def memory_after_opening(folder: Path) -> float:
    """VmRSS of the server (MB) once all templates are open and analysed."""
    paths = []
    for index in range(OPEN_TEMPLATES):
        path = folder / f"t{index:04}.j2"
        path.write_text(TEMPLATE)
        paths.append(path)
    client = await started(folder)
    remaining = {from_fs_path(str(path)) for path in paths}
    done = asyncio.Event()

    @client.feature(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    def on_publish(params: types.PublishDiagnosticsParams) -> None:
        remaining.discard(params.uri)
        if not remaining:
            done.set()

    for path in paths:
        client.text_document_did_open(
            types.DidOpenTextDocumentParams(
                types.TextDocumentItem(from_fs_path(str(path)) or "", "jinja", 1, TEMPLATE)
            )
        )
    await asyncio.wait_for(done.wait(), 600)
    assert client._server is not None
    status = Path(f"/proc/{client._server.pid}/status").read_text()
    rss_kb = next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS"))
    await stopped(client)
    return rss_kb / 1024


def published_database(folder: Path) -> str:
    from prompt_tool.db.db_utils import DatabaseManager
    from prompt_tool.db.migrations import upgrade
    from prompt_tool.db.models import ORCHESTRATION_CATEGORY, Prompt

    url = f"sqlite:///{folder / 'store.db'}"
    upgrade(url)
    manager = DatabaseManager(url)
    with manager.session() as session:
        session.add_all(
            Prompt(
                name=f"group{index % 100:02}/template{index:05}.j2",
                version=1,
                content=f"template {index}\n",
                content_hash=hashlib.sha256(str(index).encode()).hexdigest(),
                is_template=True,
                category=ORCHESTRATION_CATEGORY,
            )
            for index in range(PUBLISHED)
        )
    manager.dispose()
    return url


async def completion_latency(
    folder: Path, typed: str = '{% include "group42/'
) -> tuple[list[float], int, int]:
    """Completion timings for `typed`, the answer's items and its JSON size in bytes."""
    url = published_database(folder)
    client = await started(folder, {"promptTool": {"databaseUrl": url}})
    uri = from_fs_path(str(folder / "main.j2")) or ""
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(types.TextDocumentItem(uri, "jinja", 1, typed))
    )
    params = types.CompletionParams(
        types.TextDocumentIdentifier(uri), types.Position(0, len(typed))
    )
    while len((await client.text_document_completion_async(params)).items) < PUBLISHED // 100:
        pass
    timings = []
    for _ in range(COMPLETIONS):
        started_at = time.perf_counter()
        answer = await client.text_document_completion_async(params)
        timings.append((time.perf_counter() - started_at) * 1000)
    size = len(json.dumps(client.protocol._converter.unstructure(answer)))
    await stopped(client)
    return timings, len(answer.items), size


def main() -> None:
    with tempfile.TemporaryDirectory() as scratch:
        (Path(scratch) / "open").mkdir()
        (Path(scratch) / "db").mkdir()
        rss = asyncio.run(memory_after_opening(Path(scratch) / "open"))
        timings, _, _ = asyncio.run(completion_latency(Path(scratch) / "db"))
        (Path(scratch) / "bare").mkdir()
        bare, items, size = asyncio.run(completion_latency(Path(scratch) / "bare", '{% include "'))
    text = (
        f"\n## lsp_scale_bench — {datetime.now(UTC):%Y-%m-%d %H:%M} UTC\n\n"
        f"Command: `python -m benchmarks lsp_scale_bench`, load average {os.getloadavg()[0]:.2f}\n\n"
        "| measure | result | target |\n|---|---|---|\n"
        f"| server RSS after opening {OPEN_TEMPLATES} templates | {rss:.0f} MB | ≤ 200 MB |\n"
        f"| completion in an include string, {PUBLISHED:,} published templates (SQLite), "
        f"{COMPLETIONS} requests | p50 {percentile(timings, 0.5):.1f} ms, "
        f"p99 {percentile(timings, 0.99):.1f} ms | p99 ≤ 15 ms |\n"
        f'| completion of a bare `{{% include "`, same database | {items} items, '
        f"{size / 1024:.0f} KB JSON, p50 {percentile(bare, 0.5):.1f} ms | one folder level |\n"
    )
    print(text)
    with RESULTS.open("a", encoding="utf-8") as handle:
        handle.write(text)


if __name__ == "__main__":
    main()
