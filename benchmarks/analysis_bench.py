"""How long the analyser takes on one template: parse, scoping checks and diagnostics.

Targets (issue 3): a 300-line prose-heavy template with 20 tags in ≤ 5 ms median, a
3,000-line dense template in ≤ 150 ms median. Each run uses a fresh Workspace (built
outside the timed region), so nothing is served from the content-hash cache.

    python -m benchmarks analysis_bench     (prints and appends to RESULTS.md)
"""

from __future__ import annotations

import os
import platform
import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from prompt_tool.analysis.workspace import Workspace

RESULTS = Path(__file__).with_name("RESULTS.md")
COMMAND = "python -m benchmarks analysis_bench"
PROSE = (
    "Explain the reasoning behind each change, and keep the explanation short and concrete.",
    "Prefer small, reviewable steps; each one should leave the code base in a working state.",
    "When a requirement is ambiguous, state the interpretation you chose and why you chose it.",
)
TAGS = (
    "{{ feature.name }}",
    "{% if feature.acceptance_criteria %}{{ feature.acceptance_criteria | numbered_list }}{% endif %}",
    "{% for f in files %}- `{{ f.path }}`: {{ f.summary | truncate_words(20) }}{% endfor %}",
    "{{ project.description | trim }}",
)
DENSE = (
    "{% for f in files %}",
    "- `{{ f.path }}` ({{ f.language }}): {{ f.summary | truncate_words(20) }}",
    "{% endfor %}",
    "{% if feature.acceptance_criteria %}Criteria: {{ feature.acceptance_criteria | length }}{% endif %}",
    "Plan: {{ plan.summary | trim }} for {{ project.name }}",
)
VERY_DENSE = (
    "{% for f in files %}{{ loop.index }}. {{ f.path | upper }} ({{ f.language }})"
    "{% if f.summary is defined and f.summary %} {{ f.summary | truncate_words(8) }}{% endif %}"
    "{% endfor %}",
    "{% set title = feature.name ~ ' / ' ~ feature.type %}{{ title }} {{ plan.summary }}",
    "{% if session.attempt > 1 %}{{ session.attempt }}{% else %}{{ project.name }}{% endif %}",
)


def prose_template(lines: int = 300, tags: int = 20) -> str:
    """`lines` lines of prose with `tags` Jinja tags spread evenly through them."""
    every = lines // tags
    body = []
    for number in range(lines):
        line = PROSE[number % len(PROSE)]
        if number % every == 0 and number // every < tags:
            line += " " + TAGS[(number // every) % len(TAGS)]
        body.append(line)
    return "\n".join(body) + "\n"


def dense_template(lines: int = 3000, kinds: tuple[str, ...] = DENSE) -> str:
    """`lines` lines, each with at least one tag, of the kind real prompt templates contain."""
    return "\n".join(kinds[number % len(kinds)] for number in range(lines)) + "\n"


def very_dense_template(lines: int = 3000) -> str:
    """A stress case beyond the target: every line a loop, a condition and several filters."""
    return dense_template(lines, VERY_DENSE)


def median_ms(source: str, runs: int) -> float:
    timings = []
    for _ in range(runs):
        workspace = Workspace()
        start = time.perf_counter()
        workspace.set_document("bench.analysis.j2", source)
        findings = workspace.diagnostics("bench.analysis.j2")
        timings.append((time.perf_counter() - start) * 1000)
        assert not findings, findings[:3]
    return statistics.median(timings)


CASES: tuple[tuple[str, Callable[[], str], int, float], ...] = (
    ("300-line prose template, 20 tags", prose_template, 200, 5.0),
    ("3,000-line dense template (a tag on every line)", dense_template, 15, 150.0),
    ("3,000-line very dense template (stress, no target)", very_dense_template, 5, 0.0),
)


def jinja_parse_ms(source: str, runs: int) -> float:
    """Jinja's own `env.parse` of the same text: the floor under any analysis of it."""
    environment = Workspace().environment
    timings = []
    for _ in range(runs):
        start = time.perf_counter()
        environment.parse(source)
        timings.append((time.perf_counter() - start) * 1000)
    return statistics.median(timings)


def run() -> list[tuple[str, float, float | None]]:
    results: list[tuple[str, float, float | None]] = []
    for label, make, runs, target in CASES:
        source = make()
        results.append((label, median_ms(source, runs), target or None))
        results.append((f"{label}: Jinja `env.parse` alone", jinja_parse_ms(source, runs), None))
    return results


def report(results: list[tuple[str, float, float | None]]) -> str:
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    load = ", ".join(f"{value:.2f}" for value in os.getloadavg())
    machine = (
        f"Python {platform.python_version()}, {platform.machine()}, {os.cpu_count()} cores, "
        f"load average {load}"
    )
    lines = [f"## analysis_bench — {stamp}", "", f"`{COMMAND}` ({machine})", ""]
    lines += ["| case | median | target | |", "|---|---|---|---|"]
    for label, median, target in results:
        if target is None:
            lines.append(f"| {label} | {median:.2f} ms | (reference) | |")
            continue
        verdict = "ok" if median <= target else "over target"
        lines.append(f"| {label} | {median:.2f} ms | ≤ {target:g} ms | {verdict} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    text = report(run())
    print(text)
    with RESULTS.open("a", encoding="utf-8") as results:
        results.write("\n" + text)


if __name__ == "__main__":
    main()
