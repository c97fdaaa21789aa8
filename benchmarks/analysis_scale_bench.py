"""The analyser on shapes that used to be quadratic or recursive.

Run: `python -m benchmarks analysis_scale_bench` (results appended to RESULTS.md).
Each case is timed once, in process, from loading the templates to every template's
diagnostics: a `disable=` comment listing 32,000 codes (36 s before), an include chain
10,000 templates deep (a false PT001 from ~490 deep, and more than 120 s), and an include
cycle of 10,000 templates (more than 120 s).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from datetime import UTC, datetime

from benchmarks.lsp_bench import RESULTS, load_average
from prompt_tool.analysis.workspace import AnalysisConfig, Workspace

SIZE = 10_000
CODES = 32_000


def disable_comment() -> tuple[int, int]:
    codes = ",".join(f"X{index}" for index in range(CODES))
    workspace = Workspace(AnalysisConfig(use_builtin_contracts=False))
    workspace.set_documents({"a.j2": "{# prompt-tool: disable=" + codes + " #}{{ x }}"})
    return 1, len(workspace.diagnostics("a.j2"))


def include_chain() -> tuple[int, int]:
    templates = {f"t{i}.j2": f"{{% include 't{i + 1}.j2' %}}" for i in range(SIZE)}
    templates[f"t{SIZE}.j2"] = "{{ feature.name }}"
    templates["t0.j2"] = "{# prompt-tool: vars feature: Any #}{% include 't1.j2' %}"
    return _all_diagnostics(templates)


def include_cycle() -> tuple[int, int]:
    return _all_diagnostics(
        {f"t{i}.j2": f"{{% include 't{(i + 1) % SIZE}.j2' %}}" for i in range(SIZE)}
    )


def _all_diagnostics(templates: dict[str, str]) -> tuple[int, int]:
    workspace = Workspace(AnalysisConfig(use_builtin_contracts=False))
    workspace.set_documents(templates)
    return len(templates), sum(len(workspace.diagnostics(name)) for name in templates)


CASES: dict[str, Callable[[], tuple[int, int]]] = {
    f"`disable=` comment with {CODES:,} codes": disable_comment,
    f"include chain {SIZE:,} templates deep": include_chain,
    f"include cycle of {SIZE:,} templates": include_cycle,
}


def main() -> None:
    rows = []
    for label, case in CASES.items():
        started = time.perf_counter()
        templates, findings = case()
        elapsed = time.perf_counter() - started
        rows.append(f"| {label} | {templates:,} | {findings:,} | {elapsed:.2f} s |")
        print(rows[-1])
    text = (
        f"\n## analysis_scale_bench — {datetime.now(UTC):%Y-%m-%d %H:%M} UTC\n\n"
        f"Command: `make bench` / `python -m benchmarks analysis_scale_bench` (load average "
        f"{load_average()}; {os.cpu_count()} cores). Loading and every template's diagnostics.\n\n"
        "| case | templates | findings | time |\n|---|---|---|---|\n" + "\n".join(rows) + "\n"
    )
    with RESULTS.open("a", encoding="utf-8") as handle:
        handle.write(text)


if __name__ == "__main__":
    main()
