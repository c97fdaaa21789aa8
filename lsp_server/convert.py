"""Every conversion between the analyser's types and LSP types, and nowhere else.

The analyser counts columns in code points; LSP clients count in the negotiated position
encoding (UTF-16 unless the client offers another), so each conversion needs the text of
the line it lands on.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from lsprotocol import types

from lsp_server.capabilities import SEMANTIC_TOKEN_TYPES
from prompt_tool.analysis.completions import Candidate, CandidateKind
from prompt_tool.analysis.diagnostics import Diagnostic, Fix, Position, Severity, Span
from prompt_tool.analysis.highlighting import HighlightToken, TokenKind
from prompt_tool.analysis.outline import Fold, FoldKind, OutlineSymbol, SymbolKind
from prompt_tool.analysis.positions import split_lines as split_lines
from prompt_tool.analysis.renaming import Replacement

if TYPE_CHECKING:
    from lsp_server.preview_contexts import ContextEntry
    from prompt_tool.orchestration.preview import Preview, TemplateOrigin

SOURCE = "prompt-tool"
_TOKEN_TYPES: dict[TokenKind, str] = {
    TokenKind.DELIMITER: types.SemanticTokenTypes.Macro,
    TokenKind.KEYWORD: types.SemanticTokenTypes.Keyword,
    TokenKind.VARIABLE: types.SemanticTokenTypes.Variable,
    TokenKind.PROPERTY: types.SemanticTokenTypes.Property,
    TokenKind.FILTER: types.SemanticTokenTypes.Function,
    TokenKind.TEST: types.SemanticTokenTypes.Method,
    TokenKind.FUNCTION: types.SemanticTokenTypes.Function,
    TokenKind.STRING: types.SemanticTokenTypes.String,
    TokenKind.NUMBER: types.SemanticTokenTypes.Number,
    TokenKind.OPERATOR: types.SemanticTokenTypes.Operator,
    TokenKind.COMMENT: types.SemanticTokenTypes.Comment,
}
_TOKEN_TYPE_INDEX = {kind: SEMANTIC_TOKEN_TYPES.index(name) for kind, name in _TOKEN_TYPES.items()}
_SYMBOL_KINDS = {
    SymbolKind.BLOCK: types.SymbolKind.Namespace,
    SymbolKind.MACRO: types.SymbolKind.Function,
    SymbolKind.VARIABLE: types.SymbolKind.Variable,
}
_FOLD_KINDS = {
    FoldKind.REGION: types.FoldingRangeKind.Region,
    FoldKind.COMMENT: types.FoldingRangeKind.Comment,
}


@dataclass(frozen=True)
class ClientText:
    """A document's lines and the client's position encoding: what a conversion needs."""

    lines: Sequence[str]
    encoding: str = types.PositionEncodingKind.Utf16

    def line(self, number: int) -> str:
        return self.lines[number] if 0 <= number < len(self.lines) else ""


def client_units(text: str, encoding: str) -> int:
    """The length of `text` in the client's code units."""
    if encoding == types.PositionEncodingKind.Utf8:
        return len(text.encode("utf-8", "surrogatepass"))
    if encoding == types.PositionEncodingKind.Utf32:
        return len(text)
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def lsp_position(position: Position, text: ClientText) -> types.Position:
    line = text.line(position.line)
    return types.Position(position.line, client_units(line[: position.column], text.encoding))


def lsp_range(span: Span, text: ClientText) -> types.Range:
    return types.Range(lsp_position(span.start, text), lsp_position(span.end, text))


def analysis_position(position: types.Position, text: ClientText) -> Position:
    """The code-point position of a client position (clamped to the line's end)."""
    line = text.line(position.line)
    units = 0
    for column, character in enumerate(line):
        if units >= position.character:
            return Position(position.line, column)
        units += client_units(character, text.encoding)
    return Position(position.line, len(line))


def analysis_span(range_: types.Range, text: ClientText) -> Span:
    return Span(analysis_position(range_.start, text), analysis_position(range_.end, text))


def lsp_location(uri: str, span: Span, text: ClientText) -> types.Location:
    return types.Location(uri, lsp_range(span, text))


