"""The root command: version, help, and the one error path, in-process and as a real process."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

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


def test_a_reader_that_stops_early_ends_the_command_quietly(tmp_path: Path) -> None:
    """`prompt-tool … | head`: no BrokenPipeError line, the exit status Click gives `--help | head`."""
    from tests.conftest import cli_environment

    template = tmp_path / "partials" / "big.j2"
    template.parent.mkdir()
    template.write_text("a line of the template\n" * 20_000, encoding="utf-8")
    url = f"sqlite:///{tmp_path / 'db' / 'prompt-tool.db'}"
    environment = cli_environment(url)
    command = [sys.executable, "-m", "prompt_tool"]
    subprocess.run([*command, "db", "upgrade"], env=environment, check=True, capture_output=True)
    published = subprocess.run(
        [*command, "templates", "publish", str(tmp_path)], env=environment, capture_output=True
    )
    assert published.returncode == 0, published.stderr
    process = subprocess.Popen(
        [*command, "templates", "show", "partials/big.j2"],
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert process.stdout is not None and process.stderr is not None
    assert process.stdout.read(10) == b"# name: pa"
    process.stdout.close()
    stderr = process.stderr.read()
    assert process.wait(timeout=60) == 1
    assert stderr == b""
