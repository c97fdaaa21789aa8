"""Bytes → template text, or the reason they are not a template (PT014), with its position."""

from __future__ import annotations

from dataclasses import dataclass

from prompt_tool.analysis.diagnostics import Diagnostic, Severity, Span
from prompt_tool.analysis.positions import LineMap

_BOM = b"\xef\xbb\xbf"


@dataclass(frozen=True)
class Unreadable:
    """Why bytes are not template text, and where the first offending byte is."""

    message: str
    span: Span

    def diagnostic(self, path: str) -> Diagnostic:
        """The PT014 finding for template `path`, as lint and the workspace report it."""
        return Diagnostic("PT014", Severity.ERROR, self.message, path, self.span)


def _span_at(prefix: str) -> Span:
    position = LineMap(prefix).end()
    return Span.at(position.line, position.column)


def decode_template(data: bytes) -> tuple[str | None, Unreadable | None]:
    """UTF-8 text (a BOM is dropped), or a PT014 explanation: invalid UTF-8 or binary data."""
    body = data[len(_BOM) :] if data.startswith(_BOM) else data
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as error:
        span = _span_at(body[: error.start].decode("utf-8", "replace"))
        message = (
            f"not UTF-8 text: byte 0x{body[error.start]:02x} at line {span.start.line + 1},"
            f" offset {error.start} ({error.reason})"
        )
        return None, Unreadable(message, span)
    nul = text.find("\0")
    if nul >= 0:
        return None, Unreadable(f"binary data: NUL character at offset {nul}", _span_at(text[:nul]))
    return text, None
