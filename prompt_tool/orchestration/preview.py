"""Preview: render one template exactly as a session's phase would, and map its output lines.

The text comes from the orchestrator's own `render_template` on an engine built by the same
factory (`engine_over`), with the context object the orchestrator builds (`phase_context` for
a stored session) or one built from the same contract dataclasses (a JSON file, a sample).
What differs is where templates come from: a `TemplateLookup` answers each name, so a file on
disk (or an editor's unsaved text) can take the place of its published version, and every
name falls back to the slots a session resolves through (`ScopeCatalog.lookup`).

The engine compiles with the source-map code generator, so each output line can be traced
to the template, version (or file) and line that wrote it. Previews share that engine and
keep compiled templates by name and source; the previewed template is compiled chunk by
chunk, so a preview after an edit compiles about one top-level statement
(`preview_compile`).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

from jinja2 import Environment, TemplateNotFound
from sqlalchemy.orm import Session

from prompt_tool.ab_testing.variant_selector import VariantChoice, VariantSelector
from prompt_tool.analysis.parsing import split_pin
from prompt_tool.core.budget import RenderBudget
from prompt_tool.core.contract import CONTEXT_CLASSES, PARTIAL, PhaseContext
from prompt_tool.core.contract_values import ContractValueError, build, locate, parse_json
from prompt_tool.core.errors import NotFoundError, UsageError, ValidationError
from prompt_tool.core.source_map import (
    Origin,
    TracedRender,
    split_output_lines,
)
from prompt_tool.core.templating import TemplateRenderError
from prompt_tool.core.token_count import DEFAULT_COUNTER, TokenCounter
from prompt_tool.db.models import RUN_PHASES, OrchestrationSession, Prompt
from prompt_tool.orchestration.db_loader import LabelledLoader
from prompt_tool.orchestration.orchestrator import Orchestrator, render_template
from prompt_tool.orchestration.preview_compile import preview_engine, serving
from prompt_tool.orchestration.project_manager import ProjectManager
from prompt_tool.orchestration.sample_contexts import sample_context
from prompt_tool.orchestration.session_manager import SessionManager
from prompt_tool.orchestration.template_files import (
    header_phase,
    include_name_of_file,
    path_phase,
    read_template_text,
)
from prompt_tool.orchestration.template_resolver import (
    DEFAULT_LABEL,
    ScopeCatalog,
    TemplateResolver,
    is_version_pin,
)


@dataclass(frozen=True)
class TemplateOrigin:
    """Which template text was rendered: a published version (0: built-in) or a file."""

    name: str
    version: int | None = None
    path: str | None = None

    def describe(self) -> str:
        if self.path is not None:
            return self.path
        if self.version == 0:
            return f"{self.name} (built-in)"
        return f"{self.name} v{self.version}"


TemplateLookup = Callable[[str, str | None], tuple[str, TemplateOrigin] | None]
"""(name, pin or inherited label) → (source, origin), or None when nothing holds it."""


class MappedLine(NamedTuple):
    """Where one output line came from (0-based line in the template), if known (a tuple:
    a preview makes one per output line)."""

    template: TemplateOrigin | None
    line: int | None


@dataclass(frozen=True)
class PreviewError:
    """Why a render failed, and the template line it failed at when that is known."""

    message: str
    template: TemplateOrigin | None
    line: int | None


@dataclass(frozen=True)
class Preview:
    """A rendered prompt, its size, and the source of each of its lines."""

    text: str
    lines: tuple[MappedLine, ...]
    characters: int
    tokens: int
    token_counter: str
    error: PreviewError | None


class PreviewLoader(LabelledLoader):
    """One preview's templates: serves what `lookup` finds, remembering the origin of every
    template it served; `chunked` names the template compiled chunk by chunk (the edited
    one). Previews render on a shared engine (`preview_compile.serving`)."""

    def __init__(self, label: str, lookup: TemplateLookup, chunked: str | None = None) -> None:
        super().__init__(label)
        self.lookup = lookup
        self.origins: dict[str, TemplateOrigin] = {}
        self.chunked = chunked
        """The template compiled chunk by chunk (the one being edited), if any."""

    def get_source(
        self, environment: Environment, template: str
    ) -> tuple[str, str | None, Callable[[], bool]]:
        key = self.qualify(template)
        base, pin = split_pin(key)
        found = self.lookup(base, pin)
        if found is None:
            raise TemplateNotFound(template)
        source, origin = found
        self.origins[key] = self.origins[template] = origin
        return source, None, lambda: True


def render_preview(
    lookup: TemplateLookup,
    label: str,
    name: str,
    context: PhaseContext,
    counter: TokenCounter = DEFAULT_COUNTER,
    budget: RenderBudget | None = None,
) -> Preview:
    """Render `name` with `context` as a session would; a render error is part of the answer."""
    loader = PreviewLoader(label, lookup, chunked=name)
    engine = preview_engine(label, budget)
    trace = TracedRender()
    error: PreviewError | None = None
    try:
        with serving(loader):
            text = render_template(engine, name, context, trace)
    except TemplateRenderError as failure:
        text = trace.text
        at = trace.failed_at
        origin = loader.origins.get(at.template) if at is not None else None
        error = PreviewError(str(failure), origin, at.line - 1 if at is not None else None)
    lines = tuple(_mapped(loader.origins, origin) for origin in trace.line_origins())
    return Preview(text, lines, len(text), counter(text), counter.name, error)


def _mapped(origins: dict[str, TemplateOrigin], origin: Origin | None) -> MappedLine:
    if origin is None:
        return MappedLine(None, None)
    return MappedLine(origins.get(origin.template), origin.line - 1)


def output_lines(preview: Preview) -> list[str]:
    """The preview's text cut into the lines its source map describes."""
    return split_output_lines(preview.text)


