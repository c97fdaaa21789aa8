"""Preview: `promptTool/preview` renders a document as its phase would, with a chosen context;
`promptTool/previewContexts` lists the contexts a client can offer.

Both answer plain JSON so an editor plugin stays thin: show `contexts[].label`, send the
chosen `id` back as `context`, display `text`, follow `sourceMap[line]` to jump. A preview
renders the document's current text (it answers with the `version` it rendered, so a client
drops answers older than its buffer); a render failure is an `error` shaped like a
diagnostic, at the failing template line. The work is in `lsp_server.preview_contexts`,
imported on the first request: the server starts without the database layer.
"""

from __future__ import annotations

from typing import Any

from lsp_server.preview_renders import PreviewRenders
from lsp_server.server import PromptToolServer

PREVIEW = "promptTool/preview"
PREVIEW_CONTEXTS = "promptTool/previewContexts"


def register(server: PromptToolServer) -> None:
    renders = PreviewRenders()
    """Renders in flight: one per document and context at a time, shared by version."""

    @server.feature(PREVIEW_CONTEXTS)
    @server.guarded("preview contexts")
    async def preview_contexts(params: Any) -> dict[str, Any]:
        from lsp_server.preview_contexts import answer_contexts, parse_request

        return await answer_contexts(server, parse_request(params))

    @server.feature(PREVIEW)
    @server.guarded("preview")
    async def preview(params: Any) -> dict[str, Any]:
        from lsp_server.preview_contexts import answer_preview, parse_request

        return await answer_preview(server, parse_request(params), renders)
