"""Renaming or moving template files (or folders of them) rewrites the include, extends,
import and from names that point at them, in every workspace template, before the move.
The analyser's include graph names the templates that point at them; only those are read."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from pathlib import Path

from lsprotocol import types
from pygls.uris import to_fs_path

from lsp_server import analysis_api as api
from lsp_server.server import PromptToolServer
from prompt_tool.checking.settings import DEFAULT_EXTENSIONS

TEMPLATE_GLOB = "**/*.{" + ",".join(suffix.lstrip(".") for suffix in DEFAULT_EXTENSIONS) + "}"
RENAME_FILTERS = types.FileOperationRegistrationOptions(
    filters=[
        types.FileOperationFilter(
            types.FileOperationPattern(TEMPLATE_GLOB, types.FileOperationPatternKind.File)
        ),
        types.FileOperationFilter(
            types.FileOperationPattern("**/*", types.FileOperationPatternKind.Folder)
        ),
    ]
)


def register(server: PromptToolServer) -> None:
    @server.feature(types.WORKSPACE_WILL_RENAME_FILES, RENAME_FILTERS)
    @server.guarded("rename files")
    async def will_rename_files(params: types.RenameFilesParams) -> types.WorkspaceEdit | None:
        renamed = await asyncio.to_thread(renamed_names, server, params.files)
        if not renamed:
            return None
        await server.runner.settled()  # the include graph of the texts as the editor has them
        includers = {found for name in renamed for found, _ in await server.runner.includers(name)}
        changes: dict[str, tuple[Sequence[api.Replacement], api.ClientText]] = {}
        for includer in sorted(includers):
            uri, source = server.uri_for(includer), server.source_for(includer)
            if uri is None or source is None:
                continue  # a published template: not the workspace's to edit
            if replacements := api.renamed_template_names(source, renamed):
                changes[uri] = (
                    replacements,
                    api.ClientText(api.split_lines(source), server.encoding),
                )
        return api.lsp_workspace_edit(changes) if changes else None


def renamed_names(server: PromptToolServer, files: Sequence[types.FileRename]) -> dict[str, str]:
    """Old include name → new one for every template a rename moves (each template under a
    renamed folder); a template moved out of every template root has no new name."""
    renamed: dict[str, str] = {}
    for file in files:
        old, new = Path(to_fs_path(file.old_uri) or ""), Path(to_fs_path(file.new_uri) or "")
        moves = (
            [(path, new / path.relative_to(old)) for path in _templates_under(server, old)]
            if old.is_dir()
            else [(old, new)]
        )
        for before, after in moves:
            old_name, new_name = _include_name(server, before), _include_name(server, after)
            if old_name is not None and new_name is not None and old_name != new_name:
                renamed[old_name] = new_name
    return renamed


def _templates_under(server: PromptToolServer, folder: Path) -> list[Path]:
    return sorted(
        path for path in folder.rglob("*") if path.is_file() and server.files.is_template(path)
    )


def _include_name(server: PromptToolServer, path: Path) -> str | None:
    """The name a template at `path` is included by; None outside every template root."""
    name = server.files.name_for(path)
    return None if Path(name).is_absolute() else name
