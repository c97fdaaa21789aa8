"""The language server: its state (settings, template files, analysis runner) and factory.

Features live in `lsp_server/features/`, one module per capability, each with a
`register(server)`; this module only wires them together and offers the lookups every
feature shares (document → template name, template name → URI, client text).

Start-up: nothing here imports the analyser or the checking service. The state built from
them (file index, analysis runner, published templates, the analyser's configuration) is
made on first use, in the "built on first use" section of `PromptToolServer`, which is
after the `initialize` answer; the features reach the analyser through
`lsp_server.analysis_api`. `tests/lsp_server/test_layering.py` keeps it so.
"""

from __future__ import annotations

import functools
import inspect
import logging
from collections.abc import Callable, Sequence
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar, cast

from lsprotocol import types
from pygls.lsp.server import LanguageServer
from pygls.uris import from_fs_path, to_fs_path
from pygls.workspace import TextDocument

from lsp_server.protocol import RobustProtocol
from lsp_server.settings import Settings
from prompt_tool import __version__
from prompt_tool.analysis.diagnostics import Diagnostic

if TYPE_CHECKING:
    from jinja2 import Environment

    from lsp_server.analysis_config import FolderAnalysis
    from lsp_server.analysis_runner import AnalysisRunner, Change, Outcome
    from lsp_server.convert import ClientText
    from lsp_server.published import PublishedTemplates
    from lsp_server.published_copies import PublishedCopies
    from lsp_server.template_catalog import Describe, TemplateCatalog
    from lsp_server.template_files import TemplateFolders
    from prompt_tool.analysis.workspace import AnalysisConfig, TemplateSource

logger = logging.getLogger(__name__)
Handler = TypeVar("Handler", bound=Callable[..., Any])


