"""`make run`: a real session with the tool on the embedded SQLite default, step by step.

It ends with a small A/B test: version 1 of the bug-analysis template (production) against
version 2, with traffic simulated in-process through the orchestrator (60 sessions would
take minutes as 120 command runs), then the report and the winner's promotion.

PROMPT_TOOL_DATABASE_URL is removed from the steps' environment so that the demo always
shows the embedded default, created and migrated in a fresh working directory.
"""

from __future__ import annotations

import os
import random
import shlex
import subprocess
import sys
import tempfile
from pathlib import Path

from prompt_tool.core.config import DATABASE_URL_ENV, default_database_url

STEPS: list[list[str]] = [
    ["--version"],
    ["db", "upgrade"],
    ["db", "current"],
    ["projects", "create", "webshop", "--description", "The storefront and its checkout"],
    ["projects", "set-var", "webshop", "language", "Python"],
    ["projects", "set-var", "webshop", "reviewers", '["ana", "bo"]'],
    ["projects", "list"],
    ["projects", "show", "webshop"],
]

OVERRIDE_DIR = "webshop-templates"
ANALYSIS_OVERRIDE = (
    "{#- prompt-tool: phase=analysis -#}\n"
    "Analyse the bug {{ feature.name }} in {{ project.name }}.\n"
    "{{ feature.description }}\n"
    '{% include "partials/webshop_rules.j2" %}\n'
)
OVERRIDE_FILES: dict[str, str] = {
    "analysis.j2": ANALYSIS_OVERRIDE,
    "partials/webshop_rules.j2": "Never touch the payment provider's sandbox keys.\n",
}
NEXT_DIR = "webshop-templates-next"
NEXT_FILES: dict[str, str] = {
    "analysis.j2": ANALYSIS_OVERRIDE.replace(
        "{{ feature.description }}", "{{ feature.description }}\nSession {{ session.id }}."
    ),
}
ANALYSIS_NAME = "orchestration_analysis_default"
SCOPE = ["--project", "webshop", "--feature-type", "bugfix"]
STORE_STEPS: list[list[str]] = [
    ["templates", "defaults", "install"],
    [
        "templates",
        "publish",
        OVERRIDE_DIR,
        *SCOPE,
        "--label",
        "production",
        "-m",
        "Bug analysis for the shop",
        "--author",
        "demo",
    ],
    [
        "templates",
        "publish",
        OVERRIDE_DIR,
        *SCOPE,
        "--label",
        "production",
        "-m",
        "Publishing again changes nothing",
    ],
    ["templates", "list"],
    ["templates", "resolve", "--project", "webshop", "--feature-type", "bugfix"],
    ["templates", "publish", NEXT_DIR, *SCOPE, "-m", "Mention the session", "--author", "demo"],
    ["templates", "diff", ANALYSIS_NAME, "production", "2", *SCOPE],
    ["templates", "label", ANALYSIS_NAME, "production", "2", *SCOPE, "--reason", "reviewed"],
    ["templates", "rollback", ANALYSIS_NAME, *SCOPE, "--reason", "demo rollback"],
    ["templates", "history", ANALYSIS_NAME, *SCOPE],
    ["templates", "labels", ANALYSIS_NAME, *SCOPE],
]
PLAN_OUTPUT = "plan-output.md"
PLAN_TEXT = "Reproduce the crash with an empty basket, guard the total computation, add a test.\n"
ORCHESTRATE_STEPS: list[list[str]] = [
    [
        "orchestrate",
        "plan",
        "webshop",
        "Checkout crashes on an empty basket",
        "--feature-type",
        "bugfix",
        "--description",
        "Pressing Pay with nothing in the basket shows a 500 page.",
        "--criterion",
        "An empty basket shows a friendly message",
        "--var",
        "ticket=SHOP-42",
    ],
    ["orchestrate", "advance", "1", "--output-file", PLAN_OUTPUT],
    ["orchestrate", "list"],
    ["orchestrate", "show", "1"],
    # Preview an edit before publishing it: the draft on disk, with session 1's real data.
    ["templates", "render", f"{NEXT_DIR}/analysis.j2", "--session", "1"],
]
EXPERIMENT = "bug-analysis-v2"
EXPERIMENT_STEPS: list[list[str]] = [
    [
        "experiments",
        "create",
        EXPERIMENT,
        *SCOPE,
        "--description",
        "Does mentioning the session make bug analyses succeed more often?",
        "--variant",
        "control:50",
        "--variant",
        f"B:50:analysis={ANALYSIS_NAME}@2",
        "--min-sample",
        "10",
    ],
    ["experiments", "start", EXPERIMENT],
    [
        "orchestrate",
        "plan",
        "webshop",
        "Coupon codes are case-sensitive",
        "--feature-type",
        "bugfix",
    ],
    ["orchestrate", "complete", "2", "--outcome", "success", "--score", "4", "--note", "fixed"],
]
SIMULATED_SESSIONS = 60
SIMULATED_SUCCESS = {"control": 0.45, "B": 0.85}
REPORT_STEPS: list[list[str]] = [
    ["experiments", "show", EXPERIMENT],
    ["experiments", "report", EXPERIMENT],
    ["experiments", "conclude", EXPERIMENT, "--promote", "B", "--author", "demo"],
    ["templates", "labels", ANALYSIS_NAME, *SCOPE],
]


