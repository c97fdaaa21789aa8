"""A real client talking to `python -m lsp_server` over stdio, and helpers to drive it."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import pytest_lsp
from lsprotocol import types
from pygls.protocol import default_converter
from pygls.uris import from_fs_path
from pytest_lsp import ClientServerConfig, LanguageClient
from pytest_lsp.client import DEFAULT_CLIENT_FEATURES, register_lsp_features

TIMEOUT = 20.0
PUBLISH = types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS


class RecordingClient(LanguageClient):
    """A test client that keeps every publishDiagnostics, so none is missed between awaits."""

    published: list[types.PublishDiagnosticsParams]
    partial_results: dict[types.ProgressToken, list[Any]]


def record_publish(client: RecordingClient, params: types.PublishDiagnosticsParams) -> None:
    client.diagnostics[params.uri] = params.diagnostics
    client.published.append(params)


def record_progress(client: RecordingClient, params: types.ProgressParams) -> None:
    """Partial results (a `$/progress` value without a work-done `kind`) are kept as sent;
    pytest-lsp's own handler knows only work-done progress."""
    if isinstance(params.value, dict) and "kind" not in params.value:
        client.partial_results.setdefault(params.token, []).append(params.value)
        return
    DEFAULT_CLIENT_FEATURES[types.PROGRESS](client, params)


def make_recording_client() -> RecordingClient:
    client = RecordingClient(converter_factory=default_converter)
    client.published = []
    client.partial_results = {}
    register_lsp_features(
        client,
        {**DEFAULT_CLIENT_FEATURES, PUBLISH: record_publish, types.PROGRESS: record_progress},
    )
    return client


SERVER = ClientServerConfig(
    server_command=[sys.executable, "-m", "lsp_server"], client_factory=make_recording_client
)


@pytest_lsp.fixture(config=SERVER)
async def client(lsp_client: LanguageClient):
    yield
    server = lsp_client._server
    if server is not None and server.returncode is None:
        await lsp_client.shutdown_session()


def push_capabilities(**workspace: Any) -> types.ClientCapabilities:
    """A client like Neovim 0.7: versioned push diagnostics, no pull."""
    return types.ClientCapabilities(
        text_document=types.TextDocumentClientCapabilities(
            publish_diagnostics=types.PublishDiagnosticsClientCapabilities(
                related_information=True, version_support=True
            ),
            document_symbol=types.DocumentSymbolClientCapabilities(
                hierarchical_document_symbol_support=True
            ),
            completion=types.CompletionClientCapabilities(
                completion_item=types.ClientCompletionItemOptions(
                    documentation_format=[types.MarkupKind.Markdown]
                )
            ),
            hover=types.HoverClientCapabilities(content_format=[types.MarkupKind.Markdown]),
            signature_help=types.SignatureHelpClientCapabilities(
                signature_information=types.ClientSignatureInformationOptions(
                    parameter_information=types.ClientSignatureParameterInformationOptions(
                        label_offset_support=False
                    ),
                    active_parameter_support=True,
                )
            ),
        ),
        workspace=types.WorkspaceClientCapabilities(**workspace),
    )


def pull_capabilities() -> types.ClientCapabilities:
    """A client like VS Code: pull diagnostics with refresh support."""
    capabilities = push_capabilities(
        diagnostics=types.DiagnosticWorkspaceClientCapabilities(refresh_support=True)
    )
    assert capabilities.text_document is not None
    capabilities.text_document.diagnostic = types.DiagnosticClientCapabilities(
        related_document_support=True
    )
    return capabilities


def uri_of(path: Path) -> str:
    uri = from_fs_path(str(path))
    assert uri is not None
    return uri


class LspSession:
    """Typed steps a test takes with the client; every wait is on a real message."""

    push_capabilities = staticmethod(push_capabilities)
    pull_capabilities = staticmethod(pull_capabilities)
    uri_of = staticmethod(uri_of)

    def __init__(self, client: RecordingClient):
        self.client = client

    async def initialize(
        self,
        folder: Path,
        capabilities: types.ClientCapabilities | None = None,
        options: Any = None,
    ) -> types.InitializeResult:
        return await self.client.initialize_session(
            types.InitializeParams(
                capabilities=capabilities or push_capabilities(),
                workspace_folders=[types.WorkspaceFolder(uri_of(folder), folder.name)],
                root_uri=uri_of(folder),
                initialization_options=options,
            )
        )

    def open(self, path: Path, text: str, version: int = 1) -> str:
        uri = uri_of(path)
        self.client.text_document_did_open(
            types.DidOpenTextDocumentParams(types.TextDocumentItem(uri, "jinja", version, text))
        )
        return uri

    def change(self, uri: str, version: int, text: str, range_: types.Range | None = None) -> None:
        """An incremental edit replacing `range_`, or the whole text when no range is given."""
        change: types.TextDocumentContentChangeEvent = (
            types.TextDocumentContentChangePartial(range=range_, text=text)
            if range_ is not None
            else types.TextDocumentContentChangeWholeDocument(text=text)
        )
        self.client.text_document_did_change(
            types.DidChangeTextDocumentParams(
                types.VersionedTextDocumentIdentifier(version=version, uri=uri), [change]
            )
        )

    async def published(
        self,
        uri: str,
        accept: Callable[[types.PublishDiagnosticsParams], bool] = lambda params: True,
    ) -> types.PublishDiagnosticsParams:
        """The first publishDiagnostics for `uri` that `accept` takes, waiting if needed."""

        async def wait() -> types.PublishDiagnosticsParams:
            seen = 0
            while True:
                for params in self.client.published[seen:]:
                    if params.uri == uri and accept(params):
                        return params
                seen = len(self.client.published)
                await self.client.wait_for_notification(PUBLISH)

        return await asyncio.wait_for(wait(), TIMEOUT)

    async def published_version(self, uri: str, version: int | None) -> list[types.Diagnostic]:
        params = await self.published(uri, lambda params: params.version == version)
        return list(params.diagnostics)

    async def message(self, accept: Callable[[str], bool]) -> types.ShowMessageParams:
        """The first window/showMessage whose text `accept` takes, waiting if needed."""

        async def wait() -> types.ShowMessageParams:
            while True:
                for params in self.client.messages:
                    if accept(params.message):
                        return params
                await self.client.wait_for_notification(types.WINDOW_SHOW_MESSAGE)

        return await asyncio.wait_for(wait(), TIMEOUT)


@pytest.fixture
def lsp(client: RecordingClient) -> LspSession:
    return LspSession(client)
