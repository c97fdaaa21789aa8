"""Lifecycle and configuration: read settings at initialize, re-read them on every change.

Settings come from the workspace folders (never the server's working directory), so a
client that starts the server anywhere gets the folders' pyproject.toml. The first folder's
settings and analyser configuration apply; every folder contributes its own template roots,
and folders added or removed later are read again at once.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lsprotocol import types
from pygls.uris import to_fs_path

from lsp_server import analysis_api as api
from lsp_server.capabilities import (
    registers_file_watchers,
    serves_configuration,
    uses_pull_diagnostics,
)
from lsp_server.server import PromptToolServer
from lsp_server.settings import SECTION, Settings, load_settings

logger = logging.getLogger(__name__)
WATCHER_ID = "prompt-tool-watched-files"
REFRESH_COMMAND = "promptTool.refreshDatabase"


def register(server: PromptToolServer) -> None:
    @server.feature(types.INITIALIZE)
    @server.guarded("initialize")
    def initialize(params: types.InitializeParams) -> None:
        server.initialization_options = params.initialization_options
        server.folders = _workspace_folders(params)
        server.uses_pull_diagnostics = uses_pull_diagnostics(params.capabilities)

    @server.feature(types.INITIALIZED)
    @server.guarded("initialized")
    def initialized(params: types.InitializedParams) -> None:
        """Read the settings and build the analyser now rather than at `initialize`, whose
        answer then comes without importing the analyser: a client sends nothing else
        before this notification, which is handled synchronously, before any later one."""
        options = [("initializationOptions", server.initialization_options)]
        loaded = _load_settings(server, options)
        applied = server.apply_settings(loaded.settings, loaded.other_folders)
        _show_problems(server, (*loaded.problems, *applied))
        task = asyncio.ensure_future(_configure_client(server))
        task.add_done_callback(_log_failure)

    @server.feature(types.WORKSPACE_DID_CHANGE_CONFIGURATION)
    @server.guarded("configuration")
    def did_change_configuration(params: types.DidChangeConfigurationParams) -> None:
        pushed = params.settings.get(SECTION) if isinstance(params.settings, dict) else None
        if pushed is not None:
            adopt_settings(server, [("workspace/didChangeConfiguration", pushed)])
        else:
            refresh_settings(server)

    @server.feature(types.WORKSPACE_DID_CHANGE_WORKSPACE_FOLDERS)
    @server.guarded("workspace folders")
    def did_change_workspace_folders(params: types.DidChangeWorkspaceFoldersParams) -> None:
        removed = set(_paths(params.event.removed))
        kept = [folder for folder in server.folders if folder not in removed]
        server.folders = tuple(dict.fromkeys([*kept, *_paths(params.event.added)]))
        refresh_settings(server, force=True)

    @server.feature(types.WORKSPACE_DID_CHANGE_WATCHED_FILES)
    @server.guarded("watched files")
    def did_change_watched_files(params: types.DidChangeWatchedFilesParams) -> None:
        paths = [Path(fs) for change in params.changes if (fs := to_fs_path(change.uri))]
        if any(path.name == "pyproject.toml" for path in paths):
            refresh_settings(server, force=True)  # contracts live there too, not in Settings
            return
        created = any(
            change.type == types.FileChangeType.Created
            and server.files.is_template(Path(to_fs_path(change.uri) or ""))
            for change in params.changes
        )
        python = any(path.suffix == ".py" for path in paths)
        if (python or created) and _declares_contracts(server):
            refresh_settings(server, force=True)  # contracts are matched to files by glob
            return
        server.catalog.refresh()
        for path in paths:
            name = server.files.name_for(path)
            if server.files.is_template(path) and server.open_document(name) is None:
                server.runner.submit(name, api.Change(None))

    @server.command(REFRESH_COMMAND)
    @server.guarded("refresh")
    def refresh(*arguments: object) -> None:
        """Re-read settings and every template source (the database once it is configured)."""
        refresh_settings(server, force=True)

    @server.feature(types.SHUTDOWN)
    def shutdown(params: None) -> None:
        server.catalog.close()
        server.runner.close()


async def _configure_client(server: PromptToolServer) -> None:
    """After `initialized`: the client's own settings, and the watchers for the files that
    change them."""
    if serves_configuration(server.client_capabilities):
        await fetch_settings(server)
    await _watch_files(server)


def refresh_settings(server: PromptToolServer, force: bool = False) -> None:
    """Re-read every source: at once, or after asking a client that serves configuration."""
    if not serves_configuration(server.client_capabilities):
        adopt_settings(server, [], force)
        return
    task = asyncio.ensure_future(fetch_settings(server, force))
    task.add_done_callback(_log_failure)


async def fetch_settings(server: PromptToolServer, force: bool = False) -> None:
    values = await _client_configuration(server)
    adopt_settings(server, [("workspace/configuration", values)], force)


def adopt_settings(
    server: PromptToolServer, client_values: list[tuple[str, Any]], force: bool = False
) -> None:
    """Parse all sources again; rebuild and re-check if the settings changed (or if forced)."""
    options = [*client_values, ("initializationOptions", server.initialization_options)]
    loaded = _load_settings(server, options)
    problems = loaded.problems
    current = (server.settings, server.other_folder_settings)
    if force or (loaded.settings, loaded.other_folders) != current:
        problems = (*problems, *server.apply_settings(loaded.settings, loaded.other_folders))
        server.resubmit_open_documents()
    _show_problems(server, problems)


@dataclass(frozen=True)
class FolderSettings:
    """The first folder's settings, every other folder's, and the problems met reading them."""

    settings: Settings
    other_folders: tuple[tuple[Path, Settings], ...]
    problems: tuple[str, ...]


def _load_settings(server: PromptToolServer, options: list[tuple[str, Any]]) -> FolderSettings:
    """Settings for each workspace folder: the client's apply to all of them, each folder's
    own pyproject.toml to itself (its template roots reach the shared file index)."""
    first = load_settings(options, server.folder)
    problems = dict.fromkeys(first.problems)
    others: list[tuple[Path, Settings]] = []
    for folder in server.folders[1:]:
        parsed = load_settings(options, folder)
        others.append((folder, parsed.settings))
        problems.update(dict.fromkeys(parsed.problems))
    return FolderSettings(first.settings, tuple(others), tuple(problems))


def _log_failure(task: asyncio.Future[None]) -> None:
    if not task.cancelled() and (error := task.exception()) is not None:
        logger.error("feature configuration failed: %s", error, exc_info=error)


async def _client_configuration(server: PromptToolServer) -> Any:
    scope = server.workspace.root_uri if server.folder is not None else None
    item = types.ConfigurationItem(scope_uri=scope, section=SECTION)
    result = await server.workspace_configuration_async(types.ConfigurationParams(items=[item]))
    return result[0] if result else None


def _show_problems(server: PromptToolServer, problems: tuple[str, ...]) -> None:
    for problem in problems:
        server.warn(problem)


def _workspace_folders(params: types.InitializeParams) -> tuple[Path, ...]:
    """Every workspace folder, in the client's order; else the root of older clients."""
    if params.workspace_folders:
        return tuple(dict.fromkeys(_paths(params.workspace_folders)))
    if params.root_uri is None and params.root_path:
        return (Path(params.root_path),)
    path = to_fs_path(params.root_uri) if params.root_uri else None
    return (Path(path),) if path else ()


def _paths(folders: Sequence[types.WorkspaceFolder]) -> list[Path]:
    return [Path(path) for folder in folders if (path := to_fs_path(folder.uri))]


async def _watch_files(server: PromptToolServer) -> None:
    """Ask the client to report edits to pyproject.toml, the contract modules (Python files)
    and templates made outside it."""
    if not registers_file_watchers(server.client_capabilities):
        return
    patterns = [
        "**/pyproject.toml",
        "**/*.py",
        *(f"**/*{suffix}" for suffix in server.files.extensions),
    ]
    options = types.DidChangeWatchedFilesRegistrationOptions(
        watchers=[types.FileSystemWatcher(glob_pattern=pattern) for pattern in patterns]
    )
    registration = types.Registration(WATCHER_ID, types.WORKSPACE_DID_CHANGE_WATCHED_FILES, options)
    await server.client_register_capability_async(
        types.RegistrationParams(registrations=[registration])
    )


def _declares_contracts(server: PromptToolServer) -> bool:
    """Whether Python files can change findings: the project declares contract types."""
    return bool(server.analysis_config.contracts_by_glob)
