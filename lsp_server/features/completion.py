"""Completion: filters after `|`, tests after `is`, tags, names, blocks, template names."""

from __future__ import annotations

from collections import ChainMap
from collections.abc import Mapping

from lsprotocol import types

from lsp_server.capabilities import renders_markdown_in_completion
from lsp_server.convert import analysis_position, lsp_completion_item
from lsp_server.server import PromptToolServer
from prompt_tool.analysis.completion_context import ContextKind, completion_context
from prompt_tool.analysis.completions import SCOPED_KINDS, CompletionInputs, candidates
from prompt_tool.analysis.scopes import Binding

TRIGGER_CHARACTERS = [".", "|", " ", '"', "'", "/"]
MAX_ITEMS = 200
"""Items per answer; a longer list is cut and marked incomplete, so that the client asks
again as the user types (and the server filters by the longer prefix)."""


def register(server: PromptToolServer) -> None:
    @server.feature(
        types.TEXT_DOCUMENT_COMPLETION,
        types.CompletionOptions(trigger_characters=TRIGGER_CHARACTERS),
    )
    @server.guarded("completion", fallback=types.CompletionList(is_incomplete=False, items=[]))
    async def completion(params: types.CompletionParams) -> types.CompletionList:
        uri = params.text_document.uri
        source = server.workspace.get_text_document(uri).source
        text = server.client_text(uri)
        position = analysis_position(params.position, text)
        context = completion_context(source, position)
        scope: Mapping[str, Binding] = {}
        if context.kind is ContextKind.TEMPLATE_NAME:
            await server.catalog.listed()
        if context.kind in SCOPED_KINDS:  # only these wait for the analyser's worker
            model = await server.runner.document(server.template_name(uri))
            scope = model.bindings_at(position) if model is not None else {}
        found = candidates(context, source, _inputs(server, uri, scope))
        markdown = renders_markdown_in_completion(server.client_capabilities)
        items = [lsp_completion_item(c, context.span, text, markdown) for c in found[:MAX_ITEMS]]
        return types.CompletionList(is_incomplete=len(found) > MAX_ITEMS, items=items)


def _inputs(server: PromptToolServer, uri: str, scope: Mapping[str, Binding]) -> CompletionInputs:
    config = server.analysis_config
    own = server.template_name(uri)
    opened = {name: "open template" for name in server.open_template_names() if name != own}
    names = ChainMap(opened, server.catalog.names) if opened else server.catalog.names
    return CompletionInputs(
        environment=server.environment,
        template_names=names,
        source_of=server.source_for,
        extra_filters=config.extra_filters,
        extra_tests=config.extra_tests,
        extra_globals=config.extra_globals,
        current_name=own,
        scope=scope,
    )