def simulate_traffic(workdir: Path) -> None:
    """Bug-fix sessions through the real orchestrator, each with an outcome, as a team's
    week of work would produce them; the odds favour B so that the report has a story."""
    from prompt_tool.db.db_utils import DatabaseManager
    from prompt_tool.orchestration.orchestrator import Orchestrator
    from prompt_tool.orchestration.session_outcomes import complete_session

    print(
        f"\n(simulating {SIMULATED_SESSIONS} bug-fix sessions through the orchestrator;"
        " each gets its sticky variant and an outcome)",
        flush=True,
    )
    chances = random.Random(42)
    database = DatabaseManager(default_database_url(workdir))
    try:
        for n in range(SIMULATED_SESSIONS):
            with database.session() as session:
                row = Orchestrator(session).create_planning_session(
                    "webshop", f"Bug report #{100 + n}", feature_type="bugfix"
                )
                [assignment] = row.variant_assignments.values()
                success = chances.random() < SIMULATED_SUCCESS[assignment["variant"]]
                score = round(chances.uniform(3, 5) if success else chances.uniform(1, 3), 1)
                complete_session(session, row.id, success=success, score=score)
    finally:
        database.dispose()


def write_override(workdir: Path) -> None:
    """The project's own templates, as an author would keep them next to the code."""
    for folder, files in ((OVERRIDE_DIR, OVERRIDE_FILES), (NEXT_DIR, NEXT_FILES)):
        for name, content in files.items():
            path = workdir / folder / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(content, encoding="utf-8")
    (workdir / PLAN_OUTPUT).write_text(PLAN_TEXT, encoding="utf-8")


def run_step(args: list[str], cwd: Path) -> None:
    """Run one command as a user would, echoing it first; stop the demo if it fails."""
    print(f"\n$ prompt-tool {shlex.join(args)}", flush=True)
    environ = {key: value for key, value in os.environ.items() if key != DATABASE_URL_ENV}
    completed = subprocess.run(
        [sys.executable, "-m", "prompt_tool", *args], cwd=cwd, env=environ, check=False
    )
    if completed.returncode != 0:
        sys.exit(
            f"demo step failed with exit code {completed.returncode}: prompt-tool {shlex.join(args)}"
        )


def main() -> None:
    workdir = Path(
        os.environ.get("PROMPT_TOOL_DEMO_DIR") or tempfile.mkdtemp(prefix="prompt-tool-demo-")
    )
    workdir.mkdir(parents=True, exist_ok=True)
    print(f"Demo working directory: {workdir} (the embedded database lives in .prompt-tool/)")
    for step in STEPS:
        run_step(step, workdir)
    write_override(workdir)
    for step in (*STORE_STEPS, *ORCHESTRATE_STEPS, *EXPERIMENT_STEPS):
        run_step(step, workdir)
    simulate_traffic(workdir)
    for step in REPORT_STEPS:
        run_step(step, workdir)


if __name__ == "__main__":
    main()
