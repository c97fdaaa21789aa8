"""One precedence for `database_url` in the CLI and the language server: flag (the client's
settings, for the server) > PROMPT_TOOL_DATABASE_URL > pyproject.toml > default."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from lsp_server.settings import load_settings
from prompt_tool.checking.settings import PRECEDENCE, resolve_database_url
from prompt_tool.cli import app
from tests.conftest import cli_environment


def url_of(tmp_path: Path, source: str) -> str:
    return f"sqlite:///{tmp_path / f'{source}.db'}"


@pytest.mark.parametrize(
    ("given", "winner"),
    [
        pytest.param(("flag", "environment", "pyproject"), "flag", id="flag-wins"),
        pytest.param(("environment", "pyproject"), "environment", id="environment-over-pyproject"),
        pytest.param(("pyproject",), "pyproject", id="pyproject-alone"),
        pytest.param(("flag", "pyproject"), "flag", id="flag-over-pyproject"),
    ],
)
def test_cli_and_language_server_choose_the_same_database(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, given: tuple[str, ...], winner: str
) -> None:
    if "pyproject" in given:
        (tmp_path / "pyproject.toml").write_text(
            f'[tool.prompt-tool]\ndatabase_url = "{url_of(tmp_path, "pyproject")}"\n'
        )
    flag = url_of(tmp_path, "flag") if "flag" in given else None
    environment = url_of(tmp_path, "environment") if "environment" in given else None
    monkeypatch.chdir(tmp_path)

    command = [*(["--database-url", flag] if flag else []), "db", "upgrade"]
    cli = CliRunner().invoke(app, command, env=cli_environment(environment))
    server = load_settings(
        [("initializationOptions", {"promptTool": {"databaseUrl": flag}} if flag else None)],
        tmp_path,
        {"PROMPT_TOOL_DATABASE_URL": environment} if environment else {},
    )

    assert cli.exit_code == 0, cli.output
    assert cli.stdout.startswith(f"{url_of(tmp_path, winner)}:")
    assert server.settings.database_url == url_of(tmp_path, winner)
    assert server.problems == ()


def test_without_any_setting_only_commands_that_store_use_the_embedded_default(
    tmp_path: Path,
) -> None:
    server = load_settings([], tmp_path, {})
    assert server.settings.database_url is None
    assert resolve_database_url(None, {}, tmp_path, use_default=False) is None
    stored = resolve_database_url(None, {}, tmp_path)
    assert stored is not None and stored.is_embedded_default


def test_the_order_is_declared_once() -> None:
    assert PRECEDENCE == ("flag", "environment", "pyproject", "default")
