"""Open documents whose lines are the lines LSP counts.

pygls numbers a document's lines with `str.splitlines`, which also breaks at U+2028,
U+2029, `\\x0b`, `\\x0c`, `\\x1c` to `\\x1e` and `\\x85`; the client counts only `\\n`,
`\\r\\n` and `\\r`, so with any of those characters in the text an incremental edit landed
on the wrong line. These classes give pygls the client's numbering.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from pygls.workspace import TextDocument, Workspace

_LINE_WITH_END = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+\Z")


def lines_with_ends(source: str) -> list[str]:
    """The lines of `source` with their endings, broken only where LSP breaks them."""
    return _LINE_WITH_END.findall(source)


class LspTextDocument(TextDocument):
    """A pygls document that splits lines as the client does."""

    @property
    def lines(self) -> Sequence[str]:
        return tuple(lines_with_ends(self.source))


class LspWorkspace(Workspace):
    """A pygls workspace whose documents are `LspTextDocument`s."""

    def _create_text_document(
        self,
        doc_uri: str,
        source: str | None = None,
        version: int | None = None,
        language_id: str | None = None,
    ) -> TextDocument:
        return LspTextDocument(
            doc_uri,
            source=source,
            version=version,
            language_id=language_id,
            sync_kind=self._sync_kind,
            position_codec=self._position_codec,
        )

    @classmethod
    def like(cls, workspace: Workspace) -> LspWorkspace:
        """A new, empty workspace with the settings pygls chose for `workspace`."""
        folders: list[Any] = list(workspace.folders.values())
        return cls(
            workspace.root_uri,
            workspace._sync_kind,
            folders,
            workspace.position_encoding,
        )
