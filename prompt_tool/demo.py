"""`make run`: a real session with the tool on the embedded SQLite default, step by step.

PROMPT_TOOL_DATABASE_URL is removed from the steps' environment so that the demo always
shows the embedded default, created and migrated in a fresh working directory.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
import tempfile
from pathlib import Path

from prompt_tool.core.config import DATABASE_URL_ENV

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


if __name__ == "__main__":
    main()
