"""Takes a feature through planning → analysis → implementation on versioned templates.

A session is created from the versions the resolver picks for its scope and label; every
version it renders with (phase templates and the partials they include) is recorded, so a
later render reads the same rows and gives the same text whatever was published since.
Render contexts are built only through the contract dataclasses (`to_render_mapping`).

A phase's output is an `Execution` of that phase: a runner's successful run, or an output
the user supplied, recorded as exit status 0 with no duration (nothing ran).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from jinja2 import Environment
from jinja2.bccache import Bucket, BytecodeCache
from sqlalchemy import select
from sqlalchemy.orm import Session

from prompt_tool.ab_testing.experiment_manager import record_runner_outcome
from prompt_tool.ab_testing.variant_selector import (
    VariantChoice,
    VariantSelector,
    session_variant_id,
)
from prompt_tool.core.budget import RenderBudget
from prompt_tool.core.contract import (
    AnalysisContext,
    FeatureInfo,
    FileInfo,
    ImplementationContext,
    PhaseContext,
    PhaseOutput,
    PlanningContext,
    ProjectInfo,
    SessionInfo,
    to_render_mapping,
)
from prompt_tool.core.errors import ConflictError, UsageError, ValidationError
from prompt_tool.core.source_map import TracedRender
from prompt_tool.core.templating import TemplateEngine, TemplateRenderError
from prompt_tool.db.models import Execution, OrchestrationSession, Prompt
from prompt_tool.orchestration.db_loader import engine_for as loader_engine
from prompt_tool.orchestration.defaults import read_default_templates
from prompt_tool.orchestration.project_manager import (
    ProjectManager,
    parse_variable_value,
    validate_variable_name,
)
from prompt_tool.orchestration.render_check import RenderCheck, RenderRefused
from prompt_tool.orchestration.runner import RunResult
from prompt_tool.orchestration.session_files import (
    files_from_json,
    files_to_json,
    merged_files,
    summarize,
)
from prompt_tool.orchestration.session_manager import SessionManager
from prompt_tool.orchestration.template_files import TemplateSpec
from prompt_tool.orchestration.template_manager import OrchestrationTemplateManager
from prompt_tool.orchestration.template_resolver import (
    DEFAULT_LABEL,
    Resolution,
    TemplateResolver,
)


class CompiledTemplateCache(BytecodeCache):
    """Compiled templates shared by every engine the orchestrator builds, in memory.

    Versions are immutable and every engine has the same settings, so a template compiled
    once serves each later session; the key covers the name (includes are joined to it) and
    the exact source, so a changed source can never reuse stale code.
    """

    def __init__(self, capacity: int = 512) -> None:
        self.capacity = capacity
        self.compiled: dict[str, bytes] = {}

    def get_bucket(
        self, environment: Environment, name: str, filename: str | None, source: str
    ) -> Bucket:
        checksum = self.get_source_checksum(source)
        bucket = Bucket(environment, f"{self.get_cache_key(name, filename)}-{checksum}", checksum)
        self.load_bytecode(bucket)
        return bucket

    def load_bytecode(self, bucket: Bucket) -> None:
        found = self.compiled.get(bucket.key)
        if found is not None:
            bucket.bytecode_from_string(found)

    def dump_bytecode(self, bucket: Bucket) -> None:
        if len(self.compiled) >= self.capacity:
            self.compiled.clear()
        self.compiled[bucket.key] = bucket.bytecode_to_string()


COMPILED = CompiledTemplateCache()

NEXT_PHASE: dict[str, str | None] = {
    "orchestrator": "analysis",
    "analysis": "implementation",
    "implementation": None,
}
DEFAULT_FEATURE_TYPE = "feature"
REASON_LENGTH = 500


def engine_for(resolution: Resolution, budget: RenderBudget | None = None) -> TemplateEngine:
    """The sandboxed engine serving `resolution`'s versions, with the shared compiled cache."""
    engine = loader_engine(resolution, budget=budget)
    engine.environment.bytecode_cache = COMPILED
    return engine


def render_template(
    engine: TemplateEngine, name: str, context: PhaseContext, trace: TracedRender | None = None
) -> str:
    """The one way a phase template renders: the contract's names, through `engine`.

    Previews call it too (with `trace`), so what they show is what a session sends.
    """
    mapping = to_render_mapping(context)
    if trace is None:
        return engine.render(name, mapping)
    return engine.render_traced(name, mapping, trace)


