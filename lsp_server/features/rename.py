"""Rename: a variable or macro in its template; a template file in every include naming it.

The decisions (what is renamed, what is refused and why) are the analyser's
(`prompt_tool.analysis.renaming`); a refusal reaches the user as the request's error
message, which editors show as is.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from pathlib import Path

from lsprotocol import types
from pygls.exceptions import JsonRpcException
from pygls.uris import to_fs_path

from lsp_server.convert import ClientText, analysis_position, lsp_range, split_lines
from lsp_server.server import PromptToolServer
from prompt_tool.analysis.renaming import (
    RenameRefused,
    RenameTarget,
    check_new_name,
    rename_target,
    renamed_templates,
    template_name_edits,
)

TEMPLATE_GLOB = "**/*.{j2,jinja,jinja2,prompt}"


class RenameRequestFailed(JsonRpcException):
    """LSP's RequestFailed (-32803): the rename is not possible, for the stated reason."""

    CODE = -32803


def register(server: PromptToolServer) -> None:
    @server.feature(types.TEXT_DOCUMENT_RENAME, types.RenameOptions(prepare_provider=True))
    async def rename(params: types.RenameParams) -> types.WorkspaceEdit | None:
        target, text = await _target(server, params.text_document.uri, params.position)
        model = await server.runner.document(server.template_name(params.text_document.uri))
        try:
            if model is None:
                raise RenameRefused("the template is not analysed yet")
            check_new_name(model, target, params.new_name)
        except RenameRefused as refused:
            raise RenameRequestFailed(str(refused)) from None
        edits = [types.TextEdit(lsp_range(span, text), params.new_name) for span in target.spans]
        return types.WorkspaceEdit(changes={params.text_document.uri: edits})

    @server.feature(types.TEXT_DOCUMENT_PREPARE_RENAME)
    async def prepare_rename(params: types.PrepareRenameParams) -> types.Range | None:
        target, text = await _target(server, params.text_document.uri, params.position)
        return lsp_range(target.span, text)

    @server.feature(
        types.WORKSPACE_WILL_RENAME_FILES,
        types.FileOperationRegistrationOptions(
            filters=[
                types.FileOperationFilter(
                    pattern=types.FileOperationPattern(
                        glob=TEMPLATE_GLOB, matches=types.FileOperationPatternKind.File
                    )
                ),
                types.FileOperationFilter(
                    pattern=types.FileOperationPattern(
                        glob="**", matches=types.FileOperationPatternKind.Folder
                    )
                ),
            ]
        ),
    )
    @server.guarded("rename files")
    async def will_rename_files(params: types.RenameFilesParams) -> types.WorkspaceEdit | None:
        renamed = await asyncio.to_thread(_renamed_names, server, params.files)
        if not renamed:
            return None
        changes = await asyncio.to_thread(_name_edits, server, renamed)
        return types.WorkspaceEdit(changes=changes) if changes else None


async def _target(
    server: PromptToolServer, uri: str, position: types.Position
) -> tuple[RenameTarget, ClientText]:
    source = server.workspace.get_text_document(uri).source
    text = server.client_text(uri)
    model = await server.runner.document(server.template_name(uri))
    try:
        return rename_target(model, source, analysis_position(position, text)), text
    except RenameRefused as refused:
        raise RenameRequestFailed(str(refused)) from None


def _renamed_names(server: PromptToolServer, files: Sequence[types.FileRename]) -> dict[str, str]:
    """Old template name → new, for renamed template files and every template under a
    renamed folder; a file moved out of every template root keeps no name to write."""
    renamed: dict[str, str] = {}
    names = server.files.list_names()
    for item in files:
        old, new = Path(to_fs_path(item.old_uri) or ""), Path(to_fs_path(item.new_uri) or "")
        old_name, new_name = server.files.name_for(old), server.files.name_for(new)
        if Path(new_name).is_absolute() or Path(old_name).is_absolute():
            continue
        if server.files.is_template(old):
            renamed[old_name] = new_name
        else:
            renamed.update(renamed_templates(names, old_name, new_name))
    return renamed


def _name_edits(
    server: PromptToolServer, renamed: dict[str, str]
) -> dict[str, list[types.TextEdit]]:
    changes: dict[str, list[types.TextEdit]] = {}
    names = dict.fromkeys([*server.files.list_names(), *server.open_template_names()])
    for name in names:
        source, uri = server.source_for(name), server.uri_for(name)
        if source is None or uri is None:
            continue
        edits = template_name_edits(source, renamed)
        if edits:
            text = ClientText(split_lines(source), server.encoding)
            changes[uri] = [types.TextEdit(lsp_range(edit.span, text), edit.text) for edit in edits]
    return changes
