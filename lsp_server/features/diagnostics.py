"""Diagnostics: analyse on open, change and save; push or pull as the client supports.

A client announcing `textDocument.diagnostic` pulls (and is told to refresh when a
dependant's result changes); any other client (Neovim 0.7) gets `publishDiagnostics`
with the document version. Results are never computed here: they come from the analyser.
"""

from __future__ import annotations

from lsprotocol import types

from lsp_server import analysis_api as api
from lsp_server.capabilities import accepts_diagnostic_refresh
from lsp_server.server import PromptToolServer
from prompt_tool.analysis.diagnostics import Diagnostic

IDENTIFIER = "prompt-tool"


def register(server: PromptToolServer) -> None:
    server.outcome_listeners.append(lambda outcome: _on_outcome(server, outcome))
    configuration_uris: set[str] = set()
    server.settings_listeners.append(lambda: _publish_configuration(server, configuration_uris))

    @server.feature(types.TEXT_DOCUMENT_DID_OPEN)
    @server.guarded("diagnostics", size_limited=False)
    def did_open(params: types.DidOpenTextDocumentParams) -> None:
        _submit(server, params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    @server.guarded("diagnostics", size_limited=False)
    def did_change(params: types.DidChangeTextDocumentParams) -> None:
        _submit(server, params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_DID_SAVE)
    @server.guarded("diagnostics", size_limited=False)
    def did_save(params: types.DidSaveTextDocumentParams) -> None:
        _submit(server, params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    @server.guarded("diagnostics", size_limited=False)
    def did_close(params: types.DidCloseTextDocumentParams) -> None:
        uri = params.text_document.uri
        server.runner.submit(server.template_name(uri), api.Change(None, is_closed=True))
        if not server.uses_pull_diagnostics:
            server.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri, []))

    @server.feature(
        types.TEXT_DOCUMENT_DIAGNOSTIC,
        types.DiagnosticOptions(
            identifier=IDENTIFIER, inter_file_dependencies=True, workspace_diagnostics=True
        ),
    )
    @server.guarded("pull diagnostics", size_limited=False)
    async def pull(params: types.DocumentDiagnosticParams) -> types.DocumentDiagnosticReport:
        uri = params.text_document.uri
        # The first answer waits for the published templates (and so their includes) to
        # be read: a pull then agrees with `templates lint` against the same database.
        await server.catalog.settled()
        await server.runner.analysed(server.template_name(uri))
        items = document_diagnostics(server, uri)
        current = api.result_id(items)
        if params.previous_result_id == current:
            return types.RelatedUnchangedDocumentDiagnosticReport(result_id=current)
        return types.RelatedFullDocumentDiagnosticReport(items=items, result_id=current)


def document_diagnostics(server: PromptToolServer, uri: str) -> list[types.Diagnostic]:
    """The latest analysed diagnostics of a document, in LSP form."""
    name = server.template_name(uri)
    return convert_diagnostics(server, name, server.runner.latest(name) or [])


def _submit(server: PromptToolServer, uri: str) -> None:
    document = server.workspace.get_text_document(uri)
    server.runner.submit(server.template_name(uri), server.change_of(document))


def convert_diagnostics(
    server: PromptToolServer, name: str, found: list[Diagnostic]
) -> list[types.Diagnostic]:
    """Findings of template `name` in LSP form: pulled reports of a document and of the
    workspace convert the same way, so that their result ids agree."""
    text = server.text_for(name)
    return [api.lsp_diagnostic(item, text, server.uri_for, server.text_for) for item in found]


def _on_outcome(server: PromptToolServer, outcome: api.Outcome) -> None:
    if server.uses_pull_diagnostics:
        _refresh_if_needed(server, outcome)
        return
    for name, found in outcome.diagnostics.items():
        uri = server.uri_for(name)
        if uri is None or name in outcome.closed:
            continue
        document = server.open_document(name)
        version = outcome.versions.get(name, document.version) if document else None
        items = convert_diagnostics(server, name, found)
        server.text_document_publish_diagnostics(
            types.PublishDiagnosticsParams(uri, items, version)
        )


def _refresh_if_needed(server: PromptToolServer, outcome: api.Outcome) -> None:
    """A pulling client re-asks for the edited document itself; dependants need a nudge."""
    dependants = outcome.diagnostics.keys() - outcome.versions.keys()
    if dependants and accepts_diagnostic_refresh(server.client_capabilities):
        server.workspace_diagnostic_refresh(None)


def _publish_configuration(server: PromptToolServer, published: set[str]) -> None:
    """Findings about the configuration itself (PT016 on a contract line of pyproject.toml),
    pushed to that file; a file that no longer has any is cleared."""
    if server.uses_pull_diagnostics:
        return
    by_uri: dict[str, list[Diagnostic]] = {}
    for finding in server.config_diagnostics:
        if (uri := server.uri_for(finding.path)) is not None:
            by_uri.setdefault(uri, []).append(finding)
    for uri in published - by_uri.keys():
        server.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri, []))
    for uri, findings in by_uri.items():
        items = [
            api.lsp_diagnostic(item, server.text_for(item.path), server.uri_for, server.text_for)
            for item in findings
        ]
        server.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri, items))
    published.clear()
    published.update(by_uri)
