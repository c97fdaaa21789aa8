"""Soak: the server's memory over 2,000 edits of a 3,000-line template, and its start-up.

Run: `python -m benchmarks lsp_soak_bench` (results appended to RESULTS.md). Every edit
waits for the diagnostics of its own version, so each version is analysed; the server's
RSS (`/proc/PID/status` VmRSS) is read after 200 edits and after 2,000. Memory is flat when
the second figure is within a small margin of the first (analyses were once kept per
version: 60 → 809 MB after 400 edits).

Start-up is the time from starting the process to the `initialize` answer, for
prompt-tool-lsp and (when installed: `.venv/bin/pip install jinja-lsp`) jinja-lsp, one
after the other, median of several starts.
"""

from __future__ import annotations

import argparse
import asyncio
import os
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

from benchmarks.lsp_bench import (
    OURS,
    RESULTS,
    _reap,
    _wait_for,
    load_average,
    peer_version,
    recording_client,
)

LINES = 3000
EDITS = 2000
EARLY = 200
STARTS = 7
PROSE = "Explain the change to the model in plain words, with the context it needs to act."
TAGGED = "{% if feature.is_urgent %}Answer briefly about {{ project.name | upper }}.{% endif %}"


def template(lines: int) -> str:
    """A prompt-like template: prose, a tag every tenth line."""
    return "\n".join(TAGGED if index % 10 == 0 else PROSE for index in range(lines)) + "\n"


def rss_mb(pid: int) -> float:
    status = Path(f"/proc/{pid}/status").read_text()
    kilobytes = next(int(row.split()[1]) for row in status.splitlines() if row.startswith("VmRSS"))
    return kilobytes / 1024


async def soak(folder: Path, edits: int, lines: int) -> tuple[float, float, float]:
    """RSS (MB) after opening, after EARLY edits and after `edits` edits."""
    main = folder / "main.j2"
    main.write_text(template(lines))
    uri = from_fs_path(str(main)) or ""
    client, arrivals = recording_client(uri)
    await client.start_io(sys.executable, "-m", "lsp_server", cwd=str(folder))
    assert client._server is not None
    pid = client._server.pid
    folder_uri = from_fs_path(str(folder)) or ""
    await client.initialize_async(
        types.InitializeParams(
            capabilities=types.ClientCapabilities(),
            workspace_folders=[types.WorkspaceFolder(folder_uri, "w")],
        )
    )
    client.initialized(types.InitializedParams())
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(types.TextDocumentItem(uri, "jinja", 1, main.read_text()))
    )
    await _wait_for(arrivals, 1)
    opened = early = rss_mb(pid)
    prefix = ""
    for version in range(2, edits + 2):
        edit = f"v{version} "
        line = (version * 7919) % lines  # edits all over the template, not one place
        client.text_document_did_change(
            types.DidChangeTextDocumentParams(
                types.VersionedTextDocumentIdentifier(version=version, uri=uri),
                [
                    types.TextDocumentContentChangePartial(
                        range=types.Range(types.Position(line, 0), types.Position(line, 0)),
                        text=edit,
                    )
                ],
            )
        )
        prefix += edit
        await _wait_for(arrivals, version)
        if version - 1 == EARLY:
            early = rss_mb(pid)
    late = rss_mb(pid)
    await asyncio.wait_for(client.shutdown_async(None), 30)
    client.exit(None)
    await _reap(client)
    return opened, early, late


async def start_up_ms(command: list[str], folder: Path) -> float:
    """Wall time from starting `command` to its answer to `initialize`."""
    client = LanguageClient("benchmark", "1")
    started = time.perf_counter()
    await client.start_io(command[0], *command[1:], cwd=str(folder))
    await client.initialize_async(
        types.InitializeParams(
            capabilities=types.ClientCapabilities(), root_uri=from_fs_path(str(folder))
        )
    )
    elapsed = (time.perf_counter() - started) * 1000
    await asyncio.wait_for(client.shutdown_async(None), 30)
    client.exit(None)
    await _reap(client)
    return elapsed


def start_ups(folder: Path) -> list[tuple[str, str, float]]:
    servers = {"prompt-tool-lsp": OURS}
    other = shutil.which("jinja-lsp", path=str(Path(sys.executable).parent)) or shutil.which(
        "jinja-lsp"
    )
    if other:
        servers["jinja-lsp"] = f"{other} lsp"
    else:
        print("jinja-lsp not found: `.venv/bin/pip install jinja-lsp` to compare; skipped")
    times: dict[str, list[float]] = {label: [] for label in servers}
    for _ in range(STARTS):  # interleaved, so that both see the same load
        for label, command in servers.items():
            times[label].append(asyncio.run(start_up_ms(command.split(), folder)))
    return [
        (label, peer_version(command), statistics.median(times[label]))
        for label, command in servers.items()
    ]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--edits", type=int, default=EDITS)
    parser.add_argument("--lines", type=int, default=LINES)
    args = parser.parse_args(argv or [])
    with tempfile.TemporaryDirectory() as scratch:
        opened, early, late = asyncio.run(soak(Path(scratch), args.edits, args.lines))
        starts = start_ups(Path(scratch))
    ours = starts[0][2]
    text = "\n".join(
        [
            f"\n## lsp_soak_bench — {datetime.now(UTC):%Y-%m-%d %H:%M} UTC\n",
            f"Command: `make bench` / `python -m benchmarks lsp_soak_bench` "
            f"(load average {load_average()}; {os.cpu_count()} cores)\n",
            f"| {args.lines}-line template, ranged edits, each version analysed | server RSS |",
            "|---|---|",
            f"| opened | {opened:.0f} MB |",
            f"| after {EARLY} edits | {early:.0f} MB |",
            f"| after {args.edits} edits | {late:.0f} MB ({late - early:+.0f} MB, "
            f"{(late - early) / early * 100:+.1f} % since {EARLY}) |",
            "",
            f"Start-up to the `initialize` answer, median of {STARTS} interleaved starts:\n",
            "| server | version | start-up | ratio to prompt-tool-lsp |",
            "|---|---|---|---|",
            *(
                f"| {label} | {version} | {elapsed:.0f} ms | {elapsed / ours:.2f} |"
                for label, version, elapsed in starts
            ),
            "",
        ]
    )
    print(text)
    with RESULTS.open("a", encoding="utf-8") as handle:
        handle.write(text)


if __name__ == "__main__":
    main(sys.argv[1:])
