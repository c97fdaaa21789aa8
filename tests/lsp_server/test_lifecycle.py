"""Initialize, shutdown and exit over stdio, as the specification orders them."""

from __future__ import annotations

from pathlib import Path

from lsprotocol import types


async def test_initialize_announces_every_feature(lsp, tmp_path: Path) -> None:
    result = await lsp.initialize(tmp_path)

    capabilities = result.capabilities
    assert result.server_info is not None and result.server_info.name == "prompt-tool-lsp"
    assert isinstance(capabilities.text_document_sync, types.TextDocumentSyncOptions)
    assert capabilities.text_document_sync.change == types.TextDocumentSyncKind.Incremental
    assert isinstance(capabilities.diagnostic_provider, types.DiagnosticOptions)
    assert capabilities.diagnostic_provider.inter_file_dependencies is True
    assert capabilities.document_symbol_provider
    assert capabilities.workspace_symbol_provider
    assert capabilities.folding_range_provider
    assert capabilities.document_link_provider is not None
    assert capabilities.code_action_provider is not None
    assert isinstance(capabilities.semantic_tokens_provider, types.SemanticTokensOptions)
    assert "keyword" in capabilities.semantic_tokens_provider.legend.token_types


async def test_shutdown_then_exit_ends_the_process_with_status_zero(lsp, tmp_path: Path) -> None:
    await lsp.initialize(tmp_path)

    await lsp.client.shutdown_session()

    assert lsp.client._server is not None
    assert lsp.client._server.returncode == 0
