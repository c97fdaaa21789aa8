"""Orchestrator speed: creating a planning session with 10,000 stored versions on SQLite.

Target (issue 5): resolve the three phases and their includes, render the planning prompt
in the sandbox and store the session, median ≤ 10 ms, each creation in its own committed
transaction as `prompt-tool orchestrate plan` does. The store is the one `store_bench`
seeds (4 templates, 25 versions each, 100 projects, a production label on each template).
Run with `python -m benchmarks orchestrator_bench`; results are appended to
benchmarks/RESULTS.md.
"""

from __future__ import annotations

import os
import platform
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import event

from benchmarks.store_bench import PROJECTS, seed
from prompt_tool.db import migrations
from prompt_tool.db.db_utils import DatabaseManager
from prompt_tool.orchestration.orchestrator import Orchestrator

RUNS = 300
TARGET_MS = 10.0
RESULTS = Path(__file__).parent / "RESULTS.md"
COMMAND = "python -m benchmarks orchestrator_bench"


def median_create_ms(manager: DatabaseManager) -> tuple[float, float]:
    """Median milliseconds to create a session: committed, and before the commit."""
    totals, before_commit = [], []
    for run in range(RUNS):
        project = f"project{run % PROJECTS:03d}"
        started = time.perf_counter()
        with manager.session() as session:
            row = Orchestrator(session).create_planning_session(
                project, f"feature {run}", feature_type="bugfix", acceptance_criteria=["fast"]
            )
            before_commit.append((time.perf_counter() - started) * 1000)
        totals.append((time.perf_counter() - started) * 1000)
        assert row.orchestrator_prompt is not None
        assert f"plan feature {run} for {project}" in row.orchestrator_prompt
    return statistics.median(totals), statistics.median(before_commit)


def wal_manager(url: str) -> DatabaseManager:
    """The same database in WAL mode with synchronous=NORMAL: a commit no longer fsyncs."""
    manager = DatabaseManager(url)

    @event.listens_for(manager.engine, "connect")
    def _pragmas(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    return manager


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="orchestrator-bench-") as folder:
        url = f"sqlite:///{Path(folder) / 'bench.db'}"
        migrations.upgrade(url)
        manager = DatabaseManager(url)
        try:
            count = seed(manager)
            median, in_transaction = median_create_ms(manager)
        finally:
            manager.dispose()
        manager = wal_manager(url)
        try:
            wal_median, _ = median_create_ms(manager)
        finally:
            manager.dispose()
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    verdict = "met" if median <= TARGET_MS else "**missed**"
    section = "\n".join(
        [
            f"## orchestrator_bench — {now}",
            "",
            f"Command: `{COMMAND}` ({count:,} stored versions across {PROJECTS} projects, "
            f"median of {RUNS} session creations, each in its own committed transaction)  ",
            f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python "
            f"{platform.python_version()}, load average {os.getloadavg()[0]:.2f}",
            "",
            "| measure | result | target | |",
            "|---|---|---|---|",
            f"| create planning session (resolve + render + store), SQLite | {median:.2f} ms | "
            f"≤ {TARGET_MS:g} ms | {verdict} |",
            f"| same, time before the commit (resolve + render + insert) | {in_transaction:.2f} ms"
            " | | |",
            f"| same, SQLite in WAL mode with synchronous=NORMAL | {wal_median:.2f} ms | | |",
            "",
        ]
    )
    print(section)
    with RESULTS.open("a", encoding="utf-8") as results:
        results.write("\n" + section)
