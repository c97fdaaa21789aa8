"""Render safety: how many template x context renders of checked templates pass.

Publishes the built-in defaults and the render-safety corpus (`tests/orchestration/
render_corpus/`, one folder per feature type) into a fresh SQLite store through the real
publish; every phase template the check passes without a warning is then rendered as the
orchestrator renders it, with contexts from `prompt_tool.orchestration.sample_contexts`:
each seed under the extreme shapes and under one shape drawn from the seed. The target is
that every one of those renders passes. Run with
`python -m benchmarks render_safety_bench`; results are appended to benchmarks/RESULTS.md.
"""

from __future__ import annotations

import os
import platform
import random
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from prompt_tool.analysis.diagnostics import Severity
from prompt_tool.checking.publish import PublishChecker, collect_files
from prompt_tool.checking.settings import ProjectSettings
from prompt_tool.core.templating import TemplateRenderError
from prompt_tool.db import migrations
from prompt_tool.db.db_utils import DatabaseManager
from prompt_tool.orchestration.project_manager import ProjectManager
from prompt_tool.orchestration.sample_contexts import ALL_SHAPES, EXTREME_SHAPES, render_sample
from prompt_tool.orchestration.template_files import spec_for
from prompt_tool.orchestration.template_manager import (
    OrchestrationTemplateManager,
    TemplateValidationError,
)
from prompt_tool.orchestration.template_resolver import Resolution, TemplateResolver

SEEDS = 200
PROJECT = "safety"
VARIABLES = {"max_files": "3", "style": '"terse"', "languages": '["python", "sql"]'}
CORPUS = Path(__file__).resolve().parents[1] / "tests" / "orchestration" / "render_corpus"
RESULTS = Path(__file__).parent / "RESULTS.md"
COMMAND = "python -m benchmarks render_safety_bench"


def passing_targets(manager: DatabaseManager) -> list[tuple[str, str]]:
    """(feature type or "" for the defaults, phase) of every phase template that passes."""
    targets = [("", phase) for phase in ("orchestrator", "analysis", "implementation")]
    with manager.session() as session:
        projects = ProjectManager(session)
        projects.create(PROJECT, "Render-safety corpus")
        for key, value in VARIABLES.items():
            projects.set_var(PROJECT, key, value)
        store = OrchestrationTemplateManager(session)
        store.install_defaults()
        for folder in sorted(path for path in CORPUS.iterdir() if path.is_dir()):
            settings = ProjectSettings(folder)
            files = collect_files([folder], settings)
            try:
                result = store.publish(
                    files, PROJECT, folder.name, checker=PublishChecker(settings)
                )
            except TemplateValidationError:
                continue
            if any(item.severity <= Severity.WARNING for item in result.diagnostics):
                continue
            phases = {spec_for(file, None).phase for file in files} - {"partial"}
            targets += [(folder.name, phase) for phase in sorted(phases)]
    return targets


def count_renders(manager: DatabaseManager, targets: list[tuple[str, str]]) -> tuple[int, int]:
    """(passed, failed) renders over every target x every seed's contexts."""
    passed = failed = 0
    with manager.session() as session:
        resolver = TemplateResolver(session)
        variables = ProjectManager(session).get(PROJECT).variables
        resolutions: dict[str, Resolution] = {}
        for feature_type, _phase in targets:
            if feature_type not in resolutions:
                resolutions[feature_type] = resolver.resolve(PROJECT, feature_type or None)
        for seed in range(SEEDS):
            shapes = (*EXTREME_SHAPES, random.Random(seed).choice(ALL_SHAPES))
            for shape in shapes:
                for feature_type, phase in targets:
                    try:
                        render_sample(
                            resolutions[feature_type],
                            phase,
                            seed,
                            variables=variables,
                            shape=shape,
                        )
                        passed += 1
                    except TemplateRenderError as error:
                        failed += 1
                        print(f"FAILED {feature_type or 'default'} {phase} seed {seed}: {error}")
    return passed, failed


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'bench.db'}"
        migrations.upgrade(url)
        manager = DatabaseManager(url)
        try:
            targets = passing_targets(manager)
            started = time.perf_counter()
            passed, failed = count_renders(manager, targets)
            seconds = time.perf_counter() - started
        finally:
            manager.dispose()
    contexts = SEEDS * (len(EXTREME_SHAPES) + 1)
    defaults = sum(1 for feature_type, _ in targets if not feature_type)
    line = (
        f"{passed} of {passed + failed} template x context renders passed "
        f"({len(targets)} phase templates: {defaults} defaults + {len(targets) - defaults} "
        f"corpus; {contexts} contexts each) in {seconds:.1f} s"
    )
    print(line)
    load = os.getloadavg()[0]
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    with RESULTS.open("a", encoding="utf-8") as results:
        results.write(
            f"\n## render_safety_bench — {stamp}\n\n"
            f"Command: `{COMMAND}` (SQLite, Python {platform.python_version()}, "
            f"load average {load:.2f}). Target: every render passes.\n\n"
            f"{line}; failed: {failed}.\n"
        )
    if failed:
        raise SystemExit(f"{failed} renders of checked templates failed")


if __name__ == "__main__":
    main()
