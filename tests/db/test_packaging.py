"""The migrations ship in the wheel and run from it, in a directory far from any checkout."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from prompt_tool.db import migrations

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    completed = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(out), str(REPO)],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert completed.returncode == 0, completed.stderr
    (built,) = out.glob("prompt_tool-*.whl")
    return built


def test_the_wheel_carries_the_migration_scripts(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "prompt_tool/_alembic/env.py" in names
    for script in (REPO / "alembic" / "versions").glob("*.py"):
        assert f"prompt_tool/_alembic/versions/{script.name}" in names


def test_db_upgrade_runs_from_the_installed_wheel(wheel: Path, tmp_path: Path) -> None:
    target = tmp_path / "site"
    install = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--target",
            str(target),
            str(wheel),
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert install.returncode == 0, install.stderr
    workdir = tmp_path / "elsewhere"
    workdir.mkdir()
    database = tmp_path / "wheel.db"
    environ = {
        **os.environ,
        "PYTHONPATH": str(target),
        "PROMPT_TOOL_DATABASE_URL": f"sqlite:///{database}",
    }
    probe = subprocess.run(
        [
            sys.executable,
            "-c",
            "from prompt_tool.db import migrations; print(migrations.script_location())",
        ],
        capture_output=True,
        text=True,
        cwd=workdir,
        env=environ,
        check=True,
    )
    assert Path(probe.stdout.strip()) == target / "prompt_tool" / "_alembic"
    upgraded = subprocess.run(
        [sys.executable, "-m", "prompt_tool", "db", "upgrade"],
        capture_output=True,
        text=True,
        cwd=workdir,
        env=environ,
        check=False,
    )
    assert upgraded.returncode == 0, upgraded.stderr
    assert upgraded.stdout.strip().endswith(f"empty -> {migrations.head()}")
