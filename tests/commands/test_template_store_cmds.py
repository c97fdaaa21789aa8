"""`prompt-tool templates` store commands through CliRunner on both backends, and as processes."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

RunCli = Callable[..., Any]  # returns conftest.CliResult(exit_code, stdout, stderr)
ANALYSIS = "orchestration_analysis_default"


def write(root: Path, files: dict[str, str]) -> Path:
    for name, content in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(content, encoding="utf-8")
    return root


@pytest.fixture
def shop(run_cli: RunCli) -> str:
    assert run_cli("projects", "create", "shop").exit_code == 0
    return "shop"


def test_publish_json_then_noop(run_cli: RunCli, shop: str, tmp_path: Path) -> None:
    root = write(
        tmp_path,
        {
            "analysis.j2": 'A {{ feature.name }}\n{% include "partials/context.j2" %}\n',
            "partials/context.j2": "ctx\n",
        },
    )
    args = ("templates", "publish", str(root), "--project", shop, "--json", "--author", "ana")
    first = run_cli(*args, "-m", "first", "--label", "production")
    assert first.exit_code == 0, first.stderr
    payload = json.loads(first.stdout)
    assert {(t["name"], t["version"], t["status"]) for t in payload["templates"]} == {
        (ANALYSIS, 1, "created"),
        ("partials/context.j2", 1, "created"),
    }
    again = json.loads(run_cli(*args).stdout)
    assert {t["status"] for t in again["templates"]} == {"unchanged"}
    history = json.loads(run_cli("templates", "history", ANALYSIS, "-p", shop, "--json").stdout)
    assert [(h["version"], h["created_by"], h["message"]) for h in history] == [(1, "ana", "first")]


def test_invalid_file_prints_diagnostics_and_writes_nothing(
    run_cli: RunCli, shop: str, tmp_path: Path
) -> None:
    root = write(
        tmp_path, {"analysis.j2": "fine {{ feature.name }}\n", "implementation.j2": "{% if x %}\n"}
    )
    result = run_cli("templates", "publish", str(root), "--project", shop)
    assert result.exit_code == 1
    assert re.search(r"implementation\.j2:1:\d+: PT001 error", result.stderr), result.stderr
    assert "publish refused" in result.stderr
    assert "Traceback" not in result.stderr
    listed = json.loads(run_cli("templates", "list", "--json").stdout)
    assert listed == []


def test_pin_to_missing_version_is_pt015(run_cli: RunCli, shop: str, tmp_path: Path) -> None:
    write(tmp_path / "a", {"partials/context.j2": "ctx\n"})
    assert run_cli("templates", "publish", str(tmp_path / "a")).exit_code == 0
    root = write(tmp_path / "b", {"analysis.j2": '{% include "partials/context.j2@7" %}\n'})
    result = run_cli("templates", "publish", str(root), "--project", shop)
    assert result.exit_code == 1
    assert (
        "PT015" in result.stderr
        and "`partials/context.j2` has no version or label `7`" in result.stderr
    )
    good = write(tmp_path / "c", {"analysis.j2": '{% include "partials/context.j2@1" %}\n'})
    assert run_cli("templates", "publish", str(good), "--project", shop).exit_code == 0


def test_label_rollback_labels_show_diff(run_cli: RunCli, shop: str, tmp_path: Path) -> None:
    for number in (1, 2, 3):
        write(tmp_path, {"analysis.j2": f"v{number} {{{{ feature.name }}}}\n"})
        assert (
            run_cli("templates", "publish", str(tmp_path), "-p", shop, "-l", "production").exit_code
            == 0
        )
    moved = run_cli(
        "templates", "label", ANALYSIS, "staging", "1", "-p", shop, "--reason", "canary"
    )
    assert moved.stdout.strip() == f"{ANALYSIS}: staging (unset) → v1"
    assert run_cli("templates", "rollback", ANALYSIS, "-p", shop).stdout.strip().endswith("v3 → v2")
    assert run_cli("templates", "rollback", ANALYSIS, "-p", shop).stdout.strip().endswith("v2 → v1")
    refused = run_cli("templates", "rollback", ANALYSIS, "-p", shop)
    assert refused.exit_code == 1 and "no earlier version" in refused.stderr
    shown = run_cli("templates", "show", ANALYSIS, "-p", shop, "--label", "production", "--json")
    assert json.loads(shown.stdout)["content"] == "v1 {{ feature.name }}\n"
    events = json.loads(run_cli("templates", "labels", ANALYSIS, "-p", shop, "--json").stdout)
    assert [(e["label"], e["from_version"], e["to_version"]) for e in events] == [
        ("production", None, 1),
        ("production", 1, 2),
        ("production", 2, 3),
        ("staging", None, 1),
        ("production", 3, 2),
        ("production", 2, 1),
    ]
    diff = run_cli("templates", "diff", ANALYSIS, "staging", "3", "-p", shop)
    assert "-v1 {{ feature.name }}" in diff.stdout and "+v3 {{ feature.name }}" in diff.stdout
    assert "no change in variables or includes" in diff.stdout


def test_resolve_explains_every_slot(run_cli: RunCli, shop: str, tmp_path: Path) -> None:
    write(tmp_path / "g", {"analysis.j2": "global {{ feature.name }}\n"})
    write(tmp_path / "p", {"analysis.j2": "project {{ feature.name }}\n"})
    assert run_cli("templates", "publish", str(tmp_path / "g")).exit_code == 0
    assert (
        run_cli("templates", "publish", str(tmp_path / "p"), "-p", shop, "-t", "bugfix").exit_code
        == 0
    )
    data = json.loads(run_cli("templates", "resolve", "-p", shop, "-t", "bugfix", "--json").stdout)
    analysis = data["phases"]["analysis"]
    assert analysis["slot"] == "project + feature type"
    assert [slot["outcome"].split(":")[0] for slot in analysis["slots"]][:4] == [
        "won",
        "no analysis template here",
        "no analysis template here",
        f"has {ANALYSIS} v1, shadowed by project + feature type",
    ]
    text = run_cli("templates", "resolve", "-p", shop, "-t", "bugfix").stdout
    assert "✓ project + feature type" in text


def test_unknown_things_are_one_line_errors(run_cli: RunCli, shop: str, tmp_path: Path) -> None:
    cases = [
        ("templates", "history", "nope", "-p", shop),
        ("templates", "resolve", "-p", "missing-project"),
        ("templates", "publish", str(tmp_path / "absent")),
        ("templates", "show", "nope", "--version", "1", "--label", "x"),
    ]
    for args in cases:
        result = run_cli(*args)
        assert result.exit_code in (1, 2), args
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr
        assert result.stderr.startswith("error: ")


def test_export_and_publish_back_through_the_cli(
    run_cli: RunCli, shop: str, tmp_path: Path
) -> None:
    write(tmp_path / "src", {"analysis.j2": "mine {{ feature.name }}\n"})
    assert (
        run_cli(
            "templates", "publish", str(tmp_path / "src"), "-p", shop, "-l", "production"
        ).exit_code
        == 0
    )
    exported = run_cli("templates", "export", shop, str(tmp_path / "out"))
    assert exported.exit_code == 0 and (tmp_path / "out" / "analysis.j2").is_file()
    back = json.loads(
        run_cli("templates", "publish", str(tmp_path / "out"), "-p", shop, "--json").stdout
    )
    assert {t["name"]: t["status"] for t in back["templates"]}[ANALYSIS] == "unchanged"


def test_defaults_install_twice(run_cli: RunCli) -> None:
    first = run_cli("templates", "defaults", "install")
    second = run_cli("templates", "defaults", "install")
    assert first.exit_code == 0 and second.exit_code == 0
    assert "0 new version(s)" in second.stdout


def cli_process(database_url: str, *args: str) -> subprocess.Popen[str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("PROMPT_TOOL_")}
    environ["PROMPT_TOOL_DATABASE_URL"] = database_url
    return subprocess.Popen(
        [sys.executable, "-m", "prompt_tool", *args],
        env=environ,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_publish_as_a_real_process(database_url: str, tmp_path: Path) -> None:
    root = write(tmp_path, {"analysis.j2": "real {{ feature.name }}\n"})
    process = cli_process(database_url, "templates", "publish", str(root), "--json")
    stdout, stderr = process.communicate(timeout=120)
    assert process.returncode == 0, stderr
    assert json.loads(stdout)["templates"][0]["version"] == 1


PUBLISHERS = 8


def waiting_backends(connection: Any) -> int:
    """Backends of this database blocked on a lock (the publishers, once they all queue up)."""
    from sqlalchemy import text

    count = connection.execute(
        text(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND wait_event_type = 'Lock'"
        )
    ).scalar_one()
    return int(count)


@pytest.mark.postgres
def test_concurrent_publishes_get_consecutive_versions(
    postgres_database_url: str, tmp_path: Path
) -> None:
    """Eight processes are held at the same point (the test locks `prompts` against writes
    until all eight wait on a lock), then released together: without serialisation they
    would all number their version 1."""
    from prompt_tool.db.engine import create_database_engine

    roots = [
        write(tmp_path / f"p{index}", {"analysis.j2": f"writer {index} {{{{ feature.name }}}}\n"})
        for index in range(PUBLISHERS)
    ]
    engine = create_database_engine(postgres_database_url)
    observer = engine.connect()
    blocker = engine.connect()
    try:
        holding = blocker.begin()
        blocker.exec_driver_sql("LOCK TABLE prompts IN EXCLUSIVE MODE")
        processes = [
            cli_process(
                postgres_database_url,
                "templates",
                "publish",
                str(root),
                "--json",
                "--author",
                f"w{i}",
            )
            for i, root in enumerate(roots)
        ]
        while waiting_backends(observer) < PUBLISHERS:
            assert all(process.poll() is None for process in processes), "a publisher exited early"
            observer.rollback()
        holding.rollback()
        outputs = [process.communicate(timeout=180) for process in processes]
    finally:
        blocker.close()
        observer.close()
        engine.dispose()
    assert [p.returncode for p in processes] == [0] * PUBLISHERS, [o[1] for o in outputs]
    versions = sorted(json.loads(out)["templates"][0]["version"] for out, _err in outputs)
    assert versions == list(range(1, PUBLISHERS + 1))
    check = cli_process(postgres_database_url, "templates", "history", ANALYSIS, "--json")
    history = json.loads(check.communicate(timeout=60)[0])
    assert sorted(row["version"] for row in history) == versions
    assert len({row["content_hash"] for row in history}) == PUBLISHERS
    assert {row["created_by"] for row in history} == {f"w{i}" for i in range(PUBLISHERS)}


def test_show_text_list_by_project_and_dry_run(run_cli: RunCli, shop: str, tmp_path: Path) -> None:
    root = write(tmp_path / "t", {"analysis.j2": "Shown {{ feature.name }}\n"})
    dry = run_cli("templates", "publish", str(root), "-p", shop, "--dry-run")
    assert dry.exit_code == 0 and "would create" in dry.stdout
    assert json.loads(run_cli("templates", "list", "--json").stdout) == []
    assert (
        run_cli(
            "templates", "publish", str(root), "-p", shop, "-m", "why", "--author", "cy"
        ).exit_code
        == 0
    )
    write(tmp_path / "g", {"partials/context.j2": "global ctx\n"})
    assert run_cli("templates", "publish", str(tmp_path / "g")).exit_code == 0
    shown = run_cli("templates", "show", ANALYSIS, "-p", shop)
    assert "# version: 1" in shown.stdout and "# created_by: cy" in shown.stdout
    assert shown.stdout.endswith("Shown {{ feature.name }}\n")
    scoped = json.loads(run_cli("templates", "list", "-p", shop, "--json").stdout)
    assert [(row["scope"], row["name"]) for row in scoped] == [(shop, ANALYSIS)]
    everything = json.loads(run_cli("templates", "list", "--json").stdout)
    assert [row["scope"] for row in everything] == ["(global)", shop]


def test_concurrent_publishes_on_sqlite_wait_instead_of_failing(
    sqlite_database_url: str, tmp_path: Path
) -> None:
    """SQLite cannot show who waits on its lock, so these eight run unsynchronised; each
    publishes 200 files so that their transactions overlap (before the write lock was taken
    up front, three of eight failed with "database is locked" on this machine)."""
    roots = []
    for index in range(PUBLISHERS):
        files = {f"partials/p{number}.j2": f"w{index} {number}\n" for number in range(200)}
        roots.append(write(tmp_path / f"p{index}", {**files, "analysis.j2": f"writer {index}\n"}))
    processes = [
        cli_process(sqlite_database_url, "templates", "publish", str(root), "--json")
        for root in roots
    ]
    outputs = [process.communicate(timeout=300) for process in processes]
    assert [p.returncode for p in processes] == [0] * PUBLISHERS, [o[1] for o in outputs]
    versions = sorted(
        next(t["version"] for t in json.loads(out)["templates"] if t["name"] == ANALYSIS)
        for out, _err in outputs
    )
    assert versions == list(range(1, PUBLISHERS + 1))
