"""Template store speed: resolution with 10,000 stored versions, and one 1,000-template publish.

Targets (issue 4): resolving all three phases (and their includes) for a session with
10,000 stored versions across 100 projects takes a median ≤ 5 ms on SQLite and ≤ 10 ms on
PostgreSQL; publishing 1,000 templates in one call takes ≤ 5 s on SQLite. Each resolve
opens its own session, as a command or the orchestrator does. Run with
`python -m benchmarks store_bench`; results are appended to benchmarks/RESULTS.md.
"""

from __future__ import annotations

import os
import platform
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select

from prompt_tool.analysis.facts import read_template_facts
from prompt_tool.db import migrations
from prompt_tool.db.db_utils import DatabaseManager
from prompt_tool.db.models import ORCHESTRATION_CATEGORY, Project, Prompt, PromptLabel
from prompt_tool.orchestration.template_files import content_hash
from prompt_tool.orchestration.template_manager import OrchestrationTemplateManager
from prompt_tool.orchestration.template_resolver import TemplateResolver

PROJECTS = 100
VERSIONS_PER_TEMPLATE = 25  # 4 templates, 25 versions, 100 projects: 10,000
RESOLVE_RUNS = 300
PUBLISH_TEMPLATES = 1000
RESULTS = Path(__file__).parent / "RESULTS.md"
COMMAND = "python -m benchmarks store_bench"
POSTGRES_URL = os.environ.get(
    "PROMPT_TOOL_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)
TEMPLATES = [
    ("orchestration_orchestrator_default", "orchestrator"),
    ("orchestration_analysis_default", "analysis"),
    ("orchestration_implementation_default", "implementation"),
    ("partials/context.j2", "partial"),
]


def body(name: str, version: int) -> str:
    include = "" if name.startswith("partials/") else '{% include "partials/context.j2" %}\n'
    return f"{name} v{version}: plan {{{{ feature.name }}}} for {{{{ project.name }}}}.\n{include}"


def seed(manager: DatabaseManager) -> int:
    """10,000 versions across 100 projects with a production label each; returns the count."""
    with manager.session() as session:
        projects = [Project(name=f"project{index:03d}", variables={}) for index in range(PROJECTS)]
        session.add_all(projects)
        session.flush()
        rows = []
        for project in projects:
            for name, phase in TEMPLATES:
                for version in range(1, VERSIONS_PER_TEMPLATE + 1):
                    content = body(name, version)
                    facts = read_template_facts(content)
                    rows.append(
                        Prompt(
                            project_id=project.id,
                            feature_type="bugfix" if phase == "analysis" else None,
                            name=name,
                            version=version,
                            content=content,
                            content_hash=content_hash(content),
                            is_template=True,
                            category=ORCHESTRATION_CATEGORY,
                            phase=phase,
                            referenced_templates=list(facts.references),
                            variables_used=list(facts.variables),
                        )
                    )
        session.add_all(rows)
        session.flush()
        labels = [
            PromptLabel(
                project_id=row.project_id,
                feature_type=row.feature_type,
                name=row.name,
                label="production",
                prompt_id=row.id,
            )
            for row in rows
            if row.version == VERSIONS_PER_TEMPLATE - 2
        ]
        session.add_all(labels)
        return len(rows)


def median_resolve_ms(manager: DatabaseManager) -> float:
    timings = []
    for run in range(RESOLVE_RUNS):
        project = f"project{run % PROJECTS:03d}"
        started = time.perf_counter()
        with manager.session() as session:
            resolution = TemplateResolver(session).resolve(project, "bugfix")
        timings.append((time.perf_counter() - started) * 1000)
        assert all(item.prompt is not None for item in resolution.phases.values())
        assert "partials/context.j2@production" in resolution.includes
    return statistics.median(timings)


def publish_seconds(url: str, folder: Path) -> float:
    root = folder / "publish"
    (root / "partials").mkdir(parents=True)
    for phase in ("orchestrator", "analysis", "implementation"):
        (root / f"{phase}.j2").write_text(
            f"{phase} for {{{{ feature.name }}}}\n{{% include 'partials/p0000.j2' %}}\n"
        )
    for index in range(PUBLISH_TEMPLATES - 3):
        (root / "partials" / f"p{index:04d}.j2").write_text(
            f"Partial {index}: {{{{ project.name }}}} {{% if feature.description %}}"
            "{{ feature.description }}{% endif %}\n"
        )
    from prompt_tool.checking.publish import PublishChecker, collect_files
    from prompt_tool.checking.settings import ProjectSettings

    manager = DatabaseManager(url)
    try:
        started = time.perf_counter()
        settings = ProjectSettings(root)
        files = collect_files([root], settings)
        with manager.session() as session:
            result = OrchestrationTemplateManager(session).publish(
                files, None, author="bench", checker=PublishChecker(settings)
            )
        elapsed = time.perf_counter() - started
        assert len(result.created) == PUBLISH_TEMPLATES
        with manager.session() as session:
            stored = session.scalars(select(Prompt.id)).all()
        assert len(stored) == PUBLISH_TEMPLATES
        return elapsed
    finally:
        manager.dispose()


def sqlite_measures(folder: Path) -> tuple[int, float, float]:
    url = f"sqlite:///{folder / 'resolve.db'}"
    migrations.upgrade(url)
    manager = DatabaseManager(url)
    try:
        count = seed(manager)
        resolve = median_resolve_ms(manager)
    finally:
        manager.dispose()
    publish_url = f"sqlite:///{folder / 'publish.db'}"
    migrations.upgrade(publish_url)
    return count, resolve, publish_seconds(publish_url, folder)


def postgres_median_ms() -> float | None:
    from sqlalchemy import make_url

    from prompt_tool.core.errors import PromptToolError
    from prompt_tool.db.engine import create_database_engine

    name = f"prompt_tool_bench_{uuid.uuid4().hex[:10]}"
    admin = create_database_engine(POSTGRES_URL).execution_options(isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    except PromptToolError as error:
        print(f"PostgreSQL skipped: {error}", file=sys.stderr)
        return None
    except Exception as error:
        print(f"PostgreSQL skipped: {error}", file=sys.stderr)
        return None
    url = make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    manager = DatabaseManager(url)
    try:
        migrations.upgrade(url)
        seed(manager)
        return median_resolve_ms(manager)
    finally:
        manager.dispose()
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


def verdict(value: float, target: float) -> str:
    return "met" if value <= target else "**missed**"


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="store-bench-") as folder:
        count, sqlite_ms, publish_s = sqlite_measures(Path(folder))
    postgres_ms = postgres_median_ms()
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    load = os.getloadavg()[0]
    pg_row = (
        f"| resolve 3 phases + includes, PostgreSQL | {postgres_ms:.2f} ms | ≤ 10 ms | "
        f"{verdict(postgres_ms, 10)} |"
        if postgres_ms is not None
        else "| resolve 3 phases + includes, PostgreSQL | not run (server unreachable) | ≤ 10 ms | |"
    )
    section = "\n".join(
        [
            f"## store_bench — {now}",
            "",
            f"Command: `{COMMAND}` ({count:,} stored versions across {PROJECTS} projects, "
            f"median of {RESOLVE_RUNS} resolves each in a fresh session; one publish of "
            f"{PUBLISH_TEMPLATES:,} files)  ",
            f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python "
            f"{platform.python_version()}, load average {load:.2f}",
            "",
            "| measure | result | target | |",
            "|---|---|---|---|",
            f"| resolve 3 phases + includes, SQLite | {sqlite_ms:.2f} ms | ≤ 5 ms | "
            f"{verdict(sqlite_ms, 5)} |",
            pg_row,
            f"| publish {PUBLISH_TEMPLATES:,} templates in one call, SQLite | {publish_s:.2f} s | "
            f"≤ 5 s | {verdict(publish_s, 5)} |",
            "",
        ]
    )
    print(section)
    with RESULTS.open("a", encoding="utf-8") as results:
        results.write("\n" + section)


if __name__ == "__main__":
    main()
