"""Workspace pull diagnostics: one report per template under the roots, open or not.

A client shows problems in files the user has not opened; each report carries the same
`resultId` a document pull would give, so an entry of `previousResultIds` whose result
is unchanged is answered `unchanged`. Findings on pyproject.toml (a contract that does not
resolve) are reported on that file, as push clients get them.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping

from lsprotocol import types

from lsp_server import analysis_api as api
from lsp_server.features.diagnostics import convert_diagnostics
from lsp_server.server import PromptToolServer
from prompt_tool.analysis.diagnostics import Diagnostic

CHUNK = 16

WorkspaceReport = types.WorkspaceFullDocumentDiagnosticReport | (
    types.WorkspaceUnchangedDocumentDiagnosticReport
)


def register(server: PromptToolServer) -> None:
    @server.feature(types.WORKSPACE_DIAGNOSTIC)
    @server.guarded("workspace diagnostics", fallback=types.WorkspaceDiagnosticReport(items=[]))
    async def workspace_diagnostics(
        params: types.WorkspaceDiagnosticParams,
    ) -> types.WorkspaceDiagnosticReport:
        await server.runner.settled()
        on_disk = await asyncio.to_thread(server.files.list_names)
        names = sorted(set(on_disk) | set(server.open_template_names()))
        previous = {entry.uri: entry.value for entry in params.previous_result_ids}
        stream = ReportStream(server, params.partial_result_token)
        for start in range(0, len(names), CHUNK):
            # A chunk at a time: a first pull over hundreds of templates takes seconds;
            # between chunks the worker serves completion and hover, and a cancel stops.
            found = await server.runner.diagnostics_of(names[start : start + CHUNK])
            stream.send(
                [
                    _report(server, uri, _items(server, name, found[name]), previous)
                    for name in found
                    if (uri := server.uri_for(name)) is not None
                ]
            )
        configuration = _configuration_items(server)
        stream.send([_report(server, uri, items, previous) for uri, items in configuration.items()])
        stream.send(_cleared(server, previous, stream.reported))
        return stream.result()


class ReportStream:
    """Reports go out as each chunk is ready when the client gave a partial result token
    (the first as a report, the rest as partial results, the response then empty), so
    problems appear while a first pull runs; else they are gathered for the response."""

    def __init__(self, server: PromptToolServer, token: types.ProgressToken | None) -> None:
        self.server = server
        self.token = token
        self.reported: set[str] = set()
        self._gathered: list[WorkspaceReport] = []
        self._has_sent = False

    def send(self, reports: list[WorkspaceReport]) -> None:
        self.reported.update(report.uri for report in reports)
        if self.token is None:
            self._gathered += reports
            return
        if not reports:
            return
        value: types.WorkspaceDiagnosticReport | types.WorkspaceDiagnosticReportPartialResult
        if self._has_sent:
            value = types.WorkspaceDiagnosticReportPartialResult(items=reports)
        else:
            value = types.WorkspaceDiagnosticReport(items=reports)
        self.server.progress(types.ProgressParams(self.token, value))
        self._has_sent = True

    def result(self) -> types.WorkspaceDiagnosticReport:
        return types.WorkspaceDiagnosticReport(items=self._gathered)


def _items(server: PromptToolServer, name: str, found: list[Diagnostic]) -> list[types.Diagnostic]:
    """In LSP form; a clean template's text is not even read (most are clean)."""
    return convert_diagnostics(server, name, found) if found else []


def _report(
    server: PromptToolServer,
    uri: str,
    items: list[types.Diagnostic],
    previous: Mapping[str, str],
) -> WorkspaceReport:
    """`unchanged` when the client already holds this result, else the full report."""
    document = server.workspace.text_documents.get(uri)
    version = document.version if document is not None else None
    current = api.result_id(items)
    if previous.get(uri) == current:
        return types.WorkspaceUnchangedDocumentDiagnosticReport(
            uri=uri, version=version, result_id=current
        )
    return types.WorkspaceFullDocumentDiagnosticReport(
        uri=uri, version=version, items=items, result_id=current
    )


def _cleared(
    server: PromptToolServer, previous: Mapping[str, str], reported: set[str]
) -> list[WorkspaceReport]:
    """Empty reports for files the client holds problems for and that have none to report
    any more (deleted, moved out of the roots, a fixed pyproject.toml)."""
    empty = api.result_id([])
    return [
        _report(server, uri, [], previous)
        for uri, value in previous.items()
        if uri not in reported and value != empty
    ]


def _configuration_items(server: PromptToolServer) -> dict[str, list[types.Diagnostic]]:
    by_uri: dict[str, list[types.Diagnostic]] = {}
    for finding in server.config_diagnostics:
        if (uri := server.uri_for(finding.path)) is not None:
            text = server.text_for(finding.path)
            converted = api.lsp_diagnostic(finding, text, server.uri_for, server.text_for)
            by_uri.setdefault(uri, []).append(converted)
    return by_uri