def chained(*lookups: TemplateLookup) -> TemplateLookup:
    """The first lookup that finds a name serves it."""

    def find(name: str, pin: str | None) -> tuple[str, TemplateOrigin] | None:
        for lookup in lookups:
            found = lookup(name, pin)
            if found is not None:
                return found
        return None

    return find


def files_lookup(read: Callable[[str], tuple[str, str] | None]) -> TemplateLookup:
    """Templates being edited (`read(name)` → (text, path)); a version pin (`@3`) still asks
    for that published version, a bare name or a label pin takes the file."""

    def find(name: str, pin: str | None) -> tuple[str, TemplateOrigin] | None:
        if is_version_pin(pin):
            return None
        found = read(name)
        return (found[0], TemplateOrigin(name, None, found[1])) if found is not None else None

    return find


def folder_reader(root: Path) -> Callable[[str], tuple[str, str] | None]:
    """Template files under `root`, by include name (the path relative to it)."""

    def read(name: str) -> tuple[str, str] | None:
        path = root / name
        if not path.is_file():
            return None
        try:
            return path.read_text(encoding="utf-8"), str(path)
        except (OSError, UnicodeDecodeError):
            return None

    return read


def catalog_lookup(catalog: ScopeCatalog) -> TemplateLookup:
    """Published templates through the slots a session resolves through; `pin` is the version
    or label an include names, else the label it inherits (a missing label: the newest)."""

    def find(name: str, pin: str | None) -> tuple[str, TemplateOrigin] | None:
        if is_version_pin(pin):
            catalog.load_versions([(name, int(pin or 0))])
        prompt, _slot = catalog.lookup(name, pin, "")
        if prompt is None:
            return None
        return prompt.content, TemplateOrigin(name, prompt.version)

    return find


def version_lookup(prompt: Prompt) -> TemplateLookup:
    """`prompt` itself under its bare name: the version a resolution chose for a phase (an
    experiment variant's included), which the label alone would not find."""

    def find(name: str, pin: str | None) -> tuple[str, TemplateOrigin] | None:
        if name != prompt.name or is_version_pin(pin):
            return None
        return prompt.content, TemplateOrigin(name, prompt.version)

    return find


def phase_of(source: str, include_name: str, phase: str | None) -> str:
    """The phase whose context a template renders with: `--phase`, else its header or path."""
    found = phase or header_phase(source, include_name) or path_phase(include_name)
    if found is None or found == PARTIAL:
        what = "a partial" if found == PARTIAL else "not tied to a phase"
        raise UsageError(
            f"{include_name} is {what}: give --phase ({', '.join(RUN_PHASES)}) to choose "
            "the context it renders with"
        )
    if found not in CONTEXT_CLASSES:
        raise UsageError(f"unknown phase {found!r} (known: {', '.join(RUN_PHASES)})")
    return found


def context_from_json(phase: str, data: object) -> PhaseContext:
    """A phase's context from parsed JSON, checked field by field against the contract."""
    context: PhaseContext = build(CONTEXT_CLASSES[phase], data)
    return context


def session_context(session: Session, session_id: int, phase: str) -> PhaseContext:
    """The context the orchestrator builds for a stored session's `phase`."""
    row = SessionManager(session).get(session_id)
    return Orchestrator(session).phase_context(row, phase)


@dataclass(frozen=True)
class SessionChoice:
    """Render with a stored session's real context."""

    session_id: int


@dataclass(frozen=True)
class JsonChoice:
    """Render with a context written as JSON (a file, or a sample kept in the repository)."""

    text: str
    where: str


@dataclass(frozen=True)
class SampleChoice:
    """Render with a context generated from the contract types."""

    seed: int = 0


ContextChoice = SessionChoice | JsonChoice | SampleChoice