def lsp_severity(severity: Severity) -> types.DiagnosticSeverity:
    return types.DiagnosticSeverity(int(severity))


def lsp_diagnostic(
    diagnostic: Diagnostic,
    text: ClientText,
    uri_for: Callable[[str], str | None],
    text_for: Callable[[str], ClientText],
) -> types.Diagnostic:
    """An LSP diagnostic; related locations in other templates use those templates' text."""
    related = [
        types.DiagnosticRelatedInformation(
            lsp_location(uri, location.span, text_for(location.path)), location.message
        )
        for location in diagnostic.related
        if (uri := uri_for(location.path)) is not None
    ]
    tags = [
        tag
        for name, tag in (
            ("unnecessary", types.DiagnosticTag.Unnecessary),
            ("deprecated", types.DiagnosticTag.Deprecated),
        )
        if name in diagnostic.tags
    ]
    return types.Diagnostic(
        range=lsp_range(diagnostic.span, text),
        message=diagnostic.message,
        severity=lsp_severity(diagnostic.severity),
        code=diagnostic.code,
        source=SOURCE,
        related_information=related or None,
        tags=tags or None,
    )


def result_id(diagnostics: Sequence[types.Diagnostic]) -> str:
    """A pull-diagnostics result id that changes exactly when the reported content does."""
    content = json.dumps(
        [
            [d.range.start.line, d.range.start.character, d.range.end.line, d.range.end.character]
            + [d.code, d.message, int(d.severity or 0)]
            + [
                [r.location.uri, r.location.range.start.line, r.message]
                for r in d.related_information or []
            ]
            for d in diagnostics
        ]
    )
    return hashlib.sha1(content.encode("utf-8")).hexdigest()[:16]


def lsp_text_edit(fix: Fix, text: ClientText) -> types.TextEdit:
    return types.TextEdit(lsp_range(fix.span, text), fix.replacement)


def lsp_workspace_edit(
    changes: Mapping[str, tuple[Sequence[Replacement], ClientText]],
) -> types.WorkspaceEdit:
    """One edit of several documents, each replacement converted in its own document's text."""
    return types.WorkspaceEdit(
        changes={
            uri: [types.TextEdit(lsp_range(item.span, text), item.text) for item in replacements]
            for uri, (replacements, text) in changes.items()
        }
    )


def lsp_document_symbol(symbol: OutlineSymbol, text: ClientText) -> types.DocumentSymbol:
    return types.DocumentSymbol(
        name=symbol.name,
        kind=_SYMBOL_KINDS[symbol.kind],
        range=lsp_range(symbol.span, text),
        selection_range=lsp_range(symbol.name_span, text),
        detail=symbol.detail or symbol.kind.value,
        children=[lsp_document_symbol(child, text) for child in symbol.children],
    )


def lsp_folding_range(fold: Fold) -> types.FoldingRange:
    return types.FoldingRange(
        start_line=fold.start_line, end_line=fold.end_line, kind=_FOLD_KINDS[fold.kind]
    )


def lsp_semantic_tokens(tokens: Sequence[HighlightToken], text: ClientText) -> list[int]:
    """The relative five-integer encoding of LSP semantic tokens, in client code units."""
    data: list[int] = []
    previous_line = 0
    previous_start = 0
    for token in sorted(tokens, key=lambda item: (item.line, item.column)):
        line = text.line(token.line)
        start = client_units(line[: token.column], text.encoding)
        length = client_units(line[token.column : token.column + token.length], text.encoding)
        delta_line = token.line - previous_line
        delta_start = start - previous_start if delta_line == 0 else start
        data.extend((delta_line, delta_start, length, _TOKEN_TYPE_INDEX[token.kind], 0))
        previous_line, previous_start = token.line, start
    return data


