"""The VS Code extension, built and run the way users and CI get it.

`npm test` runs the unit tests and the harness (the bundled extension loaded against a stub
`vscode` module that refuses duplicate command ids like VS Code, starting the real
`prompt-tool-lsp` through vscode-languageclient). The README's packaging command runs in a
clean copy of the extension's tracked files, and the harness runs again on the bundle
unpacked from the resulting `.vsix`.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import struct
import subprocess
import sys
import zipfile
from dataclasses import fields
from pathlib import Path
from typing import Any

import pytest

from lsp_server.settings import Settings

REPOSITORY = Path(__file__).resolve().parents[2]
EXTENSION = REPOSITORY / "editors" / "vscode"
SERVER = Path(sys.executable).parent / "prompt-tool-lsp"
PACKAGE_COMMAND = "cd editors/vscode && npm ci && npx vsce package"
HARNESS_TESTS = [
    "the stub refuses a command id registered twice, as VS Code does",
    "the extension starts the real server and shows its diagnostics",
    "restart recovers from a failed start, and a second restart registers nothing twice",
    "the preview command opens the rendered template beside it and follows its edits",
    "edits made while a render is in flight never show a stale preview",
    "clicking a preview line reveals its source line in the template's column",
    "a partial asks for a phase, then renders as that phase",
    "a preview restored with the window, before the server runs, renders once it does",
    "a render error is a diagnostic at its template line until fixed, and closing the preview clears it",
]
HARNESS_FILES = ["out-test/test/extension.test.js", "out-test/test/preview.test.js"]
CLIENT_SETTINGS = {"server.command": ["prompt-tool-lsp"], "preview.debounceMs": 75}
"""The extension's own settings (the server never reads them), with their defaults."""


def require_node() -> None:
    if shutil.which("node") is None or shutil.which("npm") is None:
        pytest.skip("node/npm are not installed")
    if not (EXTENSION / "node_modules").is_dir():
        pytest.skip("editors/vscode/node_modules is missing (run `npm ci` there)")


