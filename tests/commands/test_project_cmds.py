"""`prompt-tool projects` through CliRunner on both backends, and as the installed script."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from prompt_tool.db import migrations

RunCli = Callable[..., Any]  # returns conftest.CliResult(exit_code, stdout, stderr)


def test_create_list_show_as_tables_and_json(run_cli: RunCli) -> None:
    assert run_cli("projects", "create", "shop", "--description", "The shop").exit_code == 0
    assert run_cli("projects", "create", "blog").exit_code == 0
    assert run_cli("projects", "set-var", "shop", "reviewers", '["ana"]').exit_code == 0

    table = run_cli("projects", "list")
    assert table.exit_code == 0
    assert "shop" in table.stdout and "The shop" in table.stdout and "reviewers" in table.stdout

    listed = json.loads(run_cli("projects", "list", "--json").stdout)
    assert [project["name"] for project in listed] == ["blog", "shop"]
    assert listed[1]["variables"] == {"reviewers": ["ana"]}

    shown = json.loads(run_cli("projects", "show", "shop", "--json").stdout)
    assert shown["description"] == "The shop"
    assert (shown["prompt_versions"], shown["sessions"]) == (0, 0)
    assert "+00:00" in shown["created_at"]

    text = run_cli("projects", "show", "shop").stdout
    assert "reviewers" in text and '["ana"]' in text


def test_set_var_and_unset_var(run_cli: RunCli) -> None:
    run_cli("projects", "create", "shop")
    assert (
        run_cli("projects", "set-var", "shop", "level", "3").stdout.strip() == "Set shop.level = 3"
    )
    assert (
        run_cli("projects", "set-var", "shop", "name", "Web Shop").stdout.strip()
        == 'Set shop.name = "Web Shop"'
    )
    assert run_cli("projects", "unset-var", "shop", "level").exit_code == 0
    shown = json.loads(run_cli("projects", "show", "shop", "--json").stdout)
    assert shown["variables"] == {"name": "Web Shop"}


@pytest.mark.parametrize(
    ("answer", "exit_code", "remaining"),
    [
        pytest.param("y\n", 0, [], id="confirmed"),
        pytest.param("n\n", 1, ["shop"], id="declined"),
        pytest.param("", 1, ["shop"], id="no-answer"),
    ],
)
def test_delete_asks_first(
    run_cli: RunCli, answer: str, exit_code: int, remaining: list[str]
) -> None:
    run_cli("projects", "create", "shop")
    result = run_cli("projects", "delete", "shop", input=answer)
    assert result.exit_code == exit_code
    if exit_code:
        assert "error: project 'shop' not deleted" in result.stderr
    names = [p["name"] for p in json.loads(run_cli("projects", "list", "--json").stdout)]
    assert names == remaining


def test_delete_with_yes_does_not_ask(run_cli: RunCli) -> None:
    run_cli("projects", "create", "shop")
    result = run_cli("projects", "delete", "shop", "--yes")
    assert result.exit_code == 0
    assert result.stdout.strip() == "Deleted project shop."


@pytest.mark.parametrize(
    ("args", "message"),
    [
        pytest.param(["show", "nope"], "project 'nope' does not exist", id="show-unknown"),
        pytest.param(
            ["delete", "nope", "--yes"], "project 'nope' does not exist", id="delete-unknown"
        ),
        pytest.param(
            ["set-var", "nope", "k", "v"], "project 'nope' does not exist", id="set-unknown"
        ),
        pytest.param(
            ["unset-var", "shop", "k"], "project 'shop' has no variable 'k'", id="unset-unknown"
        ),
        pytest.param(["create", "shop"], "project 'shop' already exists", id="duplicate"),
        pytest.param(
            ["set-var", "shop", "1x", "v"], "invalid variable name '1x'", id="bad-variable"
        ),
    ],
)
def test_domain_errors_are_one_line_and_exit_1(
    run_cli: RunCli, args: list[str], message: str
) -> None:
    run_cli("projects", "create", "shop")
    result = run_cli("projects", *args)
    assert result.exit_code == 1
    assert result.stderr.startswith(f"error: {message}")
    assert result.stderr.count("\n") == 1
    assert result.stdout == ""


@pytest.mark.parametrize(
    "args",
    [
        pytest.param(["projects", "create"], id="missing-argument"),
        pytest.param(["projects", "list", "--colour"], id="unknown-option"),
        pytest.param(["projects", "frobnicate"], id="unknown-command"),
        pytest.param(["projects", "set-var", "shop", "k"], id="missing-value"),
    ],
)
def test_usage_errors_exit_2(run_cli: RunCli, args: list[str]) -> None:
    assert run_cli(*args).exit_code == 2


def test_installed_script_round_trip(run_installed: RunCli, database_url: str) -> None:
    created = run_installed("projects", "create", "shop", url=database_url)
    assert created.exit_code == 0, created.stderr
    assert (
        run_installed("projects", "set-var", "shop", "tier", "2", url=database_url).exit_code == 0
    )
    listed = run_installed("projects", "list", "--json", url=database_url)
    assert listed.exit_code == 0, listed.stderr
    assert json.loads(listed.stdout) == [
        {
            "name": "shop",
            "description": None,
            "variables": {"tier": 2},
            "created_at": json.loads(listed.stdout)[0]["created_at"],
        }
    ]


def test_installed_script_uses_the_embedded_default_in_the_working_directory(
    run_installed: RunCli, tmp_path: Path
) -> None:
    created = run_installed("projects", "create", "shop", url=None, cwd=tmp_path)
    assert created.exit_code == 0, created.stderr
    database = tmp_path / ".prompt-tool" / "prompt-tool.db"
    assert database.is_file()
    assert migrations.current(f"sqlite:///{database}") == migrations.head()
    assert (
        run_installed("db", "current", url=None, cwd=tmp_path).stdout.strip()
        == f"{migrations.head()} (head)"
    )


@pytest.mark.parametrize(
    ("url", "args", "message"),
    [
        pytest.param(
            None,
            ["projects", "show", "nope"],
            "project 'nope' does not exist",
            id="unknown-project",
        ),
        pytest.param(
            "not a url",
            ["projects", "list"],
            "malformed database URL 'not a url'",
            id="malformed-url",
        ),
        pytest.param(
            "postgresql://postgres@127.0.0.1:1/x",
            ["projects", "list"],
            "cannot connect to postgresql://postgres@127.0.0.1:1/x",
            id="unreachable",
        ),
        pytest.param(
            "postgresql://postgres@127.0.0.1:1/x",
            ["db", "upgrade"],
            "cannot connect to postgresql://postgres@127.0.0.1:1/x",
            id="unreachable-upgrade",
        ),
    ],
)
def test_installed_script_errors_are_one_line(
    run_installed: RunCli, database_url: str, url: str | None, args: list[str], message: str
) -> None:
    result = run_installed(*args, url=url or database_url)
    assert result.exit_code == 1
    assert result.stderr.startswith(f"error: {message}")
    assert result.stderr.count("\n") == 1
    assert "Traceback" not in result.stderr


def test_installed_script_usage_error_exits_2(run_installed: RunCli, database_url: str) -> None:
    assert run_installed("projects", "show", url=database_url).exit_code == 2


@pytest.mark.postgres
def test_installed_script_on_a_postgres_schema_that_is_behind(
    run_installed: RunCli, isolated_postgres_database_url: str
) -> None:
    url = isolated_postgres_database_url
    migrations.downgrade(url, "0002")
    result = run_installed("projects", "list", url=url)
    assert result.exit_code == 1
    assert result.stderr.startswith("error: database at postgresql://")
    assert (
        f"is at revision 0002, code needs {migrations.head()}: run `prompt-tool db upgrade`"
        in result.stderr
    )
    assert result.stderr.count("\n") == 1


def test_names_and_values_are_printed_verbatim_not_as_markup(run_cli: RunCli) -> None:
    run_cli("projects", "create", "[bold]x[/]", "--description", "[red]d[/red]")
    run_cli("projects", "set-var", "[bold]x[/]", "tags", '["[i]"]')
    assert "[bold]x[/]" in run_cli("projects", "list").stdout
    shown = run_cli("projects", "show", "[bold]x[/]").stdout
    assert "[bold]x[/]" in shown and "[red]d[/red]" in shown and '["[i]"]' in shown