def parse_variables(pairs: Sequence[str]) -> dict[str, Any]:
    """`k=v` pairs as a dict; values are JSON when they parse, else strings."""
    variables: dict[str, Any] = {}
    for pair in pairs:
        key, equals, raw = pair.partition("=")
        if not equals:
            raise UsageError(f"--var {pair!r}: expected NAME=VALUE")
        try:
            validate_variable_name(key)
        except ValidationError as error:
            raise UsageError(f"--var {pair!r}: {error}") from None
        variables[key] = parse_variable_value(raw)
    return variables


def one_line(reason: str) -> str:
    """`reason` on one line, shortened: what `status_reason` stores and the CLI prints."""
    flat = " ".join(reason.split())
    return flat if len(flat) <= REASON_LENGTH else flat[: REASON_LENGTH - 1] + "…"


def rendered_text(row: OrchestrationSession, phase: str) -> str | None:
    text: str | None = getattr(row, f"{phase}_prompt")
    return text


def phase_prompt_id(row: OrchestrationSession, phase: str) -> int | None:
    prompt_id: int | None = getattr(row, f"{phase}_prompt_id")
    return prompt_id


@dataclass(frozen=True)
class AdvanceResult:
    """What one `advance` did: the output it recorded and where the session is now."""

    session: OrchestrationSession
    finished_phase: str
    execution: Execution


