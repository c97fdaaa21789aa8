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
import shutil
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
WAIT_SECONDS = 10


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


async def measure(
    command: list[str], edits: int, lines: int, includes: int, line: int | None = None
) -> list[float]:
    """Timings of `edits` edits at the start of `line` (default: the last line)."""
    line = lines - 1 if line is None else line
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
            # Odd versions break the line, even versions repair it; every version's
            # text is new (a counter in the edit), so no server can answer from a cache.
            edit = f"{BROKEN if version % 2 else ''}v{version} "
            started = time.perf_counter()
            client.text_document_did_change(
                types.DidChangeTextDocumentParams(
                    types.VersionedTextDocumentIdentifier(version=version, uri=uri),
                    [
                        types.TextDocumentContentChangePartial(
                            range=types.Range(
                                types.Position(line, 0), types.Position(line, len(prefix))
                            ),
                            text=edit,
                        )
                    ],
                )
            )
            prefix = edit
            try:
                arrived = await _wait_for(arrivals, version)
            except TimeoutError:
                if client._server is not None and client._server.returncode is None:
                    client._server.kill()
                await client.stop()
                raise
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
        arrived, published = await asyncio.wait_for(arrivals.get(), WAIT_SECONDS)
        if published is None or published >= version:
            return arrived


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def main(argv: list[str] | None = None) -> None:
    """From `python -m benchmarks` (no argv): the recorded run, appended to RESULTS.md."""
    if argv is None:
        record()
        return
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--server", default=OURS)
    parser.add_argument("--edits", type=int, default=300)
    parser.add_argument("--lines", type=int, default=LINES)
    parser.add_argument("--includes", type=int, default=INCLUDES)
    parser.add_argument("--line", type=int, help="the line edited (default: the last)")
    args = parser.parse_args(argv)
    timings = asyncio.run(
        measure(shlex.split(args.server), args.edits, args.lines, args.includes, args.line)
    )
    print(f"{args.server}: {len(timings)} edits, {summary(timings)}")


OURS = f"{sys.executable} -m lsp_server"


def summary(timings: list[float]) -> str:
    return (
        f"p50 {percentile(timings, 0.5):.1f} ms, p99 {percentile(timings, 0.99):.1f} ms, "
        f"mean {statistics.mean(timings):.1f} ms"
    )


def record(edits: int = 300) -> None:
    """Both servers, one after the other on the same files, editing the first, a middle
    and the last line; jinja-lsp is measured when `JINJA_LSP` or PATH provides it."""
    servers = {"prompt-tool-lsp": OURS}
    other = os.environ.get("JINJA_LSP") or shutil.which("jinja-lsp")
    if other:
        servers["jinja-lsp"] = other
    rows = []
    for label, command in servers.items():
        for line in (0, LINES // 2, LINES - 1):
            try:
                timings = asyncio.run(measure(shlex.split(command), edits, LINES, INCLUDES, line))
                result = " | ".join(
                    f"{value:.1f} ms"
                    for value in (
                        percentile(timings, 0.5),
                        percentile(timings, 0.99),
                        statistics.mean(timings),
                    )
                )
            except TimeoutError:
                result = f"no diagnostics within {WAIT_SECONDS} s of an edit | | "
            rows.append(f"| {label} | {line + 1} | {result} |")
            print(rows[-1])
    with RESULTS.open("a", encoding="utf-8") as handle:
        handle.write(
            f"\n## lsp_bench — {datetime.now(UTC):%Y-%m-%d %H:%M} UTC\n\n"
            f"Command: `python -m benchmarks lsp_bench` ({edits} edits per row, "
            f"{LINES}-line template with {INCLUDES} includes; load average "
            f"{os.getloadavg()[0]:.2f}). Target: p50 ≤ 10 ms, p99 ≤ 30 ms.\n\n"
            "| server | edited line | p50 | p99 | mean |\n|---|---|---|---|---|\n"
            + "\n".join(rows)
            + "\n"
        )


if __name__ == "__main__":
    main(sys.argv[1:])
