"""`.pre-commit-hooks.yaml` as another repository uses it: `pre-commit try-repo` on a temporary
git repository, installing this repository's package into pre-commit's own environment."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPOSITORY = Path(__file__).resolve().parents[1]
PRE_COMMIT = Path(sys.executable).parent / "pre-commit"


def git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True)


@pytest.fixture(scope="module")
def pre_commit_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One pre-commit cache per run: the hook's environment is built once for every case."""
    return tmp_path_factory.mktemp("pre-commit-home")


@pytest.mark.parametrize(
    ("files", "exit_code", "expected"),
    [
        pytest.param(
            {"prompts/plan.j2": "Plan {{ feature }}\n", "prompts/broken.j2": "Hello\n  {{ x }\n"},
            1,
            "prompts/broken.j2:2:1: PT001",
            id="bad-template-fails",
        ),
        pytest.param(
            {"prompts/plan.j2": "Plan {{ feature }}\n", "notes.txt": "{{ x }\n"},
            0,
            "Passed",
            id="good-templates-pass-and-other-files-are-not-linted",
        ),
    ],
)
def test_try_repo_runs_the_hook_on_the_templates(
    tmp_path: Path, pre_commit_home: Path, files: dict[str, str], exit_code: int, expected: str
) -> None:
    project = tmp_path / "project"
    project.mkdir()
    git(project, "init", "-q")
    for name, content in files.items():
        (project / name).parent.mkdir(parents=True, exist_ok=True)
        (project / name).write_text(content, encoding="utf-8")
    git(project, "add", ".")

    completed = subprocess.run(
        [str(PRE_COMMIT), "try-repo", str(REPOSITORY), "prompt-tool-lint", "--all-files"],
        cwd=project,
        env={**os.environ, "PRE_COMMIT_HOME": str(pre_commit_home), "NO_COLOR": "1"},
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )

    output = completed.stdout + completed.stderr
    assert completed.returncode == exit_code, output
    assert expected in output
    assert "prompt-tool lint" in output
