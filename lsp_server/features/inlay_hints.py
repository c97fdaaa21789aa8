"""Inlay hints: the contract type of a loop variable (`f: FileInfo`), and after an include
name that only the database holds, the published version it resolves to
(`→ v3 (production) · project`)."""

from __future__ import annotations

from lsprotocol import types

from lsp_server import analysis_api as api
from lsp_server.server import PromptToolServer
from prompt_tool.analysis.diagnostics import Position, Span


def register(server: PromptToolServer) -> None:
    @server.feature(types.TEXT_DOCUMENT_INLAY_HINT)
    @server.guarded("inlay hints", fallback=[])
    async def inlay_hints(params: types.InlayHintParams) -> list[types.InlayHint]:
        uri = params.text_document.uri
        text = server.client_text(uri)
        wanted = api.analysis_span(params.range, text)
        model = await server.runner.document(server.template_name(uri))
        hints = [
            types.InlayHint(
                position=api.lsp_position(binding.span.end, text),
                label=f": {binding.type.name}",
                kind=types.InlayHintKind.Type,
            )
            for binding in (model.loop_variables if model is not None else [])
            if binding.span is not None
            and _inside(binding.span, wanted)
            and binding.type.kind != api.Kind.ANY
        ]
        for reference in api.template_references(server.workspace.get_text_document(uri).source):
            if not _inside(reference.span, wanted) or server.files.path_for(reference.name):
                continue
            detail = server.catalog.names.get(reference.name)
            if detail is None or detail == "workspace template":
                continue
            after_quote = Position(reference.span.end.line, reference.span.end.column + 1)
            hints.append(
                types.InlayHint(
                    position=api.lsp_position(after_quote, text),
                    label=f"→ {detail}",
                    kind=types.InlayHintKind.Type,
                    padding_left=True,
                )
            )
        return hints


def _inside(span: Span, wanted: Span) -> bool:
    return wanted.start <= span.start and span.end <= wanted.end
