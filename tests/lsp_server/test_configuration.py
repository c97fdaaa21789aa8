"""Settings reach the server from every source, and changes apply without a restart."""

from __future__ import annotations

from pathlib import Path

from lsprotocol import types


def make_folder(tmp_path: Path) -> Path:
    (tmp_path / "templates" / "partials").mkdir(parents=True)
    (tmp_path / "templates" / "main.j2").write_text("{% include 'partials/x.j2' %}\n")
    (tmp_path / "templates" / "partials" / "x.j2").write_text("x\n")
    return tmp_path


async def symbol_names(lsp) -> list[str]:
    symbols = await lsp.client.workspace_symbol_async(types.WorkspaceSymbolParams(query=""))
    return sorted(symbol.name for symbol in symbols or [])


async def test_invalid_initialization_options_are_shown_to_the_user(lsp, tmp_path: Path) -> None:
    await lsp.initialize(tmp_path, options={"promptTool": {"templateRoots": 5}})

    message = await lsp.message(lambda text: "template_roots" in text)

    assert message.type == types.MessageType.Warning
    assert message.message.startswith("prompt-tool: initializationOptions: template_roots:")
    assert await symbol_names(lsp) == []


async def test_workspace_configuration_section_is_read_at_initialized(lsp, tmp_path: Path) -> None:
    lsp.client.set_configuration({"templateRoots": 5}, section="promptTool")
    capabilities = lsp.push_capabilities(configuration=True)

    await lsp.initialize(tmp_path, capabilities)

    message = await lsp.message(lambda text: "workspace/configuration" in text)
    assert "template_roots: expected a list of strings" in message.message


async def test_pyproject_of_the_workspace_folder_sets_the_template_roots(
    lsp, tmp_path: Path
) -> None:
    folder = make_folder(tmp_path)
    (folder / "pyproject.toml").write_text('[tool.prompt-tool.lint]\nroots = ["templates"]\n')

    await lsp.initialize(folder)

    assert await symbol_names(lsp) == ["main.j2", "partials/x.j2"]


async def test_did_change_configuration_applies_without_restart(lsp, tmp_path: Path) -> None:
    folder = make_folder(tmp_path)
    await lsp.initialize(folder)
    before = await symbol_names(lsp)

    lsp.client.workspace_did_change_configuration(
        types.DidChangeConfigurationParams(
            settings={"promptTool": {"templateRoots": ["templates"]}}
        )
    )

    assert before == ["templates/main.j2", "templates/partials/x.j2"]
    assert await symbol_names(lsp) == ["main.j2", "partials/x.j2"]


async def test_an_edited_pyproject_is_reread_when_the_client_reports_it(
    lsp, tmp_path: Path
) -> None:
    folder = make_folder(tmp_path)
    await lsp.initialize(folder)
    pyproject = folder / "pyproject.toml"
    pyproject.write_text('[tool.prompt-tool.lint]\nroots = ["templates/partials"]\n')

    lsp.client.workspace_did_change_watched_files(
        types.DidChangeWatchedFilesParams(
            [types.FileEvent(lsp.uri_of(pyproject), types.FileChangeType.Created)]
        )
    )

    assert await symbol_names(lsp) == ["x.j2"]


async def test_the_refresh_command_rereads_settings_and_templates(lsp, tmp_path: Path) -> None:
    folder = make_folder(tmp_path)
    result = await lsp.initialize(folder)
    (folder / "pyproject.toml").write_text('[tool.prompt-tool.lint]\nroots = ["templates"]\n')

    answer = await lsp.client.workspace_execute_command_async(
        types.ExecuteCommandParams("promptTool.refreshDatabase", [])
    )

    assert result.capabilities.execute_command_provider is not None
    assert "promptTool.refreshDatabase" in result.capabilities.execute_command_provider.commands
    assert answer is None
    assert await symbol_names(lsp) == ["main.j2", "partials/x.j2"]


async def test_disabled_codes_are_not_reported(lsp, tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[tool.prompt-tool.lint]\ndisable = ["syntax-error"]\n'
    )
    await lsp.initialize(tmp_path)

    uri = lsp.open(tmp_path / "a.j2", "{{ x }\n")

    assert await lsp.published_version(uri, 1) == []


async def test_an_edited_contract_module_reanalyses_open_templates(lsp, tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[tool.prompt-tool.contracts]\n"prompts/*.j2" = "myapp.models:Context"\n'
    )
    (tmp_path / "myapp").mkdir()
    models = tmp_path / "myapp" / "models.py"
    models.write_text(
        "from dataclasses import dataclass\n\n@dataclass\nclass Context:\n    name: str\n"
    )
    (tmp_path / "prompts").mkdir()
    template = tmp_path / "prompts" / "a.j2"
    template.write_text("{{ name }}\n")
    await lsp.initialize(tmp_path)
    uri = lsp.open(template, "{{ name }}\n")
    first = await lsp.published_version(uri, 1)
    already = len(lsp.client.published)

    lsp.client.workspace_did_change_watched_files(
        types.DidChangeWatchedFilesParams(
            [types.FileEvent(lsp.uri_of(models), types.FileChangeType.Changed)]
        )
    )

    again = await lsp.published(
        uri, lambda params: any(params is later for later in lsp.client.published[already:])
    )
    assert again.version == 1
    assert list(again.diagnostics) == list(first)


async def test_an_unresolvable_contract_is_reported_on_its_pyproject_line(
    lsp, tmp_path: Path
) -> None:
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text('[tool.prompt-tool.contracts]\n"prompts/*.j2" = "myapp.models:Missing"\n')
    (tmp_path / "prompts").mkdir()
    (tmp_path / "prompts" / "a.j2").write_text("{{ name }}\n")

    await lsp.initialize(tmp_path)
    found = await lsp.published(lsp.uri_of(pyproject))
    pyproject.write_text("[tool.prompt-tool]\n")
    lsp.client.workspace_did_change_watched_files(
        types.DidChangeWatchedFilesParams(
            [types.FileEvent(lsp.uri_of(pyproject), types.FileChangeType.Changed)]
        )
    )
    cleared = await lsp.published(lsp.uri_of(pyproject), lambda p: list(p.diagnostics) == [])

    [diagnostic] = found.diagnostics
    assert diagnostic.code == "PT016"
    assert diagnostic.range == types.Range(types.Position(1, 0), types.Position(1, 14))
    assert "module 'myapp.models' not found" in diagnostic.message
    assert cleared.version is None
