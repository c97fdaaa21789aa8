"""`templates lint` speed: throughput over 1,000 generated files, start-up of real processes,
and the same tree linted side by side by the peers.

Targets (issue 3): ≥ 500 files/s on one core; `prompt-tool --help` and `templates lint`
on one file in ≤ 250 ms. Run with `python -m benchmarks lint_bench` (or `make bench`); the
results are appended to benchmarks/RESULTS.md together with the command, the machine, the
load average and each peer's version.

Peers (not project dependencies; install them into the venv to compare:
`.venv/bin/pip install jinja-lsp djlint j2lint`): `jinja-lsp check`, `djlint --lint` and
`j2lint` run on the same generated tree, each as a real process, one after the other in the
same minute; a peer that is not installed is skipped with a message. The ratio column is
each wall time against `prompt-tool templates lint` in the same run, which is what survives
a shared, noisy machine.
"""

from __future__ import annotations

import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

FILES = 1000
THROUGHPUT_RUNS = 3
STARTUP_RUNS = 15
RESULTS = Path(__file__).parent / "RESULTS.md"
COMMAND = "python -m benchmarks lint_bench"

PROSE = (
    "You are a careful senior engineer. Read the request below, restate it in your own words, "
    "list the risks you see, and only then propose a plan with small, verifiable steps.\n"
)
PARTIAL = "{# shared footer #}\nReply in {{ language | default('English') }}.\n"


def template(index: int) -> str:
    """A realistic prompt: prose, a loop, conditions, filters, a macro and an include."""
    return (
        f"{{#- template {index} -#}}\n"
        "{% macro bullet(text) %}- {{ text | trim }}{% endmacro %}\n"
        f"# Task {index}\n" + PROSE * 8 + "{% if feature.description %}\n"
        "## Description\n{{ feature.description | indent(2) }}\n"
        "{% endif %}\n"
        "## Criteria\n"
        "{% for criterion in feature.criteria %}{{ bullet(criterion) }}\n"
        "{% else %}No criteria given.\n{% endfor %}\n"
        + PROSE
        * 4
        + "{% set count = files | length %}Files touched: {{ count }}\n"
        "{% include 'partials/footer.j2' %}\n"
    )


def generate(folder: Path, count: int) -> Path:
    """`count` templates in folders of 100, plus the partial they include."""
    root = folder / "prompts"
    (root / "partials").mkdir(parents=True)
    (root / "partials" / "footer.j2").write_text(PARTIAL)
    for index in range(count):
        path = root / f"group{index // 100:02d}" / f"t{index:04d}.j2"
        path.parent.mkdir(exist_ok=True)
        path.write_text(template(index))
    return root


def measure_throughput(root: Path) -> tuple[float, int, int]:
    """Median files/s of the lint service in this process (one core), files, findings."""
    from prompt_tool.checking.lint import run_lint
    from prompt_tool.checking.settings import parse_settings

    settings = parse_settings({}, None, root.parent)
    rates = []
    files = findings = 0
    for _ in range(THROUGHPUT_RUNS):
        start = time.perf_counter()
        result = run_lint([root], settings)
        elapsed = time.perf_counter() - start
        files, findings = result.files_checked, len(result.diagnostics)
        rates.append(files / elapsed)
    return statistics.median(rates), files, findings


def prompt_tool_command() -> list[str]:
    """The installed console script next to this interpreter, else `python -m prompt_tool`."""
    script = Path(sys.executable).with_name("prompt-tool")
    return [str(script)] if script.exists() else [sys.executable, "-m", "prompt_tool"]


