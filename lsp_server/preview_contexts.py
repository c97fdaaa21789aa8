"""The language server's previews: what they render with, and the two requests' answers.

What a preview in the editor renders with: templates as the editor has them, and contexts.

Templates: an open document's current text, else the file under the roots, else the
published version the configured scope resolves to (held in memory by `PublishedTemplates`),
so a preview never waits for the database per keystroke. Contexts are named by an id the
client sends back unchanged: `sample:PATH` (a sample file, its editor text when open),
`session:N` (a stored session of the configured database, read in a worker thread), or
`generated:SEED` (the contract-derived generator).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pygls.uris import from_fs_path, to_fs_path

from lsp_server.convert import (
    ClientText,
    lsp_position,
    lsp_preview,
    lsp_preview_contexts,
    lsp_preview_problem,
    split_lines,
)
from lsp_server.preview_renders import PreviewRenders
from lsp_server.published import PublishedTemplates
from lsp_server.server import PromptToolServer
from prompt_tool.analysis.diagnostics import Position
from prompt_tool.core.contract import PhaseContext
from prompt_tool.core.errors import PromptToolError
from prompt_tool.orchestration.preview import (
    Preview,
    TemplateLookup,
    TemplateOrigin,
    chained,
    files_lookup,
    generated_context,
    phase_of,
    render_preview,
    session_context,
)
from prompt_tool.orchestration.sample_files import (
    SampleFile,
    SampleProblem,
    check_sample,
    find_samples,
)
from prompt_tool.orchestration.template_resolver import DEFAULT_LABEL

SAMPLE, SESSION, GENERATED = "sample", "session", "generated"
RECENT_SESSIONS = 10


class ContextProblem(PromptToolError):
    """A context that cannot be used, with where the problem is when it is in a file (the
    column in the client's position encoding)."""

    def __init__(self, message: str, uri: str | None = None, line: int = 0, column: int = 0):
        super().__init__(message)
        self.uri = uri
        self.line = line
        self.column = column


@dataclass(frozen=True)
class ContextEntry:
    """One context a client can offer: the id to send back, and what to show."""

    id: str
    label: str
    kind: str
    phase: str | None
    detail: str


def workspace_lookup(server: PromptToolServer) -> TemplateLookup:
    """Open documents and files first (unsaved edits included), then published versions."""

    def read(name: str) -> tuple[str, str] | None:
        document = server.open_document(name)
        if document is not None:
            return document.source, document.uri
        path, text = server.files.find(name) or (None, None)
        if path is None or text is None:
            return None
        return text, from_fs_path(str(path)) or str(path)

    return chained(files_lookup(read), published_lookup(server.published))


def published_lookup(published: PublishedTemplates) -> TemplateLookup:
    def find(name: str, pin: str | None) -> tuple[str, TemplateOrigin] | None:
        found = published.version_for(f"{name}@{pin}" if pin else name)
        if found is None:
            return None
        return found[1].content, TemplateOrigin(name, found[1].version)

    return find


def samples(server: PromptToolServer) -> list[SampleFile]:
    globs = server.folder_analysis.sample_globs
    return find_samples(server.files.roots, server.folder, globs)


def list_contexts(server: PromptToolServer, phase: str | None) -> list[ContextEntry]:
    """Samples (those of `phase` first), then generated; sessions are added by the caller."""
    found = [
        ContextEntry(
            f"{SAMPLE}:{sample.path}",
            sample.name,
            SAMPLE,
            sample.phase,
            _relative(server, sample.path),
        )
        for sample in samples(server)
    ]
    found.sort(key=lambda entry: entry.phase != phase)
    found.append(ContextEntry(f"{GENERATED}:0", "generated sample", GENERATED, phase, "seed 0"))
    return found


def _relative(server: PromptToolServer, path: Path) -> str:
    folder = server.folder
    if folder is not None and path.is_relative_to(folder):
        return path.relative_to(folder).as_posix()
    return str(path)


def recent_sessions(url: str | None, project: str | None) -> list[ContextEntry]:
    """The configured project's newest sessions (blocking: call it in a worker thread)."""
    if url is None:
        return []
    from prompt_tool.db.db_utils import DatabaseManager
    from prompt_tool.orchestration.session_manager import SessionFilter, SessionManager

    manager = DatabaseManager(url)
    try:
        manager.check_schema()
        with manager.session() as session:
            rows = SessionManager(session).list(
                SessionFilter(project=project, limit=RECENT_SESSIONS)
            )
            return [
                ContextEntry(
                    f"{SESSION}:{row.id}",
                    f"session {row.id}: {row.feature_name}",
                    SESSION,
                    row.phase,
                    f"{row.project.name} · {row.phase} · {row.status}",
                )
                for row in rows
            ]
    except PromptToolError:
        return []
    finally:
        manager.dispose()


def load_context(server: PromptToolServer, choice: str, phase: str) -> PhaseContext:
    """A sample's or generated context for `phase`; `ContextProblem` says why it cannot be used
    (a session's is read by `read_session_context`, in a worker thread)."""
    kind, _colon, value = choice.partition(":")
    if kind == SAMPLE:
        return _sample(server, Path(value), phase)
    if kind == GENERATED and value.isdigit():
        try:
            variables = server.folder_analysis.project_variables
            return generated_context(phase, int(value), variables)
        except PromptToolError as error:
            raise ContextProblem(str(error)) from None
    raise ContextProblem(f"unknown preview context {choice!r}")


def _sample(server: PromptToolServer, path: Path, phase: str) -> PhaseContext:
    uri = from_fs_path(str(path)) or str(path)
    known = {sample.path: sample for sample in samples(server)}
    sample = known.get(path)
    if sample is None:
        raise ContextProblem(f"{path}: not a sample of this workspace")
    if sample.phase is not None and sample.phase != phase:
        raise ContextProblem(
            f"sample {sample.name} is for the {sample.phase} phase; this template renders "
            f"as {phase}",
            uri,
        )
    document = server.workspace.text_documents.get(uri)
    try:
        text = document.source if document is not None else path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise ContextProblem(f"{path}: cannot read: {error}", uri) from None
    checked = check_sample(text, phase)
    if isinstance(checked, SampleProblem):
        where = Position(checked.line, checked.column)
        start = lsp_position(where, ClientText(split_lines(text), server.encoding))
        raise ContextProblem(checked.message, uri, start.line, start.character)
    return checked


def read_session_context(url: str | None, session_id: int, phase: str) -> PhaseContext:
    """A stored session's context for `phase` (blocking: call it in a worker thread)."""
    if url is None:
        raise ContextProblem("no database configured (promptTool.databaseUrl)")
    from prompt_tool.db.db_utils import DatabaseManager

    manager = DatabaseManager(url)
    try:
        manager.check_schema()
        with manager.session() as session:
            return session_context(session, session_id, phase)
    except PromptToolError as error:
        raise ContextProblem(str(error)) from None
    finally:
        manager.dispose()


def path_of(uri: str) -> Path | None:
    found = to_fs_path(uri)
    return Path(found) if found else None


@dataclass(frozen=True)
class PreviewRequest:
    """`{"textDocument": {"uri"}, "context"?: id, "phase"?: name}`."""

    uri: str
    context: str | None = None
    phase: str | None = None


def parse_request(params: Any) -> PreviewRequest:
    """The request's fields, from the dict (or named tuple) the JSON-RPC layer hands over."""
    data = _plain(params)
    document = data.get("textDocument") if isinstance(data, dict) else None
    uri = document.get("uri") if isinstance(document, dict) else None
    if not isinstance(uri, str):
        raise ContextProblem("params.textDocument.uri: expected a document URI")
    context, phase = data.get("context"), data.get("phase")
    return PreviewRequest(
        uri,
        context if isinstance(context, str) and context else None,
        phase if isinstance(phase, str) and phase else None,
    )


def _plain(value: Any) -> Any:
    if hasattr(value, "_asdict"):
        value = value._asdict()
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    return value


async def answer_contexts(server: PromptToolServer, request: PreviewRequest) -> dict[str, Any]:
    """`promptTool/previewContexts`: samples, the generated sample, recent sessions."""
    document = server.workspace.get_text_document(request.uri)
    try:
        phase: str | None = phase_of(
            document.source, server.template_name(request.uri), request.phase
        )
    except PromptToolError:
        phase = None
    settings = server.settings
    sessions = await asyncio.to_thread(recent_sessions, settings.database_url, settings.project)
    return lsp_preview_contexts(phase, [*list_contexts(server, phase), *sessions])


async def answer_preview(
    server: PromptToolServer, request: PreviewRequest, renders: PreviewRenders
) -> dict[str, Any]:
    """`promptTool/preview`: the document's current text rendered with the chosen context.

    Waits for a render of an older version of the same document and context, then renders
    the version current by then (see `PreviewRenders`).
    """
    name = server.template_name(request.uri)
    choice = request.context or f"{GENERATED}:0"
    try:
        source = server.workspace.get_text_document(request.uri).source
        phase = phase_of(source, name, request.phase)
        context = await _context(server, choice, phase)
    except ContextProblem as problem:
        return lsp_preview_problem(
            request.uri, choice, str(problem), problem.uri, problem.line, problem.column
        )
    except PromptToolError as problem:
        return lsp_preview_problem(request.uri, choice, str(problem), None, 0, 0)
    while True:
        document = server.workspace.get_text_document(request.uri)
        # The document object changes in place on didChange: keep the text and version.
        own, version = (document.source, document.uri), document.version
        key = (request.uri, version, choice, phase)
        pending = renders.shared(key)
        if pending is not None or not await renders.wait_for_lane(key):
            break
    if pending is None:
        lookup = chained(
            lambda wanted, pin: (
                (own[0], TemplateOrigin(name, None, own[1]))
                if wanted == name and not (pin or "").isdigit()
                else None
            ),
            workspace_lookup(server),
        )
        pending = renders.start(key, lambda: _rendered(server, lookup, name, context))
    result = await asyncio.shield(pending)
    return lsp_preview(request.uri, version, phase, choice, result, lambda o: _uri_of(server, o))


async def _rendered(
    server: PromptToolServer,
    lookup: TemplateLookup,
    name: str,
    context: PhaseContext,
) -> Preview:
    """The render, on a worker thread; the analyser re-checks the templates an edit affects
    (twenty partials of a long template) only after it, so they do not share the
    interpreter with it (the edited document's own diagnostics still run alongside)."""
    folder = server.folder_analysis
    with server.runner.previewing(name):
        return await asyncio.to_thread(
            render_preview,
            lookup,
            DEFAULT_LABEL,
            name,
            context,
            counter=folder.token_counter,
            budget=folder.render_budget,
        )


def _uri_of(server: PromptToolServer, origin: TemplateOrigin) -> str | None:
    """A file's URI; a published version's read-only copy (written once per version)."""
    if origin.path is not None:
        return origin.path
    reference = f"{origin.name}@{origin.version}" if origin.version else origin.name
    return server.target_uri(reference)


async def _context(server: PromptToolServer, choice: str, phase: str) -> PhaseContext:
    kind, _colon, value = choice.partition(":")
    if kind == SESSION and value.isdigit():
        url = server.settings.database_url
        return await asyncio.to_thread(read_session_context, url, int(value), phase)
    return load_context(server, choice, phase)
