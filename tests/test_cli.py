"""The root command: version, help, and the one error path, in-process and as a real process."""

from __future__ import annotations

import subprocess
import sys

from typer.testing import CliRunner

from prompt_tool import __version__
from prompt_tool.cli import app


def test_version_in_process() -> None:
    result = CliRunner().invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.stdout.strip() == f"prompt-tool {__version__}"


def test_installed_console_script_prints_version() -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "prompt_tool", "--version"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    assert __version__ in completed.stdout
