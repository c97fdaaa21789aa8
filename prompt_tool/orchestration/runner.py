"""Runs a rendered prompt through an external command (an LLM CLI): stdin in, stdout out.

A runner failure is data, not an exception: a command that is missing, exits non-zero or
hangs past its timeout yields a `RunResult` that the orchestrator records as a failed
execution, so the session is never lost.
"""

from __future__ import annotations

import contextlib
import os
import shlex
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from prompt_tool.core.config import load_tool_config
from prompt_tool.core.errors import ConfigError, UsageError

DEFAULT_TIMEOUT_SECONDS = 600.0
TIMED_OUT_STATUS = 124  # what coreutils' timeout(1) returns, so scripts can recognise it
NOT_FOUND_STATUS = 127  # what a shell returns for a missing command


@dataclass(frozen=True)
class RunResult:
    """What one run of the command produced."""

    command: str
    output: str
    error_output: str
    exit_status: int
    duration_ms: int
    timed_out: bool = False

    @property
    def is_success(self) -> bool:
        return self.exit_status == 0 and not self.timed_out


def parse_command(command: str) -> list[str]:
    """The command split as a POSIX shell would, or a usage error naming it."""
    try:
        argv = shlex.split(command)
    except ValueError as error:
        raise UsageError(f"--runner {command!r}: {error}") from None
    if not argv:
        raise UsageError("--runner: the command is empty")
    return argv


def run_prompt(
    command: str,
    prompt: str,
    *,
    timeout: float = DEFAULT_TIMEOUT_SECONDS,
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
) -> RunResult:
    """Pipe `prompt` to `command` and collect its output; never raises for a failing command."""
    argv = parse_command(command)
    started = time.monotonic()
    try:
        process = subprocess.Popen(
            argv,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            encoding="utf-8",
            errors="replace",
            cwd=cwd,
            env=env,
            start_new_session=True,  # so a timeout can kill the command's children too
        )
    except OSError as error:
        return RunResult(
            command, "", f"cannot start {argv[0]!r}: {error.strerror}", NOT_FOUND_STATUS, 0
        )
    try:
        output, error_output = process.communicate(prompt, timeout=timeout)
        timed_out = False
    except subprocess.TimeoutExpired:
        _kill_group(process)
        output, error_output = process.communicate()
        timed_out = True
    duration_ms = round((time.monotonic() - started) * 1000)
    status = TIMED_OUT_STATUS if timed_out else process.returncode
    if timed_out:
        error_output += f"\nprompt-tool: the command timed out after {timeout:g} s and was killed"
    return RunResult(command, output, error_output, status, duration_ms, timed_out)


def _kill_group(process: subprocess.Popen[str]) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)


@dataclass(frozen=True)
class RunnerSettings:
    """The command a phase's prompt is piped to, and how long it may take."""

    command: str
    timeout: float = DEFAULT_TIMEOUT_SECONDS


def runner_settings(
    command: str | None, timeout: float | None, start: Path
) -> RunnerSettings | None:
    """`--runner`/`--runner-timeout`, else `runner`/`runner_timeout` of the nearest pyproject.toml.

    None when no command is configured anywhere.
    """
    section, path = load_tool_config(start)
    where = f"{path}: [tool.prompt-tool]"
    if command is None:
        configured = section.get("runner")
        if configured is not None and not isinstance(configured, str):
            raise ConfigError(f"{where} runner must be a string (a command line)")
        command = configured
    if command is None:
        return None
    parse_command(command)
    if timeout is None:
        configured_timeout = section.get("runner_timeout", DEFAULT_TIMEOUT_SECONDS)
        if isinstance(configured_timeout, bool) or not isinstance(configured_timeout, int | float):
            raise ConfigError(f"{where} runner_timeout must be a number of seconds")
        timeout = float(configured_timeout)
        if timeout <= 0:
            raise ConfigError(f"{where} runner_timeout must be positive")
    elif timeout <= 0:
        raise UsageError("--runner-timeout must be positive")
    return RunnerSettings(command, timeout)
