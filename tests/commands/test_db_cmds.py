"""`prompt-tool db` through CliRunner on both backends."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from prompt_tool.db import migrations

RunCli = Callable[..., Any]  # returns conftest.CliResult(exit_code, stdout, stderr)


def test_upgrade_current_downgrade_on_an_empty_database(
    run_cli: RunCli, empty_database_url: str
) -> None:
    url, head = empty_database_url, migrations.head()
    first = run_cli("db", "current", url=url)
    assert first.exit_code == 0
    assert first.stdout.startswith(f"empty (head is {head}")

    upgraded = run_cli("db", "upgrade", url=url)
    assert upgraded.exit_code == 0, upgraded.stderr
    assert upgraded.stdout.strip().endswith(f"empty -> {head}")
    assert run_cli("db", "current", url=url).stdout.strip() == f"{head} (head)"

    downgraded = run_cli("db", "downgrade", "0002", url=url)
    assert downgraded.exit_code == 0, downgraded.stderr
    assert downgraded.stdout.strip().endswith(f"{head} -> 0002")
    assert migrations.current(url) == "0002"
    assert "run `prompt-tool db upgrade`" in run_cli("db", "current", url=url).stdout

    assert run_cli("db", "upgrade", "0003", url=url).exit_code == 0
    assert migrations.current(url) == "0003"


def test_history_lists_every_revision(run_cli: RunCli) -> None:
    result = run_cli("db", "history")
    assert result.exit_code == 0
    for revision in migrations.history():
        assert revision.revision in result.stdout


def test_downgrade_needs_a_revision(run_cli: RunCli) -> None:
    result = run_cli("db", "downgrade")
    assert result.exit_code == 2
    assert "Missing argument" in result.stderr


def test_unknown_revision_is_one_line(run_cli: RunCli, database_url: str) -> None:
    result = run_cli("db", "upgrade", "9999")
    assert result.exit_code == 1
    assert result.stderr.startswith("error: cannot upgrade ")
    assert " to '9999': " in result.stderr
    assert result.stderr.count("\n") == 1
    assert migrations.current(database_url) == migrations.head()


def test_commands_refuse_a_schema_that_is_behind(run_cli: RunCli, empty_database_url: str) -> None:
    migrations.upgrade(empty_database_url, "0002")
    result = run_cli("projects", "list", url=empty_database_url)
    assert result.exit_code == 1
    assert result.stderr.startswith("error: database at ")
    assert result.stderr.strip().endswith(
        f"is at revision 0002, code needs {migrations.head()}: run `prompt-tool db upgrade`"
    )
    assert migrations.current(empty_database_url) == "0002"
