"""Preview: `promptTool/preview` renders a document as its phase would, with a chosen context;
`promptTool/previewContexts` lists the contexts a client can offer.

Both answer plain JSON so an editor plugin stays thin: show `contexts[].label`, send the
chosen `id` back as `context`, display `text`, follow `sourceMap[line]` to jump. A preview
renders the document's current text (it answers with the `version` it rendered, so a client
drops answers older than its buffer); a render failure is an `error` shaped like a
diagnostic, at the failing template line.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from lsp_server.convert import lsp_preview, lsp_preview_contexts, lsp_preview_problem
from lsp_server.preview_contexts import (
    GENERATED,
    SESSION,
    ContextProblem,
    list_contexts,
    load_context,
    read_session_context,
    recent_sessions,
    workspace_lookup,
)
from lsp_server.server import PromptToolServer
from prompt_tool.core.errors import PromptToolError
from prompt_tool.orchestration.contract import PhaseContext
from prompt_tool.orchestration.preview import (
    Preview,
    TemplateOrigin,
    chained,
    phase_of,
    render_preview,
)
from prompt_tool.orchestration.template_resolver import DEFAULT_LABEL

PREVIEW = "promptTool/preview"
PREVIEW_CONTEXTS = "promptTool/previewContexts"


@dataclass(frozen=True)
class PreviewRequest:
    """`{"textDocument": {"uri"}, "context"?: id, "phase"?: name}`."""

    uri: str
    context: str | None = None
    phase: str | None = None


def parse_request(params: Any) -> PreviewRequest:
    """The request's fields, from the dict (or named tuple) the JSON-RPC layer hands over."""
    data = _plain(params)
    document = data.get("textDocument") if isinstance(data, dict) else None
    uri = document.get("uri") if isinstance(document, dict) else None
    if not isinstance(uri, str):
        raise ContextProblem("params.textDocument.uri: expected a document URI")
    context, phase = data.get("context"), data.get("phase")
    return PreviewRequest(
        uri,
        context if isinstance(context, str) and context else None,
        phase if isinstance(phase, str) and phase else None,
    )


def _plain(value: Any) -> Any:
    if hasattr(value, "_asdict"):
        value = value._asdict()
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    return value


def register(server: PromptToolServer) -> None:
    renders: dict[tuple[str, int | None, str, str], asyncio.Future[Preview]] = {}
    """Renders in flight by (document, version, context, phase): a request repeated before
    the first is answered (a client asking on every keystroke) shares its render."""

    @server.feature(PREVIEW_CONTEXTS)
    @server.guarded("preview contexts")
    async def preview_contexts(params: Any) -> dict[str, Any]:
        request = parse_request(params)
        document = server.workspace.get_text_document(request.uri)
        try:
            phase: str | None = phase_of(
                document.source, server.template_name(request.uri), request.phase
            )
        except PromptToolError:
            phase = None
        settings = server.settings
        sessions = await asyncio.to_thread(recent_sessions, settings.database_url, settings.project)
        return lsp_preview_contexts(phase, [*list_contexts(server, phase), *sessions])

    @server.feature(PREVIEW)
    @server.guarded("preview")
    async def preview(params: Any) -> dict[str, Any]:
        request = parse_request(params)
        name = server.template_name(request.uri)
        choice = request.context or f"{GENERATED}:0"
        try:
            source = server.workspace.get_text_document(request.uri).source
            phase = phase_of(source, name, request.phase)
            context = await _context(server, choice, phase)
        except ContextProblem as problem:
            return lsp_preview_problem(
                request.uri, choice, str(problem), problem.uri, problem.line, problem.column
            )
        except PromptToolError as problem:
            return lsp_preview_problem(request.uri, choice, str(problem), None, 0, 0)
        document = server.workspace.get_text_document(request.uri)
        own = (document.source, document.uri)
        lookup = chained(
            lambda wanted, pin: (
                (own[0], TemplateOrigin(name, None, own[1]))
                if wanted == name and not (pin or "").isdigit()
                else None
            ),
            workspace_lookup(server),
        )
        key = (request.uri, document.version, choice, phase)
        pending = renders.get(key)
        if pending is None:
            pending = asyncio.ensure_future(
                asyncio.to_thread(render_preview, lookup, DEFAULT_LABEL, name, context)
            )
            renders[key] = pending
            pending.add_done_callback(lambda _done: renders.pop(key, None))
        result = await asyncio.shield(pending)
        return lsp_preview(
            request.uri, document.version, phase, choice, result, lambda o: _uri_of(server, o)
        )


def _uri_of(server: PromptToolServer, origin: TemplateOrigin) -> str | None:
    """A file's URI; a published version's read-only copy (written once per version)."""
    if origin.path is not None:
        return origin.path
    reference = f"{origin.name}@{origin.version}" if origin.version else origin.name
    return server.target_uri(reference)


async def _context(server: PromptToolServer, choice: str, phase: str) -> PhaseContext:
    kind, _colon, value = choice.partition(":")
    if kind == SESSION and value.isdigit():
        url = server.settings.database_url
        return await asyncio.to_thread(read_session_context, url, int(value), phase)
    return load_context(server, choice, phase)
