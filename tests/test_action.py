"""`action.yml`, the composite GitHub Action: its inputs and steps, and its shell steps run
under bash as the runner runs them (`bash -eo pipefail`, expressions substituted, outputs read
back from $GITHUB_OUTPUT) on a project with a bad template. The setup-python and upload-sarif
steps are GitHub's own actions and are only checked for their wiring."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

REPOSITORY = Path(__file__).resolve().parents[1]
# PT011, a warning: the `set` inside the loop is discarded when the loop ends.
LOOP_WARNING = "{% for i in [1] %}{% set last = i %}{% endfor %}{{ last }}\n"
EXPRESSION = re.compile(r"\$\{\{\s*([^}]+?)\s*\}\}")


def action() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((REPOSITORY / "action.yml").read_text(encoding="utf-8"))
    return loaded


def step(name_part: str) -> dict[str, Any]:
    (found,) = [s for s in action()["runs"]["steps"] if name_part in s["name"]]
    return found


def test_the_action_takes_paths_format_strict_and_python_version_and_uploads_sarif() -> None:
    spec = action()

    assert spec["runs"]["using"] == "composite"
    assert set(spec["inputs"]) >= {"paths", "format", "strict", "python-version"}
    assert step("Set up Python")["with"]["python-version"] == "${{ inputs.python-version }}"
    install = step("Install prompt-tool")
    assert install["env"]["ACTION_PATH"] == "${{ github.action_path }}"
    assert 'pip install --quiet "$ACTION_PATH"' in install["run"]
    upload = step("Upload SARIF")
    assert upload["uses"].startswith("github/codeql-action/upload-sarif@")
    assert upload["with"]["sarif_file"] == "${{ steps.lint.outputs.sarif-file }}"
    assert upload["if"].startswith("always()")


def run_step(spec: dict[str, Any], context: dict[str, str], cwd: Path, runner_temp: Path) -> int:
    """One `shell: bash` step with its `env` and `${{ … }}` expressions resolved from `context`."""
    output_file = runner_temp / "github_output"
    output_file.write_text("")
    environ = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        "RUNNER_TEMP": str(runner_temp),
        "GITHUB_OUTPUT": str(output_file),
    }
    for key, value in spec.get("env", {}).items():
        environ[key] = EXPRESSION.sub(lambda match: context[match.group(1)], str(value))
    completed = subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", spec["run"]],
        cwd=cwd,
        env=environ,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    for line in output_file.read_text().splitlines():
        key, _, value = line.partition("=")
        context[f"steps.{spec.get('id', '')}.outputs.{key}"] = value
    context["last.stdout"] = completed.stdout
    return completed.returncode


@pytest.mark.parametrize(
    ("strict", "files", "exit_code"),
    [
        pytest.param("false", {"prompts/broken.j2": "Hello\n  {{ x }\n"}, "1", id="error-fails"),
        pytest.param("false", {"prompts/plan.j2": "Plan {{ feature }}\n"}, "0", id="clean-passes"),
        pytest.param("false", {"prompts/loop.j2": LOOP_WARNING}, "0", id="warning-passes"),
        pytest.param(
            "true", {"prompts/loop.j2": LOOP_WARNING}, "1", id="warning-fails-when-strict"
        ),
    ],
)
def test_the_lint_step_writes_sarif_annotates_and_the_last_step_fails_on_findings(
    tmp_path: Path, strict: str, files: dict[str, str], exit_code: str
) -> None:
    project = tmp_path / "project"
    for name, content in files.items():
        (project / name).parent.mkdir(parents=True, exist_ok=True)
        (project / name).write_text(content, encoding="utf-8")
    context = {"inputs.paths": "prompts/", "inputs.format": "github", "inputs.strict": strict}

    assert run_step(step("Lint templates"), context, project, tmp_path) == 0

    assert context["steps.lint.outputs.exit-code"] == exit_code
    sarif = json.loads(Path(context["steps.lint.outputs.sarif-file"]).read_text(encoding="utf-8"))
    results = sarif["runs"][0]["results"]
    fail = step("Fail on findings")
    assert fail["if"] == "steps.lint.outputs.exit-code != '0'"
    if exit_code == "0":
        assert all(result["level"] != "error" for result in results)
    else:
        assert len(results) == 1
        (name,) = files
        annotation = f"::{results[0]['level']} file={name},line="
        assert annotation in context["last.stdout"]
        assert run_step(fail, context, project, tmp_path) == 1
