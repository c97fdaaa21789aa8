"""The VS Code extension: its unit tests pass, it packages to a .vsix, its settings mirror ours."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import zipfile
from dataclasses import fields
from pathlib import Path

import pytest

from lsp_server.settings import Settings

EXTENSION = Path(__file__).resolve().parents[2] / "editors" / "vscode"


def require_node() -> None:
    if shutil.which("node") is None or shutil.which("npm") is None:
        pytest.skip("node/npm are not installed")
    if not (EXTENSION / "node_modules").is_dir():
        pytest.skip("editors/vscode/node_modules is missing (run `npm ci` there)")


def run(command: list[str]) -> subprocess.CompletedProcess[str]:
    completed = subprocess.run(
        command, cwd=EXTENSION, capture_output=True, text=True, timeout=600, check=False
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    return completed


def test_npm_test_compiles_and_passes_the_unit_tests() -> None:
    require_node()

    completed = run(["npm", "test"])

    assert re.search(r"^# pass [1-9]", completed.stdout, re.MULTILINE), completed.stdout
    assert re.search(r"^# fail 0$", completed.stdout, re.MULTILINE)


def test_vsce_packages_a_vsix_with_the_manifest_and_compiled_code(tmp_path: Path) -> None:
    require_node()
    run(["npm", "run", "compile"])
    vsix = tmp_path / "prompt-tool.vsix"

    run(["npx", "vsce", "package", "--out", str(vsix)])

    with zipfile.ZipFile(vsix) as archive:
        names = set(archive.namelist())
        manifest = json.loads(archive.read("extension/package.json"))
    assert {
        "extension/package.json",
        "extension/out/extension.js",
        "extension/out/client.js",
    } <= names
    assert "extension/node_modules/vscode-languageclient/package.json" in names
    assert not any(name.startswith("extension/src/") for name in names)
    assert manifest["main"] == "./out/extension.js"


def camel_case(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def test_contributed_configuration_mirrors_the_server_settings() -> None:
    manifest = json.loads((EXTENSION / "package.json").read_text(encoding="utf-8"))
    properties = manifest["contributes"]["configuration"]["properties"]

    contributed = {key.removeprefix("promptTool.") for key in properties} - {"server.command"}

    assert contributed == {camel_case(field.name) for field in fields(Settings)}
    # Unset (null) lets pyproject.toml and the environment apply: the server owns the defaults.
    for name in contributed:
        assert properties[f"promptTool.{name}"]["default"] is None, name
    languages = manifest["contributes"]["languages"]
    assert languages[0]["id"] == "jinja-prompt"
    assert languages[0]["extensions"] == list(Settings().extensions)
    commands = {command["command"] for command in manifest["contributes"]["commands"]}
    assert commands == {"promptTool.refreshDatabase", "promptTool.restartServer"}
