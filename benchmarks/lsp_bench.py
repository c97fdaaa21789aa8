"""Benchmark: didChange → publishDiagnostics over stdio for a 300-line template with 20 includes.

Run: `python -m benchmarks lsp_bench` (our server, result appended to RESULTS.md), or
`python -m benchmarks.lsp_bench [--server CMD] [--edits N] [--lines N] [--includes N]`.
Each edit waits for the diagnostics of its own version (a server that publishes without a
version is matched on the next publish for the URI), so the time includes any delay the
server adds. `--server "jinja-lsp lsp"` measures another server on the same files.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shlex
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from lsprotocol import types
from pygls.lsp.client import LanguageClient
from pygls.uris import from_fs_path

INCLUDES = 20
RESULTS = Path(__file__).parent / "RESULTS.md"
LINES = 300
DEBUG = False
BROKEN = "{{ x }"


def write_workspace(folder: Path, lines_count: int = LINES, includes: int = INCLUDES) -> Path:
    """A 300-line template with 20 includes and loops, conditions, filters and prose, under
    `templates/` (the folder both servers find without configuration)."""
    (folder / "pyproject.toml").write_text('[tool.prompt-tool.lint]\nroots = ["templates"]\n')
    folder = folder / "templates"
    (folder / "partials").mkdir(parents=True)
    for index in range(includes):
        (folder / "partials" / f"part{index}.j2").write_text(f"Part {index}: {{{{ item }}}}\n")
    lines = [f'{{% include "partials/part{index}.j2" %}}' for index in range(includes)]
    patterns = [
        "{% for item in items %}- {{ item.name | upper }}: {{ item.description }}{% endfor %}",
        "{% if feature.is_urgent %}Answer briefly.{% else %}Answer in detail.{% endif %}",
        "The project {{ project.name }} uses {{ project.language | default('python') }}.",
        "Plain prose explaining the task to the model, without any template syntax at all.",
    ]
    while len(lines) < lines_count:
        lines.append(patterns[len(lines) % len(patterns)])
    main = folder / "main.j2"
    main.write_text("\n".join(lines) + "\n")
    return main


async def measure(command: list[str], edits: int, lines: int, includes: int) -> list[float]:
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        main = write_workspace(folder, lines, includes)
        uri = from_fs_path(str(main)) or ""
        client = LanguageClient("benchmark", "1")
        arrivals: asyncio.Queue[tuple[float, int | None]] = asyncio.Queue()

        @client.feature(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
        def on_publish(params: types.PublishDiagnosticsParams) -> None:
            if params.uri == uri:
                if DEBUG:
                    print("publish", params.version, len(params.diagnostics), file=sys.stderr)
                arrivals.put_nowait((time.perf_counter(), params.version))

        await client.start_io(command[0], *command[1:], cwd=str(folder))
        await client.initialize_async(
            types.InitializeParams(
                capabilities=types.ClientCapabilities(
                    text_document=types.TextDocumentClientCapabilities(
                        publish_diagnostics=types.PublishDiagnosticsClientCapabilities(
                            version_support=True
                        )
                    )
                ),
                root_uri=from_fs_path(str(folder)),
                workspace_folders=[types.WorkspaceFolder(from_fs_path(str(folder)) or "", "w")],
            )
        )
        client.initialized(types.InitializedParams())
        text = main.read_text()
        client.text_document_did_open(
            types.DidOpenTextDocumentParams(types.TextDocumentItem(uri, "jinja", 1, text))
        )
        await _wait_for(arrivals, 1)
        timings = []
        prefix = ""
        for version in range(2, edits + 2):
            # Odd versions break the last line, even versions repair it; every version's
            # text is new (a counter in the edit), so no server can answer from a cache.
            edit = f"{BROKEN if version % 2 else ''}v{version} "
            started = time.perf_counter()
            client.text_document_did_change(
                types.DidChangeTextDocumentParams(
                    types.VersionedTextDocumentIdentifier(version=version, uri=uri),
                    [
                        types.TextDocumentContentChangePartial(
                            range=types.Range(
                                types.Position(lines - 1, 0), types.Position(lines - 1, len(prefix))
                            ),
                            text=edit,
                        )
                    ],
                )
            )
            prefix = edit
            arrived = await _wait_for(arrivals, version)
            timings.append((arrived - started) * 1000)
        await asyncio.wait_for(client.shutdown_async(None), 10)
        client.exit(None)
        await _reap(client)
        return timings


async def _reap(client: LanguageClient) -> None:
    """Wait for the server to exit as `exit` asks; one that does not is killed."""
    process = client._server
    if process is not None:
        try:
            await asyncio.wait_for(process.wait(), 5)
        except TimeoutError:
            process.kill()
    await client.stop()


async def _wait_for(arrivals: asyncio.Queue[tuple[float, int | None]], version: int) -> float:
    while True:
        arrived, published = await asyncio.wait_for(arrivals.get(), 30)
        if published is None or published >= version:
            return arrived


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def main(argv: list[str] | None = None) -> None:
    """From `python -m benchmarks` (no argv): the default run, appended to RESULTS.md."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--server", default=f"{sys.executable} -m lsp_server")
    parser.add_argument("--edits", type=int, default=300)
    parser.add_argument("--lines", type=int, default=LINES)
    parser.add_argument("--includes", type=int, default=INCLUDES)
    args = parser.parse_args(argv or [])
    timings = asyncio.run(measure(shlex.split(args.server), args.edits, args.lines, args.includes))
    line = (
        f"{args.server} ({args.lines} lines, {args.includes} includes): {len(timings)} edits, "
        f"p50 {percentile(timings, 0.5):.1f} ms, p99 {percentile(timings, 0.99):.1f} ms, "
        f"mean {statistics.mean(timings):.1f} ms"
    )
    print(line)
    if argv is None:
        with RESULTS.open("a", encoding="utf-8") as handle:
            handle.write(
                f"\n## lsp_bench — {datetime.now(UTC):%Y-%m-%d %H:%M} UTC\n\n"
                f"Command: `python -m benchmarks lsp_bench`, load average "
                f"{os.getloadavg()[0]:.2f}: {line}\n"
            )


if __name__ == "__main__":
    main(sys.argv[1:])
