"""Benchmark: preview latency after an edit, for a 300-line template with 20 includes.

Run: `python -m benchmarks preview_bench` (result appended to RESULTS.md), or
`python -m benchmarks.preview_bench [--edits N] [--lines N] [--includes N]`.
Over stdio, each edit is a `didChange` followed at once by a `promptTool/preview` request;
the time is from sending the edit to the answer, decoded with `json.loads` as an editor
does, which must render that edit's version (the server renders the document as it is when
the request arrives). The first row sends each edit as soon as the previous answer arrives
(the server's work for one edit, its diagnostics included, overlaps the next); the second
waits `TYPING_PAUSE` between an answer and the next edit, as typing at ~10 keys a second
would, so each edit meets a server done with the one before. A third row renders
the same edits in-process with `render_preview`, the cost without JSON-RPC, under the
language server's garbage-collection policy (`lsp_server.collection`: full collections
when idle, never in the middle of a render). Goal: p99 ≤ 16 ms
(one frame), besides diagnostics.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pygls.uris import from_fs_path

from lsp_server.collection import defer_full_collections
from lsp_server.framing import FrameDecoder

LINES = 300
INCLUDES = 20
EDITS = 300
TARGET_P99_MS = 16.0
TYPING_PAUSE = 0.1
RESULTS = Path(__file__).parent / "RESULTS.md"
COMMAND = "python -m benchmarks preview_bench"
SAMPLE: dict[str, Any] = {
    "project": {"name": "shop", "description": "The storefront", "variables": {"tone": "brief"}},
    "feature": {
        "name": "Checkout",
        "type": "bugfix",
        "description": "A 500 on an empty basket",
        "acceptance_criteria": ["A friendly message", "No 500", "A test"],
    },
    "session": {"id": "1", "phase": "analysis"},
    "plan": {"phase": "orchestrator", "summary": "Fix the basket", "content": "Step 1\nStep 2"},
    "files": [
        {
            "path": f"src/module{index}.py",
            "language": "python",
            "size": 10,
            "content": "pass",
            "summary": "relevant",
        }
        for index in range(10)
    ],
    "vars": {"tone": "brief"},
}
PATTERNS = (
    "{% for f in files %}- {{ f.path }} ({{ f.language }}): {{ f.summary }}\n{% endfor %}",
    "{% if feature.acceptance_criteria %}Done when: {{ feature.acceptance_criteria | join(', ') }}"
    "{% endif %}",
    "The project {{ project.name }} ({{ project.description | trim }}) needs {{ feature.name }}.",
    "Plain prose explaining the task to the model, without any template syntax at all.",
)


def write_workspace(folder: Path, lines_count: int, includes: int) -> tuple[Path, Path]:
    """`analysis.j2` (`lines_count` lines, `includes` includes) and a sample it renders with."""
    (folder / "partials").mkdir(parents=True)
    (folder / "samples").mkdir()
    for index in range(includes):
        (folder / "partials" / f"part{index}.j2").write_text(
            f"Part {index} for {{{{ feature.name }}}}: {{{{ plan.summary }}}}\n"
        )
    lines = [f'{{% include "partials/part{index}.j2" %}}' for index in range(includes)]
    while len(lines) < lines_count:
        lines.append(PATTERNS[len(lines) % len(PATTERNS)])
    main = folder / "analysis.j2"
    main.write_text("\n".join(lines) + "\n")
    sample = folder / "samples" / "checkout.analysis.json"
    sample.write_text(json.dumps(SAMPLE))
    return main, sample


class RawClient:
    """A JSON-RPC client that decodes answers with `json.loads`, as editors do.

    pygls' `LanguageClient` turns every JSON object of an untyped answer into a namedtuple
    class of its own: ~140 ms for a preview's 860-line source map, which no editor pays.
    """

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process
        self.decoder = FrameDecoder()
        self.answers: dict[int, asyncio.Future[Any]] = {}
        self.next_id = 0
        self.reading = asyncio.ensure_future(self._read())

    @classmethod
    async def start(cls, folder: Path) -> RawClient:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "lsp_server",
            cwd=str(folder),
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.DEVNULL,
        )
        return cls(process)

    def send(self, message: dict[str, Any]) -> None:
        body = json.dumps({"jsonrpc": "2.0", **message}).encode()
        assert self.process.stdin is not None
        self.process.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)

    def notify(self, method: str, params: Any) -> None:
        self.send({"method": method, "params": params})

    async def request(self, method: str, params: Any) -> Any:
        self.next_id += 1
        answer = self.answers[self.next_id] = asyncio.get_running_loop().create_future()
        self.send({"id": self.next_id, "method": method, "params": params})
        message = await answer
        assert "error" not in message, message["error"]
        return message["result"]

    async def _read(self) -> None:
        assert self.process.stdout is not None
        while data := await self.process.stdout.read(1 << 16):
            for frame in self.decoder.feed(data):
                assert isinstance(frame, bytes), frame
                message = json.loads(frame)
                if "method" in message and "id" in message:
                    self.send({"id": message["id"], "result": None})  # a server's request
                elif "id" in message and message["id"] in self.answers:
                    self.answers.pop(message["id"]).set_result(message)

    async def stop(self) -> None:
        await self.request("shutdown", None)
        self.notify("exit", None)
        await self.process.wait()
        self.reading.cancel()


async def over_stdio(
    folder: Path, main: Path, sample: Path, edits: int, pause: float = 0.0
) -> list[float]:
    uri = from_fs_path(str(main)) or ""
    client = await RawClient.start(folder)
    root = from_fs_path(str(folder))
    await client.request(
        "initialize",
        {
            "processId": None,
            "capabilities": {},
            "rootUri": root,
            "workspaceFolders": [{"uri": root, "name": "w"}],
        },
    )
    client.notify("initialized", {})
    text = main.read_text()
    item = {"uri": uri, "languageId": "jinja", "version": 1, "text": text}
    client.notify("textDocument/didOpen", {"textDocument": item})
    params = {"textDocument": {"uri": uri}, "context": f"sample:{sample}"}
    first = await client.request("promptTool/preview", params)
    assert first["error"] is None, first["error"]
    timings = []
    line = len(text.splitlines()) // 2
    prefix = ""
    for version in range(2, edits + 2):
        edit = f"v{version} "
        started = time.perf_counter()
        change = {
            "range": {
                "start": {"line": line, "character": 0},
                "end": {"line": line, "character": len(prefix)},
            },
            "text": edit,
        }
        client.notify(
            "textDocument/didChange",
            {"textDocument": {"uri": uri, "version": version}, "contentChanges": [change]},
        )
        prefix = edit
        answer = await client.request("promptTool/preview", params)
        timings.append((time.perf_counter() - started) * 1000)
        assert answer["version"] == version and answer["error"] is None
        assert edit in answer["text"]
        if pause:
            await asyncio.sleep(pause)
    await client.stop()
    return timings


def in_process(folder: Path, main: Path, sample: Path, edits: int) -> list[float]:
    from prompt_tool.orchestration.preview import json_context

    context = json_context("analysis", sample.read_text(), str(sample))
    text = main.read_text()
    thresholds = gc.get_threshold()
    defer_full_collections()  # as the language server does: no full collection mid-render
    try:
        return _edits(folder, main, context, text.split("\n"), edits)
    finally:
        gc.unfreeze()
        gc.set_threshold(*thresholds)


def _edits(folder: Path, main: Path, context: Any, lines: list[str], edits: int) -> list[float]:
    """Each edit's render; the unedited text is previewed first, untimed, as over stdio."""
    from prompt_tool.orchestration.preview import (
        TemplateOrigin,
        chained,
        files_lookup,
        folder_reader,
        render_preview,
    )

    timings: list[float] = []
    for version in range(1, edits + 2):
        prefix = f"v{version} " if version > 1 else ""
        edited = "\n".join([*lines[:150], prefix + lines[150], *lines[151:]])
        own = files_lookup(lambda name, t=edited: (t, str(main)) if name == "analysis.j2" else None)
        started = time.perf_counter()
        preview = render_preview(
            chained(own, files_lookup(folder_reader(folder))), "production", "analysis.j2", context
        )
        if version > 1:
            timings.append((time.perf_counter() - started) * 1000)
        assert preview.error is None and prefix in preview.text
        assert isinstance(preview.lines[0].template, TemplateOrigin)
    return timings


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def row(name: str, timings: list[float]) -> str:
    p99 = percentile(timings, 0.99)
    verdict = "met" if p99 <= TARGET_P99_MS else "**missed**"
    return (
        f"| {name} | {statistics.median(timings):.1f} ms | {p99:.1f} ms | "
        f"{statistics.mean(timings):.1f} ms | {verdict} |"
    )