def run(
    command: list[str], cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    completed = subprocess.run(
        command,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
        env={**os.environ, "PROMPT_TOOL_LSP": str(SERVER), **(env or {})},
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    return completed


def assert_all_passed(tap: str, names: list[str]) -> None:
    for name in names:
        assert re.search(rf"^ok \d+ - {re.escape(name)}$", tap, re.MULTILINE), tap
    assert re.search(r"^# fail 0$", tap, re.MULTILINE), tap


def test_npm_test_passes_the_unit_tests_and_the_harness_on_the_bundle() -> None:
    require_node()

    completed = run(["npm", "test"], EXTENSION)

    assert_all_passed(
        completed.stdout,
        [
            *HARNESS_TESTS,
            "grammar: a raw block is not Jinja",
            "the server command accepts a list or a command line",
            "the gate shows an answer only if it is current and no later answer is shown",
            "a preview URI's query holds its target, whatever characters the target has",
        ],
    )


def readme_package_command() -> str:
    readme = (REPOSITORY / "README.md").read_text(encoding="utf-8")
    for block in re.findall(r"```sh\n(.*?)```", readme, re.DOTALL):
        for line in block.splitlines():
            command = line.split("#", 1)[0].strip()
            if command.endswith("vsce package"):
                return command
    raise AssertionError("the README shows no `vsce package` command")


def clean_checkout(destination: Path) -> Path:
    """The repository's tracked (and new, not ignored) files under editors/vscode only."""
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "editors/vscode"],
        cwd=REPOSITORY,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    for name in listed:
        source = REPOSITORY / name
        if source.is_file():
            target = destination / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    return destination


def test_the_readme_command_builds_a_bundled_vsix_whose_extension_starts_the_server(
    tmp_path: Path,
) -> None:
    require_node()
    command = readme_package_command()
    assert command == PACKAGE_COMMAND
    checkout = clean_checkout(tmp_path / "checkout")
    assert not (checkout / "editors/vscode/node_modules").exists()
    assert not (checkout / "editors/vscode/out").exists()

    run(["bash", "-c", command], checkout)

    (vsix,) = (checkout / "editors/vscode").glob("*.vsix")
    with zipfile.ZipFile(vsix) as archive:
        names = set(archive.namelist())
        archive.extractall(tmp_path / "unpacked")
    assert {name for name in names if name.startswith("extension/")} == {
        "extension/package.json",
        "extension/readme.md",
        "extension/changelog.md",
        "extension/LICENSE.txt",
        "extension/images/icon.png",
        "extension/language-configuration.json",
        "extension/syntaxes/jinja-prompt.tmLanguage.json",
        "extension/out/extension.js",
    }
    bundle = tmp_path / "unpacked/extension/out/extension.js"
    assert 'require("vscode-languageclient' not in bundle.read_text(encoding="utf-8")
    extension = checkout / "editors/vscode"
    run(["npx", "tsc", "-p", "."], extension)
    completed = run(
        ["node", "--test", *HARNESS_FILES],
        extension,
        env={"PROMPT_TOOL_EXTENSION_MAIN": str(bundle)},
    )
    assert_all_passed(completed.stdout, HARNESS_TESTS)


def camel_case(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def manifest() -> dict[str, Any]:
    manifest: dict[str, Any] = json.loads((EXTENSION / "package.json").read_text(encoding="utf-8"))
    return manifest


def test_contributed_configuration_mirrors_the_server_settings() -> None:
    contributes = manifest()["contributes"]
    properties = contributes["configuration"]["properties"]

    contributed = {key.removeprefix("promptTool.") for key in properties} - set(CLIENT_SETTINGS)

    assert contributed == {camel_case(field.name) for field in fields(Settings)}
    # Unset (null) lets pyproject.toml and the environment apply: the server owns the defaults.
    for name in contributed:
        assert properties[f"promptTool.{name}"]["default"] is None, name
    for name, default in CLIENT_SETTINGS.items():
        assert properties[f"promptTool.{name}"]["default"] == default, name
    languages = contributes["languages"]
    assert languages[0]["id"] == "jinja-prompt"
    assert languages[0]["extensions"] == list(Settings().extensions)
    commands = {command["command"] for command in contributes["commands"]}
    assert commands == {
        "promptTool.refreshDatabase",
        "promptTool.restartServer",
        "promptTool.showOutput",
        "promptTool.preview",
        "promptTool.previewSelectContext",
        "promptTool.previewGoToSource",
    }
    preview_menu = contributes["menus"]["editor/title"]
    assert {"command": "promptTool.preview", "when": "editorLangId == jinja-prompt"}.items() <= (
        preview_menu[0].items()
    )


def test_the_manifest_is_ready_for_the_marketplace() -> None:
    package = manifest()
    assert package["scripts"]["vscode:prepublish"].endswith("node esbuild.mjs --production")
    assert package["license"] == "MIT"
    assert "example.invalid" not in json.dumps(package)
    assert package["repository"]["url"].endswith(".git")
    assert set(package["categories"]) >= {"Programming Languages", "Linters"}
    icon = (EXTENSION / str(package["icon"])).read_bytes()
    assert icon[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", icon[16:24])
    assert width >= 128 and height >= 128
    assert (EXTENSION / "CHANGELOG.md").is_file() and (EXTENSION / "README.md").is_file()
    assert "prompt-tool" in (EXTENSION / "LICENSE").read_text(encoding="utf-8")


def test_the_language_configuration_knows_jinja_comments_and_tags() -> None:
    contributes = manifest()["contributes"]
    (language,) = contributes["languages"]
    (grammar,) = contributes["grammars"]
    configuration = json.loads((EXTENSION / language["configuration"]).read_text(encoding="utf-8"))
    assert grammar["language"] == language["id"]
    assert (EXTENSION / grammar["path"]).is_file()

    assert configuration["comments"]["blockComment"] == ["{#", "#}"]
    closing = {pair["open"]: pair["close"] for pair in configuration["autoClosingPairs"]}
    assert closing["{%"] == " %}" and closing["{{"] == " }}" and closing["{#"] == " #}"
    assert ["{%", "%}"] in configuration["brackets"]