_COMPLETION_KINDS = {
    CandidateKind.FILTER: types.CompletionItemKind.Function,
    CandidateKind.TEST: types.CompletionItemKind.Method,
    CandidateKind.KEYWORD: types.CompletionItemKind.Keyword,
    CandidateKind.VARIABLE: types.CompletionItemKind.Variable,
    CandidateKind.MACRO: types.CompletionItemKind.Function,
    CandidateKind.PROPERTY: types.CompletionItemKind.Property,
    CandidateKind.BLOCK: types.CompletionItemKind.Module,
    CandidateKind.TEMPLATE: types.CompletionItemKind.File,
    CandidateKind.FOLDER: types.CompletionItemKind.Folder,
}


def lsp_markup(markdown: str, is_markdown_supported: bool) -> types.MarkupContent:
    """Markdown for clients that render it, the same text as plain text for the others."""
    kind = types.MarkupKind.Markdown if is_markdown_supported else types.MarkupKind.PlainText
    return types.MarkupContent(kind, markdown)


def lsp_completion_item(
    candidate: Candidate, span: Span, text: ClientText, is_markdown_supported: bool = False
) -> types.CompletionItem:
    """A completion that replaces the typed prefix (`span`) with the candidate."""
    documentation = candidate.documentation
    return types.CompletionItem(
        label=candidate.label,
        kind=_COMPLETION_KINDS[candidate.kind],
        detail=candidate.detail or None,
        documentation=lsp_markup(documentation, is_markdown_supported) if documentation else None,
        text_edit=types.TextEdit(lsp_range(span, text), candidate.label),
    )


def lsp_hover(
    markdown: str, span: Span, text: ClientText, is_markdown_supported: bool = False
) -> types.Hover:
    return types.Hover(
        contents=lsp_markup(markdown, is_markdown_supported), range=lsp_range(span, text)
    )


def lsp_preview(
    uri: str,
    version: int | None,
    phase: str,
    context: str,
    preview: Preview,
    uri_for: Callable[[TemplateOrigin], str | None],
) -> dict[str, Any]:
    """A preview as `promptTool/preview` answers it: text, 0-based source map, error."""
    uris: dict[TemplateOrigin, str | None] = {}

    def located(origin: TemplateOrigin) -> str | None:
        if origin not in uris:
            uris[origin] = uri_for(origin)
        return uris[origin]

    error = preview.error
    return {
        "uri": uri,
        "version": version,
        "phase": phase,
        "context": context,
        "text": preview.text,
        "characters": preview.characters,
        "tokens": preview.tokens,
        "tokenCounter": preview.token_counter,
        "sourceMap": [
            None
            if line.template is None or line.line is None
            else {
                "uri": located(line.template),
                "template": line.template.name,
                "version": line.template.version,
                "line": line.line,
            }
            for line in preview.lines
        ],
        "error": None
        if error is None
        else lsp_preview_error(
            error.message,
            located(error.template) if error.template is not None else uri,
            error.line or 0,
            0,
        ),
    }


def lsp_preview_error(message: str, uri: str | None, line: int, column: int) -> dict[str, Any]:
    """A diagnostic (plus the `uri` it belongs to) for a preview that could not render."""
    return {
        "uri": uri,
        "range": {
            "start": {"line": line, "character": column},
            "end": {"line": line + 1, "character": 0},
        },
        "severity": int(types.DiagnosticSeverity.Error),
        "source": "prompt-tool preview",
        "message": message,
    }


def lsp_preview_problem(
    uri: str, context: str, message: str, where: str | None, line: int, column: int
) -> dict[str, Any]:
    """The answer when no render happened: the context or the phase could not be used."""
    return {
        "uri": uri,
        "version": None,
        "phase": None,
        "context": context,
        "text": "",
        "characters": 0,
        "tokens": 0,
        "tokenCounter": "",
        "sourceMap": [],
        "error": lsp_preview_error(message, where or uri, line, column),
    }


def lsp_preview_contexts(phase: str | None, entries: Sequence[ContextEntry]) -> dict[str, Any]:
    """`promptTool/previewContexts`: the phase the document renders as, and its contexts."""
    return {
        "phase": phase,
        "contexts": [
            {
                "id": entry.id,
                "label": entry.label,
                "kind": entry.kind,
                "phase": entry.phase,
                "detail": entry.detail,
            }
            for entry in entries
        ],
    }
