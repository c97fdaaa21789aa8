"""`$/cancelRequest` ends a pending request with RequestCancelled (-32800), never a result.

Each request is made to wait on real work (a large document being analysed, hundreds of
templates to check), so the cancel arrives while the request is still pending.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from lsprotocol import types
from pygls.exceptions import JsonRpcException

from tests.lsp_server.conftest import TIMEOUT

REQUEST_CANCELLED = -32800
LOOP = "{% for item in items %}{{ item.name | upper }}{% if item.x %}{{ loop.index }}{% endif %}"
LARGE = (LOOP + "{% endfor %} text\n") * 3000


async def cancelled_error(lsp, method: str, params: Any, msg_id: str) -> JsonRpcException:
    """Send a request, cancel it at once, and return the error it is answered with."""
    answer = asyncio.wrap_future(lsp.client.protocol.send_request(method, params, msg_id=msg_id))
    lsp.client.protocol.notify(types.CANCEL_REQUEST, types.CancelParams(id=msg_id))
    with pytest.raises(JsonRpcException) as raised:
        await asyncio.wait_for(answer, TIMEOUT)
    return raised.value


async def test_a_document_pull_waiting_for_the_analysis_is_cancelled(lsp, tmp_path: Path) -> None:
    await lsp.initialize(tmp_path, lsp.pull_capabilities())
    uri = lsp.open(tmp_path / "large.j2", LARGE + "{{ x }\n")
    params = types.DocumentDiagnosticParams(types.TextDocumentIdentifier(uri))

    error = await cancelled_error(lsp, types.TEXT_DOCUMENT_DIAGNOSTIC, params, "pull-1")
    after = await lsp.client.text_document_diagnostic_async(params)

    assert error.code == REQUEST_CANCELLED
    assert [d.code for d in after.items] == ["PT001"], "the analysis itself went on"


async def test_a_workspace_pull_over_many_templates_is_cancelled(lsp, tmp_path: Path) -> None:
    for number in range(100):
        (tmp_path / f"t{number}.j2").write_text((LOOP + "{% endfor %}\n") * 60)
    await lsp.initialize(tmp_path, lsp.pull_capabilities())
    params = types.WorkspaceDiagnosticParams(previous_result_ids=[])

    error = await cancelled_error(lsp, types.WORKSPACE_DIAGNOSTIC, params, "workspace-1")
    symbols = await lsp.client.workspace_symbol_async(types.WorkspaceSymbolParams(query="t9"))

    assert error.code == REQUEST_CANCELLED
    assert len(symbols or []) == 11, "the server goes on answering after a cancel"
