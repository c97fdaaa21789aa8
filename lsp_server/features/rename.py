"""Rename: a variable, macro argument, macro, `with` variable or block and exactly the uses
bound to it; the analyser decides, and a refusal reaches the user as the request's error."""

from __future__ import annotations

from typing import TypeVar

from lsprotocol import types
from pygls.exceptions import JsonRpcException

from lsp_server import analysis_api as api
from lsp_server.server import PromptToolServer
from prompt_tool.analysis.diagnostics import Position

Result = TypeVar("Result")


class RenameRequestFailed(JsonRpcException):
    """LSP's RequestFailed: the request was valid, the rename is not possible."""

    CODE = -32803


async def _at_cursor(
    server: PromptToolServer, params: types.PrepareRenameParams | types.RenameParams
) -> tuple[str, api.ClientText, tuple[api.DocumentModel | None, str, Position, api.Dependants]]:
    """The document, its client text, and what the analyser needs at the cursor: the model,
    the source, the position and the templates that extend or import this one."""
    uri = params.text_document.uri
    source = server.workspace.get_text_document(uri).source
    text = server.client_text(uri)
    model = await server.runner.document(server.template_name(uri))
    position = api.analysis_position(params.position, text)
    return uri, text, (model, source, position, await _dependants(server, uri))


def register(server: PromptToolServer) -> None:
    @server.feature(types.TEXT_DOCUMENT_RENAME, types.RenameOptions(prepare_provider=True))
    async def rename(params: types.RenameParams) -> types.WorkspaceEdit | None:
        return _answer(await _rename(params))

    @server.feature(types.TEXT_DOCUMENT_PREPARE_RENAME)
    async def prepare_rename(params: types.PrepareRenameParams) -> types.Range | None:
        return _answer(await _prepare(params))

    @server.guarded("prepare rename")
    async def _prepare(params: types.PrepareRenameParams) -> types.Range | api.RenameRefused:
        _, text, found = await _at_cursor(server, params)
        try:
            target = api.rename_target(*found)
        except api.RenameRefused as refused:
            return refused
        return api.lsp_range(target.span, text)

    @server.guarded("rename")
    async def _rename(params: types.RenameParams) -> types.WorkspaceEdit | api.RenameRefused:
        uri, text, found = await _at_cursor(server, params)
        try:
            spans = api.rename_edits(*found[:3], params.new_name, found[3])
        except api.RenameRefused as refused:
            return refused
        replacements = [api.Replacement(span, params.new_name) for span in spans]
        return api.lsp_workspace_edit({uri: (replacements, text)})


async def _dependants(server: PromptToolServer, uri: str) -> api.Dependants:
    """The workspace templates that extend or import this one, from the edges of the
    analyser's include graph (published templates are not the workspace's to break)."""
    edges = await server.runner.includers(server.template_name(uri))
    held = [(includer, kind) for includer, kind in edges if server.uri_for(includer)]
    return api.Dependants(
        extenders=tuple(includer for includer, kind in held if kind == "extends"),
        importers=tuple(
            dict.fromkeys(includer for includer, kind in held if kind in ("import", "from"))
        ),
    )


def _answer(result: Result | api.RenameRefused) -> Result:
    """The handler's result, or the refusal as a RequestFailed error the client shows."""
    if isinstance(result, api.RenameRefused):
        raise RenameRequestFailed(str(result))
    return result
