"""The runner against real small commands: success, failure, missing command, timeout."""

from __future__ import annotations

import shlex
import sys
from pathlib import Path

import pytest

from prompt_tool.core.errors import UsageError
from prompt_tool.orchestration.runner import (
    NOT_FOUND_STATUS,
    TIMED_OUT_STATUS,
    parse_command,
    run_prompt,
)


def script(tmp_path: Path, body: str) -> str:
    path = tmp_path / "runner.py"
    path.write_text(body, encoding="utf-8")
    return f"{shlex.quote(sys.executable)} {shlex.quote(str(path))}"


def test_prompt_goes_in_on_stdin_and_output_comes_back(tmp_path: Path) -> None:
    command = script(tmp_path, "import sys\nprint(sys.stdin.read().upper(), end='')\n")
    result = run_prompt(command, "plan the feature")
    assert result.is_success
    assert result.output == "PLAN THE FEATURE"
    assert result.duration_ms >= 0


def test_non_zero_exit_is_a_failed_result_not_an_exception(tmp_path: Path) -> None:
    command = script(tmp_path, "import sys\nprint('boom', file=sys.stderr)\nsys.exit(3)\n")
    result = run_prompt(command, "x")
    assert not result.is_success
    assert result.exit_status == 3
    assert "boom" in result.error_output


def test_missing_command_is_a_failed_result(tmp_path: Path) -> None:
    result = run_prompt(str(tmp_path / "no-such-llm"), "x")
    assert result.exit_status == NOT_FOUND_STATUS
    assert "cannot start" in result.error_output


def test_hanging_command_is_killed_at_the_timeout(tmp_path: Path) -> None:
    command = script(tmp_path, "import time\nprint('partial', flush=True)\ntime.sleep(60)\n")
    result = run_prompt(command, "x", timeout=0.5)
    assert result.timed_out
    assert result.exit_status == TIMED_OUT_STATUS
    assert result.output == "partial\n"
    assert result.duration_ms < 30_000


@pytest.mark.parametrize(
    ("command", "message"),
    [
        pytest.param("", "empty", id="empty"),
        pytest.param("llm 'unterminated", "No closing quotation", id="bad-quoting"),
    ],
)
def test_bad_runner_command_is_a_usage_error(command: str, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        parse_command(command)