class PromptToolServer(LanguageServer):
    """A pygls server that holds no checking logic: every finding comes from the analyser."""

    def __init__(self) -> None:
        super().__init__(
            "prompt-tool-lsp",
            __version__,
            text_document_sync_kind=types.TextDocumentSyncKind.Incremental,
            protocol_cls=RobustProtocol,
        )
        self.settings = Settings()
        self.folders: tuple[Path, ...] = ()
        self.other_folder_settings: tuple[tuple[Path, Settings], ...] = ()
        self.initialization_options: Any = None
        self.uses_pull_diagnostics = False
        self._names: dict[str, str] = {}
        self.config_diagnostics: tuple[Diagnostic, ...] = ()
        self.settings_listeners: list[Callable[[], None]] = []
        self.outcome_listeners: list[Callable[[Outcome], None]] = []
        """The runner's listeners (registered before there is a runner)."""
        self._environment: Environment | None = None

    # Built on first use (the first settings applied, or the first feature asking), so that
    # the server answers `initialize` without importing the analyser; `apply_settings`
    # replaces `files`, `published`, `analysis_config` and `folder_analysis` as before.

    @cached_property
    def files(self) -> TemplateFolders:
        from lsp_server.template_files import TemplateFolders

        return TemplateFolders([])

    @cached_property
    def runner(self) -> AnalysisRunner:
        from lsp_server.analysis_runner import AnalysisRunner

        runner = AnalysisRunner()
        runner.listeners = self.outcome_listeners
        return runner

    @cached_property
    def catalog(self) -> TemplateCatalog:
        from lsp_server.template_catalog import TemplateCatalog

        catalog = TemplateCatalog()
        catalog.on_problem = self.warn
        catalog.on_published = self.resubmit_open_documents
        return catalog

    @cached_property
    def published(self) -> PublishedTemplates:
        from lsp_server.published import PublishedTemplates

        return PublishedTemplates(None)

    @cached_property
    def copies(self) -> PublishedCopies:
        from lsp_server.published_copies import PublishedCopies, cache_root

        return PublishedCopies(cache_root())

    @cached_property
    def analysis_config(self) -> AnalysisConfig:
        from prompt_tool.analysis.workspace import AnalysisConfig

        return AnalysisConfig()

    @cached_property
    def folder_analysis(self) -> FolderAnalysis:
        from lsp_server.analysis_config import FolderAnalysis

        return FolderAnalysis(self.analysis_config)

    @property
    def folder(self) -> Path | None:
        """The first workspace folder: the project whose settings and analyser
        configuration apply (the others contribute their template roots)."""
        return self.folders[0] if self.folders else None

    @property
    def encoding(self) -> str:
        return str(self.workspace.position_encoding or types.PositionEncodingKind.Utf16)

    def apply_settings(
        self, settings: Settings, other_folders: Sequence[tuple[Path, Settings]] = ()
    ) -> tuple[str, ...]:
        """Adopt new settings (the first folder's, then each other folder's): rebuild the
        file index and the analyser; returns the problems met building the analyser's
        configuration, for the user to see."""
        from lsp_server.analysis_config import folder_analysis
        from lsp_server.published import PublishedTemplates
        from lsp_server.template_files import TemplateFiles, TemplateFolders
        from prompt_tool.analysis.sources import ChainedSource

        self.settings = settings
        self.other_folder_settings = tuple(other_folders)
        self._names.clear()
        first = TemplateFiles(self.folder, settings.template_roots, settings.extensions)
        self.files = TemplateFolders(
            [
                first,
                *(
                    TemplateFiles(folder, values.template_roots, values.extensions)
                    for folder, values in other_folders
                ),
            ]
        )
        analysis = folder_analysis(self.folder, settings, first.roots)
        self.analysis_config = analysis.config
        self.config_diagnostics = analysis.config_diagnostics
        self.folder_analysis = analysis
        self._environment = None
        published = PublishedTemplates(
            settings.database_url, settings.project, settings.feature_type
        )
        self.published = published
        external = ChainedSource(self.files, published)
        self.runner.reset(analysis.config, external, self.files.list_names())
        self.runner.max_document_size = settings.max_document_size
        sources: list[tuple[Describe, TemplateSource]] = [
            (lambda name: "workspace template", self.files),
            (published.describe, published),
        ]
        self.catalog.use(sources, published)
        for listener in self.settings_listeners:
            listener()
        return analysis.problems

    @property
    def environment(self) -> Environment:
        """The environment the analyser checks with, the renderer's (`TemplateEngine`) plus
        the project's extensions and declared filters, tests and globals: completion and
        hover offer exactly what checking accepts and rendering provides."""
        if self._environment is None:
            engine = self.analysis_config.engine
            if engine is None:
                from prompt_tool.core.templating import TemplateEngine

                engine = TemplateEngine()
            self._environment = engine.environment
        return self._environment

    def warn(self, message: str) -> None:
        """One warning the user sees (and the log keeps)."""
        logger.warning("%s", message)
        self.window_show_message(
            types.ShowMessageParams(types.MessageType.Warning, f"prompt-tool: {message}")
        )

    def resubmit_open_documents(self) -> None:
        """The published templates were read again: check the open documents against them."""
        self.runner.invalidate_external()
        for document in list(self.workspace.text_documents.values()):
            self.runner.submit(self.template_name(document.uri), self.change_of(document))

    def change_of(self, document: TextDocument) -> Change:
        from lsp_server.analysis_runner import Change

        return Change(document.source, document.version)

    def template_name(self, uri: str) -> str:
        """The include name of a document: its path relative to the template root holding it."""
        if (name := self._names.get(uri)) is None:
            path = to_fs_path(uri)
            name = self.files.name_for(Path(path)) if path else uri
            self._names[uri] = name
        return name

    def open_document(self, name: str) -> TextDocument | None:
        documents: dict[str, TextDocument] = self.workspace.text_documents
        for uri, document in documents.items():
            if self.template_name(uri) == name:
                return document
        return None

    def open_template_names(self) -> list[str]:
        return [self.template_name(uri) for uri in self.workspace.text_documents]

    def uri_for(self, name: str) -> str | None:
        """Where template `name` lives: an open document, else a file under the roots."""
        if (document := self.open_document(name)) is not None:
            return document.uri
        path = self.files.path_for(name)
        return from_fs_path(str(path)) if path is not None else None

    def target_uri(self, reference: str) -> str | None:
        """Where an include name leads: a workspace template, else a read-only copy of the
        published version it resolves to (the pinned one when the name has a pin)."""
        if (uri := self.uri_for(reference)) is not None:
            return uri
        copy = self.copies.copy_of(self.published, reference)
        return from_fs_path(str(copy)) if copy is not None else None

    def client_text(self, uri: str) -> ClientText:
        return self._client_text(self.workspace.get_text_document(uri).source)

    def _client_text(self, source: str) -> ClientText:
        from lsp_server.convert import ClientText, split_lines

        return ClientText(split_lines(source), self.encoding)

    def source_for(self, name: str) -> str | None:
        """A template's text: the editor's if it is open, else the file's."""
        if (document := self.open_document(name)) is not None:
            return document.source
        return self.files.get_source(name)

    def text_for(self, name: str) -> ClientText:
        """The text of a template the client may not have open, for converting its ranges."""
        return self._client_text(self.source_for(name) or "")

    def is_oversized(self, params: Any) -> bool:
        """Whether the request is about an open document larger than `max_document_size`:
        such a document gets one warning instead of analysis, and no feature reads it."""
        document = getattr(params, "text_document", None)
        uri = getattr(document, "uri", None)
        if not isinstance(uri, str):
            return False
        opened = self.workspace.text_documents.get(uri)
        return opened is not None and len(opened.source) > self.settings.max_document_size

    def _touch(self) -> None:
        """A request arrived: tell the runner, if there is one yet (before the first
        document there is no analysis whose idle-time collection could be postponed)."""
        if "runner" in self.__dict__:
            self.runner.touch()

    def guarded(
        self, feature: str, fallback: Any = None, size_limited: bool = True
    ) -> Callable[[Handler], Handler]:
        """Log a failing handler with its feature's name and answer `fallback` instead;
        answer `fallback` at once for a document over the size limit (`size_limited`)."""

        def decorate(handler: Handler) -> Handler:
            if inspect.iscoroutinefunction(handler):

                @functools.wraps(handler)
                async def run_async(*args: Any) -> Any:
                    self._touch()
                    if size_limited and args and self.is_oversized(args[0]):
                        return fallback
                    try:
                        return await handler(*args)
                    except Exception:
                        logger.exception("feature %s failed", feature)
                        return fallback

                return cast(Handler, run_async)

            @functools.wraps(handler)
            def run(*args: Any) -> Any:
                self._touch()
                if size_limited and args and self.is_oversized(args[0]):
                    return fallback
                try:
                    return handler(*args)
                except Exception:
                    logger.exception("feature %s failed", feature)
                    return fallback

            return cast(Handler, run)

        return decorate


def create_server() -> PromptToolServer:
    """A new server with every feature registered; nothing is read until `initialize`."""
    from lsp_server.features import (
        code_actions,
        completion,
        configuration,
        definition,
        diagnostics,
        file_renames,
        folding,
        hover,
        inlay_hints,
        links,
        preview,
        references,
        rename,
        semantic_tokens,
        signature_help,
        symbols,
        workspace_diagnostics,
    )

    server = PromptToolServer()
    for feature in (
        configuration,
        diagnostics,
        symbols,
        folding,
        semantic_tokens,
        links,
        code_actions,
        completion,
        hover,
        definition,
        references,
        rename,
        file_renames,
        signature_help,
        inlay_hints,
        workspace_diagnostics,
        preview,
    ):
        feature.register(server)
    return server