def run(edits: int, lines: int, includes: int) -> str:
    with tempfile.TemporaryDirectory(prefix="preview-bench-") as scratch:
        folder = Path(scratch)
        main, sample = write_workspace(folder, lines, includes)
        stdio = asyncio.run(over_stdio(folder, main, sample, edits))
        typing = asyncio.run(over_stdio(folder, main, sample, edits, TYPING_PAUSE))
        local = in_process(folder, main, sample, edits)
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return "\n".join(
        [
            f"## preview_bench — {now}",
            "",
            f"Command: `{COMMAND}` ({edits} edits, {lines}-line template with {includes} "
            f"includes, rendered with a sample context)  ",
            f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python "
            f"{platform.python_version()}, load average {os.getloadavg()[0]:.2f}. "
            f"Goal: p99 ≤ {TARGET_P99_MS:g} ms.",
            "",
            "| measure | p50 | p99 | mean | |",
            "|---|---|---|---|---|",
            row("didChange → promptTool/preview answer, over stdio", stdio),
            row(
                f"the same, {TYPING_PAUSE * 1000:g} ms between an answer and the next edit", typing
            ),
            row("render_preview of the edited text, in process", local),
            "",
        ]
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--edits", type=int, default=EDITS)
    parser.add_argument("--lines", type=int, default=LINES)
    parser.add_argument("--includes", type=int, default=INCLUDES)
    options = parser.parse_args(argv or [])
    section = run(options.edits, options.lines, options.includes)
    print(section)
    if argv is None or not argv:
        with RESULTS.open("a", encoding="utf-8") as results:
            results.write("\n" + section)


if __name__ == "__main__":
    main(sys.argv[1:])
