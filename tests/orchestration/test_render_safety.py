"""Checked means renders: every template publish accepts without a warning renders under
every context the contract types allow.

The built-in defaults and a corpus of test templates are published into the template store
(SQLite and PostgreSQL) through the real publish, whose analyser decides each one's verdict;
they are then resolved and rendered exactly as the orchestrator renders a phase (the
resolver's versions, the database loader, the sandboxed strict `TemplateEngine`), with
contexts from `sample_contexts` — hypothesis picks the seeds and the shape switches, and the
extreme shapes (every list empty and every optional None; everything long) always run.
A render failure of a passing template is a bug in the analyser or the renderer.

The flagged corpus templates prove the other direction: each warning names a template that
really fails under some generated context (or, for the ones marked so, renders but is wrong).
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from dataclasses import dataclass, field, fields
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.orm import Session

from prompt_tool.analysis.diagnostics import Severity
from prompt_tool.analysis.introspect import contract_from_dataclass
from prompt_tool.analysis.workspace import AnalysisConfig, Workspace
from prompt_tool.checking.publish import PublishChecker, collect_files
from prompt_tool.checking.settings import ProjectSettings
from prompt_tool.core.contract import to_render_mapping
from prompt_tool.core.templating import (
    TemplateEngine,
    TemplateRecursionError,
    TemplateRenderError,
)
from prompt_tool.db.db_utils import DatabaseManager
from prompt_tool.orchestration.project_manager import ProjectManager
from prompt_tool.orchestration.sample_contexts import (
    ALL_SHAPES,
    EXTREME_SHAPES,
    SampleBuilder,
    SampleShape,
    render_sample,
    sample_context,
)
from prompt_tool.orchestration.template_files import TemplateFile, spec_for
from prompt_tool.orchestration.template_manager import (
    OrchestrationTemplateManager,
    TemplateValidationError,
)
from prompt_tool.orchestration.template_resolver import Resolution, TemplateResolver

PROJECT = "safety"
VARIABLES = {"max_files": 3, "style": "terse", "languages": ["python", "sql"], "strict": True}
EXAMPLES = 25
DEFAULTS_CASE = "built-in defaults"

PASSES, FLAGGED, REFUSED = "passes", "flagged", "refused"


@dataclass(frozen=True)
class Case:
    """What the check must say of one corpus folder, and what rendering it then does."""

    verdict: str
    codes: frozenset[str] = frozenset()
    """The codes the analyser must report (flagged, refused)."""
    fails: bool = True
    """For a flagged case: some generated context makes the render fail."""


CORPUS_ROOT = Path(__file__).parent / "render_corpus"
"""One folder per case, laid out as a user's template tree; its name is the feature type
it is published under, so each case has a scope (one template per phase) of its own."""

CORPUS: dict[str, Case] = {
    "guarded_first_file": Case(PASSES),
    "criteria_or_placeholder": Case(PASSES),
    "latest_output": Case(PASSES),
    "default_assignment": Case(PASSES),
    "namespace_counter": Case(PASSES),
    "unicode_filters": Case(PASSES),
    "own_partial": Case(PASSES),
    "macros_and_loop_controls": Case(PASSES),
    "first_file_unguarded": Case(FLAGGED, frozenset({"PT017"})),
    "first_criterion": Case(FLAGGED, frozenset({"PT017"})),
    "previous_output": Case(FLAGGED, frozenset({"PT017"})),
    "initial": Case(FLAGGED, frozenset({"PT017"})),
    "loop_scoped_assignment": Case(FLAGGED, frozenset({"PT011"}), fails=False),
    "countdown": Case(FLAGGED, frozenset({"PT010"}), fails=False),
    "endless_recursion": Case(REFUSED, frozenset({"PT009"})),
    "unknown_attribute": Case(REFUSED, frozenset({"PT004"})),
}


@dataclass
class Store:
    """The published corpus, resolved, and what rendering it has counted."""

    session: Session
    resolutions: dict[str, Resolution] = field(default_factory=dict)
    phases: dict[str, list[str]] = field(default_factory=dict)
    verdicts: dict[str, tuple[str, frozenset[str]]] = field(default_factory=dict)
    renders: int = 0

    def passing(self) -> Iterator[tuple[str, Resolution, str]]:
        for case, resolution in self.resolutions.items():
            if self.verdicts[case][0] == PASSES:
                for phase in self.phases[case]:
                    yield case, resolution, phase

    def render(self, resolution: Resolution, phase: str, seed: int, shape: SampleShape) -> str:
        """One phase rendered as the orchestrator renders it, with a generated context."""
        self.renders += 1
        return render_sample(resolution, phase, seed, variables=VARIABLES, shape=shape)


def phases_of(files: list[TemplateFile]) -> list[str]:
    return [spec_for(file, None).phase for file in files if spec_for(file, None).phase != "partial"]


def publish_corpus(session: Session) -> Store:
    ProjectManager(session).create(PROJECT, "Render-safety corpus")
    for key, value in VARIABLES.items():
        ProjectManager(session).set_var(PROJECT, key, json.dumps(value))
    manager = OrchestrationTemplateManager(session)
    manager.install_defaults()
    store = Store(session)
    resolver = TemplateResolver(session)
    store.resolutions[DEFAULTS_CASE] = resolver.resolve(PROJECT, None)
    store.phases[DEFAULTS_CASE] = ["orchestrator", "analysis", "implementation"]
    store.verdicts[DEFAULTS_CASE] = (PASSES, frozenset())
    for case in CORPUS:
        settings = ProjectSettings(CORPUS_ROOT / case)
        files = collect_files([CORPUS_ROOT / case], settings)
        try:
            result = manager.publish(files, PROJECT, case, checker=PublishChecker(settings))
        except TemplateValidationError as refused:
            store.verdicts[case] = (REFUSED, frozenset(d.code for d in refused.diagnostics))
            continue
        codes = frozenset(d.code for d in result.diagnostics if d.severity <= Severity.WARNING)
        store.verdicts[case] = (FLAGGED if codes else PASSES, codes)
        store.resolutions[case] = resolver.resolve(PROJECT, case)
        store.phases[case] = phases_of(files)
    return store


@pytest.fixture
def store(db_manager: DatabaseManager) -> Iterator[Store]:
    with db_manager.session() as session:
        yield publish_corpus(session)


def test_the_analyser_gives_each_corpus_template_its_expected_verdict(store: Store) -> None:
    assert sorted(CORPUS) == sorted(path.name for path in CORPUS_ROOT.iterdir())
    assert store.verdicts[DEFAULTS_CASE] == (PASSES, frozenset())
    for case, spec in CORPUS.items():
        verdict, codes = store.verdicts[case]
        assert (case, verdict) == (case, spec.verdict)
        assert spec.codes <= codes, f"{case}: expected {sorted(spec.codes)}, got {sorted(codes)}"


PASSING = {DEFAULTS_CASE, *(case for case, spec in CORPUS.items() if spec.verdict == PASSES)}

SHAPES = st.sampled_from(ALL_SHAPES)


def test_every_passing_template_renders_under_every_generated_context(store: Store) -> None:
    targets = list(store.passing())
    expected = sum(len(phases) for case, phases in store.phases.items() if case in PASSING)
    assert len(targets) == expected == 3 + len(PASSING) - 1
    for seed, shape in enumerate(EXTREME_SHAPES):
        for case, resolution, phase in targets:
            _render_or_fail(store, case, resolution, phase, seed, shape)

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow],
    )
    @given(seed=st.integers(min_value=0, max_value=2**32 - 1), shape=SHAPES)
    def renders(seed: int, shape: SampleShape) -> None:
        examples.append((seed, shape))
        for case, resolution, phase in targets:
            _render_or_fail(store, case, resolution, phase, seed, shape)

    examples: list[tuple[int, SampleShape]] = []
    renders()
    # Every (template, context) pair was rendered: the extremes, then each example
    # (11 templates x (4 + 25) contexts = 319 renders per database).
    assert len(examples) >= EXAMPLES // 2
    assert store.renders == len(targets) * (len(EXTREME_SHAPES) + len(examples))


def _render_or_fail(
    store: Store, case: str, resolution: Resolution, phase: str, seed: int, shape: SampleShape
) -> None:
    try:
        text = store.render(resolution, phase, seed, shape)
    except TemplateRenderError as error:
        pytest.fail(f"{case} ({phase}) passed the check but failed to render: {error}\n{shape}")
    if case == DEFAULTS_CASE:
        assert "## " in text, f"the default {phase} template lost its headings"


def test_flagged_templates_fail_where_the_warning_says(store: Store) -> None:
    """Each warning is about a real render: the flagged templates marked `fails` fail under
    some extreme context, and the others render (their warning is about the content)."""
    failing: dict[str, bool] = {}
    for case, spec in CORPUS.items():
        if spec.verdict != FLAGGED:
            continue
        failing[case] = False
        for phase in store.phases[case]:
            for seed, shape in enumerate(EXTREME_SHAPES):
                try:
                    store.render(store.resolutions[case], phase, seed, shape)
                except TemplateRenderError:
                    failing[case] = True
    assert failing == {case: spec.fails for case, spec in CORPUS.items() if spec.verdict == FLAGGED}


def test_endless_recursion_would_really_recurse() -> None:
    """The refusal is right: rendered anyway, the PT009 corpus case never ends."""
    files = collect_files(
        [CORPUS_ROOT / "endless_recursion"], ProjectSettings(CORPUS_ROOT / "endless_recursion")
    )
    engine = TemplateEngine({file.include_name: file.source for file in files})
    context = sample_context("orchestrator", random.Random(0), shape=EXTREME_SHAPES[1])
    with pytest.raises(TemplateRecursionError):
        engine.render("orchestrator.j2", to_render_mapping(context))


@dataclass(frozen=True)
class Reviewer:
    """A nested record an optional field holds."""

    name: str
    teams: list[str]


@dataclass(frozen=True)
class ReviewContext:
    """A project's own contract with optional fields (the built-in phases have none yet)."""

    title: str
    reviewer: Reviewer | None
    notes: list[str] | None
    labels: list[str]