def median_ms(command: list[str], cwd: Path, runs: int = STARTUP_RUNS) -> float:
    """Median wall time of `command` as a real process, output to a pipe."""
    subprocess.run(command, cwd=cwd, capture_output=True, check=False)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(command, cwd=cwd, capture_output=True, check=False)
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        root = generate(Path(folder), FILES)
        rate, files, findings = measure_throughput(root)
        base = prompt_tool_command()
        one = root / "group00" / "t0000.j2"
        help_ms = median_ms([*base, "--help"], root.parent)
        lint_ms = median_ms([*base, "templates", "lint", str(one)], root.parent)
        whole_ms = median_ms([*base, "templates", "lint", "prompts"], root.parent)
        bare_ms = median_ms([sys.executable, "-c", "pass"], root.parent)
        peers = compare_peers(root, [*base, "templates", "lint", "prompts"])
    rows = [
        ("lint throughput, in process", f"{rate:,.0f} files/s", "≥ 500 files/s", rate >= 500),
        ("`prompt-tool --help`", f"{help_ms:.0f} ms", "≤ 250 ms", help_ms <= 250),
        ("`templates lint one.j2`", f"{lint_ms:.0f} ms", "≤ 250 ms", lint_ms <= 250),
        (f"`templates lint` over {files} files", f"{whole_ms:.0f} ms", "", None),
        ("`python -c pass` (interpreter floor)", f"{bare_ms:.0f} ms", "", None),
    ]
    report(rows, files, findings, peers)


PEER_RUNS = 3


@dataclass(frozen=True)
class Peer:
    """A linter run on the generated tree: how to call it and how to ask its version."""

    name: str
    command: list[str]
    version: list[str]


def peers(root: Path) -> list[Peer]:
    """The peers, found next to this interpreter (where pip installs them) or on PATH."""

    def find(executable: str) -> str | None:
        return shutil.which(executable, path=str(Path(sys.executable).parent)) or shutil.which(
            executable
        )

    found = []
    for name, executable, arguments, version in (
        ("jinja-lsp check", "jinja-lsp", ["check", "--format", "json", "prompts"], ["--version"]),
        (
            "djlint --lint",
            "djlint",
            ["prompts", "--lint", "--profile=jinja", "--extension=j2"],
            ["--version"],
        ),
        ("j2lint", "j2lint", ["prompts"], ["--version"]),
    ):
        path = find(executable)
        if path is None:
            print(f"{executable} not installed: `.venv/bin/pip install {executable}`; skipped")
            continue
        found.append(Peer(name, [path, *arguments], [path, *version]))
    return found


def compare_peers(root: Path, ours: list[str]) -> list[tuple[str, str, float, float]]:
    """(tool, version, median ms, ratio to ours) for us and every installed peer, measured
    one after the other on the same tree."""
    from prompt_tool import __version__

    rows = []
    reference = median_ms(ours, root.parent, PEER_RUNS)
    rows.append(("prompt-tool templates lint", __version__, reference, 1.0))
    for peer in peers(root):
        completed = subprocess.run(peer.version, capture_output=True, text=True, check=False)
        version = (completed.stdout or completed.stderr).strip().splitlines()
        elapsed = median_ms(peer.command, root.parent, PEER_RUNS)
        rows.append((peer.name, version[0] if version else "unknown", elapsed, elapsed / reference))
    return rows


def report(
    rows: list[tuple[str, str, str, bool | None]],
    files: int,
    findings: int,
    peers: Sequence[tuple[str, str, float, float]] = (),
) -> None:
    verdicts = {True: "met", False: "**missed**", None: ""}
    lines = [
        f"\n## lint_bench — {datetime.now(UTC):%Y-%m-%d %H:%M} UTC\n",
        f"Command: `{COMMAND}` ({files} generated files, {findings} findings; "
        f"throughput median of {THROUGHPUT_RUNS}, start-up median of {STARTUP_RUNS} processes)  ",
        f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"load average {' / '.join(f'{value:.2f}' for value in os.getloadavg())} (1/5/15 min)\n",
        "| measure | result | target | |",
        "|---|---|---|---|",
        *(f"| {name} | {value} | {target} | {verdicts[ok]} |" for name, value, target, ok in rows),
    ]
    if peers:
        lines += [
            "",
            f"Side by side on the same {files} files, each a real process, median of "
            f"{PEER_RUNS} (peers installed with `.venv/bin/pip install jinja-lsp djlint j2lint`):",
            "",
            "| tool | version | wall time | ratio to prompt-tool |",
            "|---|---|---|---|",
            *(
                f"| {name} | {version} | {elapsed:.0f} ms | {ratio:.2f} |"
                for name, version, elapsed, ratio in peers
            ),
        ]
    text = "\n".join(lines) + "\n"
    print(text)
    if not RESULTS.exists():
        RESULTS.write_text(
            "# Benchmark results\n\nAppended by `make bench` / `python -m benchmarks`.\n"
        )
    with RESULTS.open("a", encoding="utf-8") as handle:
        handle.write(text)
