"""Code actions: the analyser's suggested fixes, "disable this check on this line", and
"create this template" for an include name that resolves nowhere."""

from __future__ import annotations

from pathlib import Path

from lsprotocol import types
from pygls.uris import from_fs_path, to_fs_path

from lsp_server import analysis_api as api
from lsp_server.capabilities import creates_files
from lsp_server.server import PromptToolServer
from prompt_tool.analysis.diagnostics import Diagnostic, Position, Span

SUPPRESSION_COMMENT = "{{# prompt-tool: disable={code} #}}"


def register(server: PromptToolServer) -> None:
    @server.feature(
        types.TEXT_DOCUMENT_CODE_ACTION,
        types.CodeActionOptions(code_action_kinds=[types.CodeActionKind.QuickFix]),
    )
    @server.guarded("code actions", fallback=[])
    def code_actions(params: types.CodeActionParams) -> list[types.CodeAction]:
        uri = params.text_document.uri
        text = server.client_text(uri)
        wanted = api.analysis_span(params.range, text)
        actions: list[types.CodeAction] = []
        for found in server.runner.latest(server.template_name(uri)) or []:
            if _overlaps(found.span, wanted):
                converted = api.lsp_diagnostic(found, text, server.uri_for, server.text_for)
                actions.extend(_actions_for(uri, found, converted, text))
        if creates_files(server.client_capabilities):
            source = server.workspace.get_text_document(uri).source
            actions.extend(_create_missing(server, uri, source, wanted))
        return actions


def _overlaps(span: Span, wanted: Span) -> bool:
    return span.start <= wanted.end and wanted.start <= span.end


def _actions_for(
    uri: str, found: Diagnostic, converted: types.Diagnostic, text: api.ClientText
) -> list[types.CodeAction]:
    actions: list[types.CodeAction] = []
    if found.fix is not None:
        edit = types.WorkspaceEdit(changes={uri: [api.lsp_text_edit(found.fix, text)]})
        actions.append(
            types.CodeAction(
                found.fix.title,
                kind=types.CodeActionKind.QuickFix,
                diagnostics=[converted],
                edit=edit,
                is_preferred=True,
            )
        )
    line = found.span.start.line
    end = api.lsp_position(Position(line, len(text.line(line))), text)
    comment = " " + SUPPRESSION_COMMENT.format(code=found.code)
    actions.append(
        types.CodeAction(
            f"Disable {found.code} on this line",
            kind=types.CodeActionKind.QuickFix,
            diagnostics=[converted],
            edit=types.WorkspaceEdit(
                changes={uri: [types.TextEdit(types.Range(end, end), comment)]}
            ),
        )
    )
    return actions


def _create_missing(
    server: PromptToolServer, uri: str, source: str, wanted: Span
) -> list[types.CodeAction]:
    """ "Create template x.j2" for each include name in range that resolves nowhere, in the
    first root of the workspace folder holding the document."""
    actions: list[types.CodeAction] = []
    roots = server.files.roots_for(Path(to_fs_path(uri) or ""))
    for reference in api.template_references(source):
        if not _overlaps(reference.span, wanted) or server.uri_for(reference.name) is not None:
            continue
        target = (roots[0] / reference.name).resolve() if roots else None
        if target is None or not target.is_relative_to(roots[0]):
            continue
        create = types.CreateFile(uri=from_fs_path(str(target)) or "", kind="create")
        actions.append(
            types.CodeAction(
                f"Create template {reference.name}",
                kind=types.CodeActionKind.QuickFix,
                edit=types.WorkspaceEdit(document_changes=[create]),
            )
        )
    return actions