OPTIONAL_TEMPLATES = {
    "guarded.j2": "{% if reviewer %}{{ reviewer.name }} ({{ reviewer.teams|join(', ') }})"
    "{% else %}unassigned{% endif %}",
    "not_none.j2": "{% if reviewer is not none and reviewer.teams %}"
    "{{ reviewer.teams[0] }}{% endif %}{{ reviewer }}",
    "defaults.j2": "{{ reviewer.name|default('nobody') }} "
    "{{ notes|default([], true)|join('; ') }}{% for n in notes or [] %}{{ n }}{% endfor %}",
    "labels.j2": "{{ labels|first if labels else 'unlabelled' }} {{ title[:1] }}",
}
OPTIONAL_FLAGGED = {
    "attribute.j2": "{{ reviewer.name }}",
    "defined_is_not_enough.j2": "{% if reviewer is defined %}{{ reviewer.teams|length }}{% endif %}",
    "iterate.j2": "{% for n in notes %}{{ n }}{% endfor %}",
}


def test_templates_checked_against_optional_fields_render_with_none() -> None:
    """With a contract that has `X | None` fields, every template the check passes renders
    under generated contexts (None included), and each flagged one fails with None."""
    contract = contract_from_dataclass("review", ReviewContext)
    workspace = Workspace(AnalysisConfig(contracts_by_glob={"*": contract}))
    for name, source in {**OPTIONAL_TEMPLATES, **OPTIONAL_FLAGGED}.items():
        workspace.set_document(name, source)
    found = {name: [d.code for d in workspace.diagnostics(name)] for name in workspace.names()}
    assert found == {
        **{name: [] for name in OPTIONAL_TEMPLATES},
        **{name: ["PT018"] for name in OPTIONAL_FLAGGED},
    }
    engine = TemplateEngine({**OPTIONAL_TEMPLATES, **OPTIONAL_FLAGGED})
    rendered = 0
    failed: set[str] = set()
    for seed, shape in enumerate((*EXTREME_SHAPES, *ALL_SHAPES)):
        sample = SampleBuilder(random.Random(seed), shape).record(ReviewContext)
        context = {item.name: getattr(sample, item.name) for item in fields(sample)}
        for name in OPTIONAL_TEMPLATES:
            engine.render(name, context)
            rendered += 1
        for name in OPTIONAL_FLAGGED:
            try:
                engine.render(name, context)
            except TemplateRenderError:
                failed.add(name)
    assert rendered == len(OPTIONAL_TEMPLATES) * (len(EXTREME_SHAPES) + len(ALL_SHAPES))
    assert failed == set(OPTIONAL_FLAGGED)