@dataclass(frozen=True)
class PreviewOutcome:
    """A preview and what it rendered: the template, the phase, the scope and the context."""

    preview: Preview
    target: TemplateOrigin
    phase: str
    project: str | None
    feature_type: str | None
    label: str
    context: str


class PreviewService:
    """Previews against a database: templates through a scope's slots, files over them."""

    def __init__(self, session: Session, budget: RenderBudget | None = None) -> None:
        self.session = session
        self.budget = budget

    def preview(
        self,
        target: str,
        choice: ContextChoice,
        *,
        project: str | None = None,
        feature_type: str | None = None,
        label: str | None = None,
        phase: str | None = None,
        counter: TokenCounter = DEFAULT_COUNTER,
    ) -> PreviewOutcome:
        """Render `target` (a template file, a phase, or a stored template's name).

        With a session, its project, feature type and label are the defaults of the scope.
        """
        variant: VariantChoice | None = None
        if isinstance(choice, SessionChoice):
            row = SessionManager(self.session).get(choice.session_id)
            variant = _session_variant(self.session, row, project, feature_type, label)
            project = project or row.project.name
            feature_type = feature_type or row.feature_type
            label = label or str((row.render_inputs or {}).get("label", DEFAULT_LABEL))
        label = label or DEFAULT_LABEL
        resolver = TemplateResolver(self.session)
        catalog = resolver.catalog(project, feature_type)
        lookup = catalog_lookup(catalog)
        path = Path(target)
        if path.is_file():
            include_name = include_name_of_file(path)
            source = read_template_text(path)
            root = _root_of(path, include_name)
            lookup = chained(files_lookup(folder_reader(root)), lookup)
            origin = TemplateOrigin(include_name, None, str(path))
            name, phase = include_name, phase_of(source, include_name, phase)
        elif target in RUN_PHASES:
            overrides = variant.strategy if variant is not None else None
            prompt = resolver.resolve(project, feature_type, label, overrides).phase_prompt(target)
            lookup = chained(version_lookup(prompt), lookup)
            origin = TemplateOrigin(prompt.name, prompt.version)
            name, phase = prompt.name, phase or target
        else:
            found, _slot = catalog.lookup(target, None, label)
            if found is None:
                raise NotFoundError(
                    f"{target}: no such file, phase or template in scope "
                    f"{project or '(global)'}{f' / {feature_type}' if feature_type else ''}"
                )
            origin = TemplateOrigin(found.name, found.version)
            name, phase = found.name, phase_of(found.content, found.name, phase or found.phase)
        context, described = self._context(choice, phase, project)
        if variant is not None:
            described += f" (experiment {variant.experiment}, variant {variant.variant})"
        preview = render_preview(lookup, label, name, context, counter, self.budget)
        return PreviewOutcome(preview, origin, phase, project, feature_type, label, described)

    def _context(
        self, choice: ContextChoice, phase: str, project: str | None
    ) -> tuple[PhaseContext, str]:
        if isinstance(choice, SessionChoice):
            context = session_context(self.session, choice.session_id, phase)
            return context, f"session {choice.session_id}"
        if isinstance(choice, JsonChoice):
            return json_context(phase, choice.text, choice.where), choice.where
        variables = ProjectManager(self.session).get(project).variables if project else None
        context = generated_context(phase, choice.seed, variables)
        return context, f"a generated sample (seed {choice.seed})"


def _session_variant(
    session: Session,
    row: OrchestrationSession,
    project: str | None,
    feature_type: str | None,
    label: str | None,
) -> VariantChoice | None:
    """The experiment variant `row` was assigned, when the preview keeps the session's scope:
    its phase templates are the variant's, as they were for the session's own renders. A
    scope or label given on the command line asks for another resolution, without it."""
    kept = (
        project in (None, row.project.name)
        and feature_type in (None, row.feature_type)
        and label in (None, (row.render_inputs or {}).get("label", DEFAULT_LABEL))
    )
    return VariantSelector(session).recorded(row) if kept else None


def json_context(phase: str, text: str, where: str) -> PhaseContext:
    """A context from JSON text; a problem is one line naming `where`, line, column and path."""
    data = parse_json(text, where)
    try:
        return context_from_json(phase, data)
    except ContractValueError as error:
        line, column = locate(text, error.path)
        raise ValidationError(f"{where}:{line + 1}:{column + 1}: {error}") from None


def generated_context(
    phase: str, seed: int, variables: Mapping[str, Any] | None = None
) -> PhaseContext:
    """A context generated from the contract types by the render-safety test's generator;
    the same seed gives the same context. `variables` are the project's, when known."""
    return sample_context(phase, random.Random(seed), variables=variables)


def _root_of(path: Path, include_name: str) -> Path:
    """The folder include names are relative to: `path` without its include name's parts."""
    root = path
    for _part in Path(include_name).parts:
        root = root.parent
    return root
