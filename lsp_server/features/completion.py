"""Completion: filters after `|`, tests after `is`, tags, names, blocks, template names."""

from __future__ import annotations

from collections import ChainMap
from collections.abc import Mapping

from lsprotocol import types

from lsp_server import analysis_api as api
from lsp_server.capabilities import renders_markdown_in_completion
from lsp_server.server import PromptToolServer

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
        position = api.analysis_position(params.position, text)
        context = api.completion_context(source, position)
        scope: Mapping[str, api.Binding] = {}
        if context.kind is api.ContextKind.TEMPLATE_NAME:
            await server.catalog.listed()
        if context.kind in api.SCOPED_KINDS:  # only these wait for the analyser's worker
            model = await server.runner.document(server.template_name(uri))
            scope = model.bindings_at(position) if model is not None else {}
        found = api.candidates(context, source, _inputs(server, uri, scope))
        markdown = renders_markdown_in_completion(server.client_capabilities)
        items = [
            api.lsp_completion_item(c, context.span, text, markdown) for c in found[:MAX_ITEMS]
        ]
        return types.CompletionList(is_incomplete=len(found) > MAX_ITEMS, items=items)


def _inputs(
    server: PromptToolServer, uri: str, scope: Mapping[str, api.Binding]
) -> api.CompletionInputs:
    config = server.analysis_config
    own = server.template_name(uri)
    opened = {name: "open template" for name in server.open_template_names() if name != own}
    names = ChainMap(opened, server.catalog.names) if opened else server.catalog.names
    return api.CompletionInputs(
        environment=server.environment,
        template_names=names,
        source_of=server.source_for,
        extra_filters=config.extra_filters,
        extra_tests=config.extra_tests,
        extra_globals=config.extra_globals,
        current_name=own,
        scope=scope,
    )
