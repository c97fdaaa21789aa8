"""Document links on the template names of include, extends, import and from tags."""

from __future__ import annotations

from lsprotocol import types

from lsp_server import analysis_api as api
from lsp_server.capabilities import shows_link_tooltips
from lsp_server.server import PromptToolServer


def register(server: PromptToolServer) -> None:
    @server.feature(types.TEXT_DOCUMENT_DOCUMENT_LINK)
    @server.guarded("document links", fallback=[])
    def document_links(params: types.DocumentLinkParams) -> list[types.DocumentLink]:
        uri = params.text_document.uri
        text = server.client_text(uri)
        tooltips = shows_link_tooltips(server.client_capabilities)
        links: list[types.DocumentLink] = []
        for reference in api.template_references(server.workspace.get_text_document(uri).source):
            target = server.target_uri(reference.name)
            if target is not None:
                links.append(
                    types.DocumentLink(
                        api.lsp_range(reference.span, text),
                        target,
                        reference.name if tooltips else None,
                    )
                )
        return links