class Orchestrator:
    """Owns no transaction: the caller's `DatabaseManager.session()` commits or rolls back."""

    def __init__(
        self,
        session: Session,
        defaults: Sequence[TemplateSpec] | None = None,
        *,
        budget: RenderBudget | None = None,
        render_check: RenderCheck | None = None,
    ) -> None:
        self.session = session
        self.sessions = SessionManager(session)
        self.defaults = defaults
        self.budget = budget
        self.render_check = render_check
        self.refused: tuple[str, ...] = ()

    def create_planning_session(
        self,
        project: str,
        feature: str,
        feature_type: str | None = None,
        label: str = DEFAULT_LABEL,
        variables: Mapping[str, Any] | None = None,
        description: str | None = None,
        acceptance_criteria: Sequence[str] = (),
        files: Sequence[FileInfo] = (),
        unit_key: str | None = None,
    ) -> OrchestrationSession:
        """Resolve, record the versions, render the planning prompt and store the session.

        A planning render that fails still stores the session, `failed` with the reason;
        a pre-render check that refuses any phase template stores nothing (`RenderRefused`).
        A running experiment covering the scope replaces the resolver's choice with the
        strategy of the variant its unit (`unit_key`, else the experiment's default) is
        assigned; only `production` traffic takes part, an explicit other label does not.
        """
        project_row = ProjectManager(self.session).get(project)
        for name in variables or {}:
            validate_variable_name(name)
        choice = None
        if label == DEFAULT_LABEL:
            choice = VariantSelector(self.session).choose(
                project_row, feature, feature_type, unit_key
            )
        resolution = self._resolve(project, feature_type, label, choice)
        phase_rows = {phase: resolution.phase_prompt(phase) for phase in NEXT_PHASE}
        session_variables = {**project_row.variables, **(variables or {})}
        self._check(resolution, phase_rows, session_variables)
        row = OrchestrationSession(
            project=project_row,
            feature_name=feature,
            feature_description=description,
            feature_type=feature_type,
            orchestrator_prompt_id=phase_rows["orchestrator"].id,
            analysis_prompt_id=phase_rows["analysis"].id,
            implementation_prompt_id=phase_rows["implementation"].id,
            template_versions={key: p.id for key, p in resolution.templates().items()},
            render_inputs={
                "label": label,
                "acceptance_criteria": list(acceptance_criteria),
                "variables": session_variables,
                "project_description": project_row.description or "",
                "files": files_to_json(merged_files([], files)),
            },
            variant_assignments=choice.as_record() if choice is not None else {},
        )
        self.session.add(row)
        self.session.flush()
        engine = engine_for(resolution, self.budget)
        self._store_render(
            row,
            "orchestrator",
            lambda: self._render(engine, row, "orchestrator", phase_rows),
            is_checked=True,
        )
        return row

    def _resolve(
        self,
        project: str | None,
        feature_type: str | None,
        label: str,
        choice: VariantChoice | None = None,
    ) -> Resolution:
        """Resolve; a built-in default never stored is installed first, so FKs can point at it.

        Only the unsaved defaults are published: publishing every default would stack a new
        global version over a customised global template of the same name.
        """
        resolver = TemplateResolver(self.session, self.defaults)
        overrides = choice.strategy if choice is not None else None
        reason = f"experiment {choice.experiment}, variant {choice.variant}" if choice else ""
        resolution = resolver.resolve(project, feature_type, label, overrides, reason)
        unsaved = {p.name for p in resolution.templates().values() if p.id is None}
        if not unsaved:
            return resolution
        defaults = read_default_templates() if self.defaults is None else self.defaults
        specs = [spec for spec in defaults if spec.name in unsaved]
        OrchestrationTemplateManager(self.session, self.defaults).publish_specs(
            specs, None, None, message="built-in defaults", author="prompt-tool"
        )
        return resolver.resolve(project, feature_type, label, overrides, reason)

    def record_run(self, session_id: int, result: RunResult) -> Execution:
        """Record a runner's run of the current phase's prompt, failed or not."""
        row = self._active(session_id)
        text = self.prompt_for(row, row.phase)
        execution = self.sessions.record_execution(
            row, row.phase, phase_prompt_id(row, row.phase), text, result, session_variant_id(row)
        )
        record_runner_outcome(self.session, row, result.is_success)
        return execution

    def current_prompt(self, session_id: int) -> tuple[str, str]:
        """The current phase and its rendered prompt, rendering it first for a legacy session."""
        row = self._active(session_id)
        return row.phase, self.prompt_for(row, row.phase)

    def advance(
        self, session_id: int, output: str | None = None, files: Sequence[FileInfo] = ()
    ) -> AdvanceResult:
        """Record the current phase's output and render the next phase (or complete).

        Without `output`, the newest successful run of the current phase is its output.
        `files` join the session's files (a path given again replaces its entry). If the
        next phase's render fails the session moves to it anyway, `failed` with the reason:
        the output is kept and `retry` renders the phase again.
        """
        row = self._active(session_id)
        if files:
            self._set_inputs(row, files=files_to_json(merged_files(self._files(row), files)))
        phase = row.phase
        text = self.prompt_for(row, phase)
        if output is None:
            execution = self._last_success(row, phase)
        else:
            execution = Execution(
                session=row,
                prompt_id=phase_prompt_id(row, phase),
                phase=phase,
                input=text,
                output=output,
                exit_status=0,
                duration_ms=None,
                variant_id=session_variant_id(row),
            )
            self.session.add(execution)
            self.session.flush()
        following = NEXT_PHASE[phase]
        if following is None:
            row.status = "completed"
        else:
            row.phase = following
            self._store_render(row, following, lambda: self.render_phase(row, following))
        self.session.flush()
        return AdvanceResult(row, phase, execution)

    def retry(self, session_id: int, re_resolve: bool = False) -> OrchestrationSession:
        """Render the current phase again as a new attempt; a failed session becomes active.

        With `re_resolve`, the current and later phases first take the versions resolved now
        (for the session's scope and label), recorded on the session; earlier phases keep
        the versions they rendered with. Without it the recorded versions render again.
        """
        row = self.sessions.get(session_id)
        if row.status not in ("active", "failed"):
            raise ConflictError(f"session {session_id} is {row.status}: there is nothing to retry")
        phase = row.phase
        if re_resolve:
            self._re_resolve(row, phase)
        inputs = row.render_inputs or {}
        attempts = dict(inputs.get("attempts") or {})
        attempts[phase] = self._attempt(row, phase) + 1
        history = [*(inputs.get("retries") or []), {"phase": phase, "re_resolve": re_resolve}]
        self._set_inputs(row, attempts=attempts, retries=history)
        self._store_render(row, phase, lambda: self.render_phase(row, phase))
        return row

    def cancel(self, session_id: int, reason: str | None = None) -> OrchestrationSession:
        """Stop a session for good: it is `cancelled` and can no longer advance or retry."""
        row = self.sessions.get(session_id)
        if row.status in ("completed", "cancelled"):
            raise ConflictError(f"session {session_id} is {row.status} already")
        row.status = "cancelled"
        row.status_reason = one_line(reason or f"cancelled in the {row.phase} phase")
        self.session.flush()
        return row

    def _re_resolve(self, row: OrchestrationSession, phase: str) -> None:
        if row.template_versions is None:
            return  # a legacy session resolves afresh on every render already
        label = (row.render_inputs or {}).get("label", DEFAULT_LABEL)
        choice = VariantSelector(self.session).recorded(row)
        resolution = self._resolve(row.project.name, row.feature_type, label, choice)
        order = list(NEXT_PHASE)
        for later in order[order.index(phase) :]:
            setattr(row, f"{later}_prompt_id", resolution.phase_prompt(later).id)
        row.template_versions = {
            **row.template_versions,
            **{key: p.id for key, p in resolution.templates().items()},
        }

    def _check(
        self, resolution: Resolution, phase_rows: Mapping[str, Prompt], variables: Mapping[str, Any]
    ) -> None:
        """Raise `RenderRefused` when the pre-render check finds errors in `phase_rows`."""
        if self.render_check is None:
            return
        problems = self.render_check(resolution, phase_rows, variables)
        if problems:
            raise RenderRefused(problems)

    def _check_recorded(self, row: OrchestrationSession, phase: str) -> None:
        """Check `phase` and the later phases of `row`, from the versions it recorded.

        The phases still to render are checked together, as `plan` checks all three: a
        version recorded now is the one a later phase renders.
        """
        if self.render_check is None or row.template_versions is None:
            return  # a legacy session renders its own text, not published versions
        resolution = self._recorded_resolution(row)
        order = list(NEXT_PHASE)
        remaining = set(order[order.index(phase) :])
        phase_rows = {
            key: prompt
            for key, prompt in self._phase_rows(row, resolution).items()
            if key in remaining
        }
        variables = (row.render_inputs or {}).get("variables", row.project.variables)
        self._check(resolution, phase_rows, variables)

    def _store_render(
        self,
        row: OrchestrationSession,
        phase: str,
        render: Callable[[], str],
        *,
        is_checked: bool = False,
    ) -> None:
        """Store `phase`'s rendered prompt, or mark the session failed with the one-line reason.

        A refused pre-render check fails it the same way, its first diagnostic as the reason
        (all of them in `refused`, for the caller to print).
        """
        self.refused = ()
        try:
            if not is_checked:
                self._check_recorded(row, phase)
            text = render()
        except RenderRefused as error:
            self.refused = error.problems
            self._fail_render(row, phase, f"the {phase} render was refused: {error.problems[0]}")
        except TemplateRenderError as error:
            self._fail_render(row, phase, f"the {phase} render failed: {error}")
        else:
            setattr(row, f"{phase}_prompt", text)
            if row.status == "failed":
                row.status, row.status_reason = "active", None
        self.session.flush()

    def _fail_render(self, row: OrchestrationSession, phase: str, reason: str) -> None:
        """The session fails; in an experiment that is its variant's failure too (a strategy
        whose prompt cannot render must not look better by dropping out of the report)."""
        setattr(row, f"{phase}_prompt", None)
        row.status = "failed"
        row.status_reason = one_line(reason)
        record_runner_outcome(self.session, row, False, note=row.status_reason)

    def _set_inputs(self, row: OrchestrationSession, **changes: Any) -> None:
        """JSON columns are not change-tracked in place: assign a new mapping."""
        row.render_inputs = {**(row.render_inputs or {}), **changes}

    def _files(self, row: OrchestrationSession) -> list[FileInfo]:
        return files_from_json((row.render_inputs or {}).get("files"))

    def _attempt(self, row: OrchestrationSession, phase: str) -> int:
        attempts = (row.render_inputs or {}).get("attempts") or {}
        return int(attempts.get(phase, 1))

    def prompt_for(self, row: OrchestrationSession, phase: str) -> str:
        stored = rendered_text(row, phase)
        if stored is None:
            stored = self.render_phase(row, phase)
            setattr(row, f"{phase}_prompt", stored)
        return stored

    def render_phase(self, row: OrchestrationSession, phase: str) -> str:
        """Render `phase` for `row` from the versions it recorded (legacy: its own text)."""
        if row.template_versions is not None:
            resolution = self._recorded_resolution(row)
            phase_rows = self._phase_rows(row, resolution)
            return self._render(engine_for(resolution, self.budget), row, phase, phase_rows)
        return self._render_legacy(row, phase)

    def _recorded_resolution(self, row: OrchestrationSession) -> Resolution:
        versions = row.template_versions or {}
        ids = {int(value) for value in versions.values()}
        prompts = {p.id: p for p in self.session.scalars(select(Prompt).where(Prompt.id.in_(ids)))}
        inputs = row.render_inputs or {}
        resolution = Resolution(
            row.project.name, row.feature_type, inputs.get("label", DEFAULT_LABEL), {}
        )
        resolution.includes = {key: prompts[int(pid)] for key, pid in versions.items()}
        return resolution

    def _phase_rows(self, row: OrchestrationSession, resolution: Resolution) -> dict[str, Prompt]:
        by_id = {p.id: p for p in resolution.includes.values()}
        found: dict[str, Prompt] = {}
        for phase in NEXT_PHASE:
            prompt_id = phase_prompt_id(row, phase)
            if prompt_id is not None and prompt_id in by_id:
                found[phase] = by_id[prompt_id]
        return found

    def _render_legacy(self, row: OrchestrationSession, phase: str) -> str:
        """A session from before migration 0004: its own phase text, includes resolved now."""
        version = getattr(row, f"{phase}_version")
        legacy: str | None = getattr(row, f"{phase}_template")
        resolution = self._resolve(row.project.name, row.feature_type, DEFAULT_LABEL)
        source = version.content if version is not None else legacy
        if source is None:
            source = resolution.phase_prompt(phase).content
        engine = engine_for(resolution, self.budget)
        context = self.phase_context(row, phase)
        return engine.render_string(source, to_render_mapping(context), f"session {row.id} {phase}")

    def _render(
        self,
        engine: TemplateEngine,
        row: OrchestrationSession,
        phase: str,
        phase_rows: Mapping[str, Prompt],
    ) -> str:
        return render_template(engine, phase_rows[phase].name, self.phase_context(row, phase))

    def phase_context(self, row: OrchestrationSession, phase: str) -> PhaseContext:
        """The context `phase` renders with for `row`: its project, feature, earlier outputs."""
        inputs = row.render_inputs or {}
        variables = dict(inputs.get("variables", row.project.variables))
        project = ProjectInfo(
            name=row.project.name,
            description=inputs.get("project_description", row.project.description or ""),
            variables=variables,
        )
        feature = FeatureInfo(
            name=row.feature_name,
            type=row.feature_type or DEFAULT_FEATURE_TYPE,
            description=row.feature_description or "",
            acceptance_criteria=list(inputs.get("acceptance_criteria", [])),
        )
        outputs = [self._phase_output(row, earlier) for earlier in _earlier_phases(phase)]
        session = SessionInfo(
            id=str(row.id),
            phase=phase,
            attempt=self._attempt(row, phase),
            previous_outputs=outputs,
        )
        if phase == "orchestrator":
            return PlanningContext(project, feature, session, vars=variables)
        files = self._files(row)
        if phase == "analysis":
            return AnalysisContext(
                project, feature, session, plan=outputs[0], files=files, vars=variables
            )
        return ImplementationContext(
            project,
            feature,
            session,
            plan=outputs[0],
            analysis=outputs[1],
            files=files,
            vars=variables,
        )

    def _phase_output(self, row: OrchestrationSession, phase: str) -> PhaseOutput:
        content = self._last_success(row, phase).output or ""
        return PhaseOutput(phase=phase, summary=summarize(content), content=content)

    def _last_success(self, row: OrchestrationSession, phase: str) -> Execution:
        found = [e for e in row.executions if e.phase == phase and e.exit_status == 0]
        if not found:
            raise ConflictError(
                f"session {row.id}: the {phase} phase has no output yet;"
                " give one with --output-file or --run"
            )
        return found[-1]

    def _active(self, session_id: int) -> OrchestrationSession:
        row = self.sessions.get(session_id)
        if row.status == "failed":
            raise ConflictError(
                f"session {session_id} failed ({row.status_reason}); fix the template, then"
                f" `prompt-tool orchestrate retry {session_id} --re-resolve`"
            )
        if row.status != "active":
            raise ConflictError(f"session {session_id} is {row.status}: it cannot advance")
        return row


def _earlier_phases(phase: str) -> list[str]:
    order = list(NEXT_PHASE)
    return order[: order.index(phase)]
