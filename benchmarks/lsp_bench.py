"""Benchmark: didChange → publishDiagnostics over stdio for a 300-line template with 20 includes.

Run: `python -m benchmarks lsp_bench` (our server, and jinja-lsp when installed:
`.venv/bin/pip install jinja-lsp`; results appended to RESULTS.md), or
`python -m benchmarks.lsp_bench [--server CMD] [--edits N] [--lines N] [--includes N]`.
Each edit waits for the diagnostics of its own version (a server that publishes without a
version is matched on the next publish for the URI), so the time includes any delay the
server adds. `--server "jinja-lsp lsp"` measures another server on the same files.

Each server gets edits the way its initialize result asks (`textDocumentSync`): ranged
edits for incremental sync, the whole text for full sync — jinja-lsp asks for full sync,
and sent ranged edits it analysed only the few changed characters. Before a server is
timed, its findings are checked: the number of diagnostics it reports for the broken and
the repaired text, which a row must share with prompt-tool-lsp to be comparable.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from lsprotocol import types
from pygls.lsp.client import LanguageClient
from pygls.uris import from_fs_path

INCLUDES = 20
RESULTS = Path(__file__).parent / "RESULTS.md"
LINES = 300
LARGE_LINES = 3000
LARGE_EDITS = 50
DEBUG = False
BROKEN = "{{ 1 + }}"
WAIT_SECONDS = 10
SETTLE_SECONDS = 1.5


def write_workspace(folder: Path, lines_count: int = LINES, includes: int = INCLUDES) -> Path:
    """A 300-line template with 20 includes and loops, conditions, filters and prose, under
    `templates/` (the folder both servers find without configuration)."""
    (folder / "pyproject.toml").write_text('[tool.prompt-tool.lint]\nroots = ["templates"]\n')
    # jinja-lsp's roots; in LSP mode it flags every loop variable used only through a
    # filter as "assigned but never used" (W201, which its `check` does not report here)
    (folder / "jinja.toml").write_text(
        'templates = ["templates"]\n[lint]\nignore = ["JINJA-W201"]\n'
    )
    folder = folder / "templates"
    (folder / "partials").mkdir(parents=True)
    for index in range(includes):
        (folder / "partials" / f"part{index}.j2").write_text(f"Part {index}: {{{{ item }}}}\n")
    lines = [f'{{% include "partials/part{index}.j2" %}}' for index in range(includes)]
    # No free variables: a server without prompt-tool's contracts (jinja-lsp) then reports
    # no undefined names either, and both servers' findings are the same (0 repaired, the
    # one syntax error of BROKEN broken).
    patterns = [
        "{% for item in ['a', 'b'] %}- {{ item | upper }}: {{ item | length }}{% endfor %}",
        "{% if 1 > 2 %}Answer briefly.{% else %}Answer in detail.{% endif %}",
        "The project {{ 'demo' | title }} uses {{ none | default('python') }}.",
        "Plain prose explaining the task to the model, without any template syntax at all.",
    ]
    while len(lines) < lines_count:
        lines.append(patterns[len(lines) % len(patterns)])
    main = folder / "main.j2"
    main.write_text("\n".join(lines) + "\n")
    return main


Arrival = tuple[float, int | None, int]
"""(arrival time, document version, number of diagnostics) of one publishDiagnostics."""


def recording_client(uri: str) -> tuple[LanguageClient, asyncio.Queue[Arrival]]:
    """A client that queues every publishDiagnostics of `uri` as it arrives."""
    client = LanguageClient("benchmark", "1")
    arrivals: asyncio.Queue[Arrival] = asyncio.Queue()

    @client.feature(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    def on_publish(params: types.PublishDiagnosticsParams) -> None:
        if params.uri == uri:
            if DEBUG:
                messages = [d.message for d in params.diagnostics][:5]
                print("publish", params.version, messages, file=sys.stderr)
            arrivals.put_nowait((time.perf_counter(), params.version, len(params.diagnostics)))

    @client.feature(types.CLIENT_REGISTER_CAPABILITY)
    def on_register(params: types.RegistrationParams) -> None:
        return None

    return client, arrivals


async def measure(
    command: list[str], edits: int, lines: int, includes: int, line: int | None = None
) -> Run:
    """Timings of `edits` edits at the start of `line` (default: the last line)."""
    line = lines - 1 if line is None else line
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        main = write_workspace(folder, lines, includes)
        uri = from_fs_path(str(main)) or ""
        client, arrivals = recording_client(uri)
        await client.start_io(command[0], *command[1:], cwd=str(folder))
        initialized = await client.initialize_async(
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
        is_full_sync = sync_kind(initialized.capabilities) == types.TextDocumentSyncKind.Full
        client.initialized(types.InitializedParams())
        text = main.read_text()
        lines_of = text.split("\n")
        client.text_document_did_open(
            types.DidOpenTextDocumentParams(types.TextDocumentItem(uri, "jinja", 1, text))
        )
        await _wait_for(arrivals, 1)
        await _settle(arrivals)
        timings = []
        findings: list[int] = []
        prefix = ""
        original = lines_of[line]
        for version in range(2, edits + 2):
            # Odd versions break the line, even versions repair it; every version's
            # text is new (a counter in the edit), so no server can answer from a cache.
            edit = f"{BROKEN if version % 2 else ''}v{version} "
            change: types.TextDocumentContentChangeEvent
            if is_full_sync:
                lines_of[line] = edit + original
                change = types.TextDocumentContentChangeWholeDocument(text="\n".join(lines_of))
            else:
                change = types.TextDocumentContentChangePartial(
                    range=types.Range(types.Position(line, 0), types.Position(line, len(prefix))),
                    text=edit,
                )
            started = time.perf_counter()
            client.text_document_did_change(
                types.DidChangeTextDocumentParams(
                    types.VersionedTextDocumentIdentifier(version=version, uri=uri), [change]
                )
            )
            prefix = edit
            try:
                arrived, count = await _wait_for(arrivals, version)
            except TimeoutError:
                if client._server is not None and client._server.returncode is None:
                    client._server.kill()
                await client.stop()
                raise
            timings.append((arrived - started) * 1000)
            findings.append(count)
        await asyncio.wait_for(client.shutdown_async(None), 10)
        client.exit(None)
        await _reap(client)
        return Run(timings, tuple(findings[:2]), is_full_sync)


@dataclass(frozen=True)
class Run:
    """Timings of one server, the diagnostics it reported for the repaired and the broken
    text (its findings, which must match prompt-tool-lsp's for a fair comparison), and
    whether it asked for full-document sync."""

    timings: list[float]
    findings: tuple[int, ...]
    is_full_sync: bool


def sync_kind(capabilities: types.ServerCapabilities) -> types.TextDocumentSyncKind:
    """The sync kind a server declares: a bare kind, or the `change` of its options."""
    declared = capabilities.text_document_sync
    if isinstance(declared, types.TextDocumentSyncOptions):
        return declared.change or types.TextDocumentSyncKind.None_
    return types.TextDocumentSyncKind(declared or 0)


async def _reap(client: LanguageClient) -> None:
    """Wait for the server to exit as `exit` asks; one that does not is killed."""
    process = client._server
    if process is not None:
        try:
            await asyncio.wait_for(process.wait(), 5)
        except TimeoutError:
            process.kill()
    await client.stop()


async def _settle(arrivals: asyncio.Queue[tuple[float, int | None, int]]) -> None:
    """Drop the further publishes a server sends after opening (jinja-lsp publishes again
    once it has indexed the templates), so none is taken for the first edit's."""
    while True:
        try:
            await asyncio.wait_for(arrivals.get(), SETTLE_SECONDS)
        except TimeoutError:
            return


async def _wait_for(
    arrivals: asyncio.Queue[tuple[float, int | None, int]], version: int
) -> tuple[float, int]:
    while True:
        arrived, published, count = await asyncio.wait_for(arrivals.get(), WAIT_SECONDS)
        if published is None or published >= version:
            return arrived, count


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
    run = asyncio.run(
        measure(shlex.split(args.server), args.edits, args.lines, args.includes, args.line)
    )
    print(
        f"{args.server}: {len(run.timings)} edits, {summary(run.timings)}, "
        f"findings repaired/broken {run.findings}, full sync {run.is_full_sync}"
    )


OURS = f"{sys.executable} -m lsp_server"


def summary(timings: list[float]) -> str:
    return (
        f"p50 {percentile(timings, 0.5):.1f} ms, p99 {percentile(timings, 0.99):.1f} ms, "
        f"mean {statistics.mean(timings):.1f} ms"
    )


def record(edits: int = 300) -> None:
    """Both servers, one after the other on the same files, editing the first, a middle
    and the last line; jinja-lsp is measured when `JINJA_LSP` or PATH (or this venv)
    provides it, and only timed where its findings match ours."""
    servers = {"prompt-tool-lsp": OURS}
    other = (
        os.environ.get("JINJA_LSP")
        or shutil.which("jinja-lsp", path=str(Path(sys.executable).parent))
        or shutil.which("jinja-lsp")
    )
    if other:
        servers["jinja-lsp"] = f"{other} lsp" if not other.endswith(" lsp") else other
    else:
        print("jinja-lsp not found: `.venv/bin/pip install jinja-lsp` to compare; skipped")
    rows = []
    ours: dict[tuple[int, int], Run] = {}
    cases = [(LINES, line, edits) for line in (0, LINES // 2, LINES - 1)]
    cases.append((LARGE_LINES, LARGE_LINES - 1, LARGE_EDITS))
    for lines, line, count in cases:
        for label, command in servers.items():
            try:
                run = asyncio.run(measure(shlex.split(command), count, lines, INCLUDES, line))
            except TimeoutError:
                rows.append(
                    f"| {label} | {lines} | {line + 1} | no diagnostics within {WAIT_SECONDS} s"
                    " | | | | | |"
                )
                continue
            if label == "prompt-tool-lsp":
                ours[lines, line] = run
            reference = ours.get((lines, line))
            same = reference is not None and reference.findings == run.findings
            values = (
                percentile(run.timings, 0.5),
                percentile(run.timings, 0.99),
                statistics.mean(run.timings),
            )
            timed = (
                " | ".join(f"{value:.1f} ms" for value in values) if same else "not comparable | |"
            )
            ratio = (
                f"{percentile(run.timings, 0.5) / percentile(reference.timings, 0.5):.2f}x"
                if same and reference is not None
                else ""
            )
            sync = "full" if run.is_full_sync else "incremental"
            findings = "/".join(str(count) for count in run.findings)
            rows.append(
                f"| {label} | {lines} | {line + 1} | {count} | {sync} | {findings} | {timed} "
                f"| {ratio} |"
            )
            print(rows[-1])
    versions = ", ".join(f"{label}: {peer_version(command)}" for label, command in servers.items())
    with RESULTS.open("a", encoding="utf-8") as handle:
        handle.write(
            f"\n## lsp_bench — {datetime.now(UTC):%Y-%m-%d %H:%M} UTC\n\n"
            f"Command: `make bench` / `python -m benchmarks lsp_bench` (templates with "
            f"{INCLUDES} includes; load average "
            f"{load_average()}; {versions}). Each server is sent edits as its "
            "`textDocumentSync` asks; findings = diagnostics for the repaired/broken text, "
            "which must equal prompt-tool-lsp's for a row to be timed; ratio = p50 against "
            "prompt-tool-lsp's p50 on the same line, measured side by side in this run.\n\n"
            "| server | lines | edited line | edits | sync | findings | p50 | p99 | mean "
            "| p50 ratio |\n|---|---|---|---|---|---|---|---|---|---|\n" + "\n".join(rows) + "\n"
        )


def load_average() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} / {five:.2f} / {fifteen:.2f} (1/5/15 min)"


def peer_version(command: str) -> str:
    """`--version` of a peer's executable (ours: the package version)."""
    if command == OURS:
        from prompt_tool import __version__

        return __version__
    try:
        completed = subprocess.run(
            [shlex.split(command)[0], "--version"], capture_output=True, text=True, timeout=10
        )
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"
    return (
        (completed.stdout or completed.stderr).strip().splitlines()[0]
        if completed.stdout or completed.stderr
        else "unknown"
    )


if __name__ == "__main__":
    main(sys.argv[1:])
