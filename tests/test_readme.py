"""The README's five-minute walkthrough runs as written: its files are written and every
`$ ` command line runs, in order, in a fresh folder on a temporary SQLite database."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from prompt_tool.core.config import DATABASE_URL_ENV

README = Path(__file__).resolve().parents[1] / "README.md"
# A file is introduced by a line ending with its path in backticks and a colon.
FILE_BLOCK = re.compile(r"`(?P<path>[\w./-]+)`:\n\n```jinja\n(?P<content>.*?)```", re.DOTALL)
CONSOLE_BLOCK = re.compile(r"```console\n(?P<body>.*?)```", re.DOTALL)
EXPECTED_EXIT = re.compile(r"#\s*exits (\d+)")


def walkthrough() -> str:
    text = README.read_text(encoding="utf-8")
    start = text.index("## Five-minute walkthrough")
    return text[start : text.index("\n## ", start + 1)]


def steps(section: str) -> list[tuple[str, str, str | int]]:
    """("file", path, content) and ("run", command, expected exit code), in README order."""
    found: list[tuple[int, tuple[str, str, str | int]]] = []
    for match in FILE_BLOCK.finditer(section):
        found.append((match.start(), ("file", match["path"], match["content"])))
    for block in CONSOLE_BLOCK.finditer(section):
        for offset, line in enumerate(block["body"].splitlines()):
            if line.startswith("$ "):
                expected = EXPECTED_EXIT.search(line)
                command = line[2:].split("   #", 1)[0].strip()
                found.append(
                    (block.start() + offset, ("run", command, int(expected[1]) if expected else 0))
                )
    return [step for _, step in sorted(found, key=lambda item: item[0])]


def test_the_walkthrough_shows_files_and_commands() -> None:
    found = steps(walkthrough())

    files = [path for kind, path, _ in found if kind == "file"]
    commands = [command for kind, command, _ in found if kind == "run"]
    assert files == [
        "webshop-templates/analysis.j2",
        "webshop-templates/partials/webshop_rules.j2",
        "webshop-templates/broken.analysis.j2",
    ]
    assert commands[0] == "prompt-tool db upgrade"
    assert any(command.startswith("prompt-tool orchestrate advance") for command in commands)


def test_every_command_of_the_walkthrough_runs(tmp_path: Path) -> None:
    environ = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        DATABASE_URL_ENV: f"sqlite:///{tmp_path / 'walkthrough.db'}",
        "NO_COLOR": "1",
    }
    workdir = tmp_path / "shop"
    workdir.mkdir()

    for kind, target, payload in steps(walkthrough()):
        if kind == "file":
            path = workdir / target
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(str(payload), encoding="utf-8")
            continue
        completed = subprocess.run(
            ["bash", "-c", target],
            cwd=workdir,
            env=environ,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert completed.returncode == payload, f"$ {target}\n{completed.stdout}{completed.stderr}"
    assert (tmp_path / "walkthrough.db").is_file()
