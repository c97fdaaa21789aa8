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
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.orm import Session

from prompt_tool.analysis.diagnostics import Severity
from prompt_tool.core.templating import TemplateRenderError
from prompt_tool.db.db_utils import DatabaseManager
from prompt_tool.orchestration.contract import to_render_mapping
from prompt_tool.orchestration.orchestrator import engine_for
from prompt_tool.orchestration.project_manager import ProjectManager
from prompt_tool.orchestration.sample_contexts import (
    EXTREME_SHAPES,
    ListSize,
    Presence,
    SampleShape,
    TextStyle,
    sample_context,
)
from prompt_tool.orchestration.template_files import TemplateFile
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
    """A small template tree published into its own scope (feature type = the case id)."""

    files: dict[str, str]
    verdict: str
    codes: frozenset[str] = frozenset()
    """The codes the analyser must report (flagged, refused)."""
    fails: bool = True
    """For a flagged case: some generated context makes the render fail."""


CORPUS: dict[str, Case] = {
    "guarded_first_file": Case(
        {
            "analysis.j2": "{% if files %}Start with {{ files[0].path }} "
            "({{ (files|first).language }}).{% endif %}\n"
            '{% include "partials/files.j2" %}\n{{ plan.summary }}'
        },
        PASSES,
    ),
    "criteria_or_placeholder": Case(
        {
            "orchestrator.j2": "Goal: {{ feature.acceptance_criteria|first "
            "if feature.acceptance_criteria else 'none given' }}\n"
            "Last: {{ feature.acceptance_criteria|last|default('-') }}\n"
            "{{ feature.acceptance_criteria|numbered_list }}"
        },
        PASSES,
    ),
    "latest_output": Case(
        {
            "implementation.j2": "{% if session.previous_outputs|length > 0 %}"
            "Last: {{ session.previous_outputs[-1].summary|truncate_words(5) }}{% endif %}\n"
            "{% for output in session.previous_outputs %}{% if loop.first %}first {% endif %}"
            "{{ output.phase }}{% endfor %}\n{{ analysis.content|code_block('diff') }}"
        },
        PASSES,
    ),
    "default_assignment": Case(
        {
            "orchestrator.j2": "{% if tone is not defined %}{% set tone = 'neutral' %}"
            "{% endif %}Tone: {{ tone }}.\n"
            "{% if style is undefined %}{% set style = vars.style %}{% endif %}{{ style }}\n"
            "At most {{ vars.max_files + 1 }} files in {{ vars.languages|join(', ') }}."
        },
        PASSES,
    ),
    "namespace_counter": Case(
        {
            "analysis.j2": "{% set ns = namespace(count=0) %}{% for f in files %}"
            "{% set ns.count = ns.count + 1 %}{% endfor %}{{ ns.count }} files: "
            "{{ files|map(attribute='path')|join(', ') }}\n"
            "{{ files|map(attribute='summary')|map('truncate_words', 3)|list|to_json }}"
        },
        PASSES,
    ),
    "unicode_filters": Case(
        {
            "implementation.j2": "{{ feature.name|upper|center(30) }}\n"
            "{{ feature.description|indent_block(4) }}\n{{ plan|to_json }}\n"
            "{{ project.variables|dictsort|length }} {{ vars|length }}\n"
            '{% include "partials/project_context.j2" %}'
        },
        PASSES,
    ),
    "own_partial": Case(
        {
            "orchestrator.j2": "{% for criterion in feature.acceptance_criteria %}"
            '{% include "partials/criterion.j2" %}{% endfor %}',
            "partials/criterion.j2": "- {{ criterion|trim }} (of {{ feature.name }})\n",
        },
        PASSES,
    ),
    "first_file_unguarded": Case(
        {"analysis.j2": "Start with {{ files[0].path }}."},
        FLAGGED,
        frozenset({"PT017"}),
    ),
    "first_criterion": Case(
        {"orchestrator.j2": "Main goal: {{ feature.acceptance_criteria|first }}"},
        FLAGGED,
        frozenset({"PT017"}),
    ),
    "previous_output": Case(
        {"implementation.j2": "Before: {{ session.previous_outputs[0].summary }}"},
        FLAGGED,
        frozenset({"PT017"}),
    ),
    "initial": Case(
        {"orchestrator.j2": "{{ feature.name[0]|upper }}"},
        FLAGGED,
        frozenset({"PT017"}),
    ),
    "loop_scoped_assignment": Case(
        {
            "orchestrator.j2": "{% set last = 'none' %}{% for c in feature.acceptance_criteria %}"
            "{% set last = c %}{% endfor %}{{ last }}"
        },
        FLAGGED,
        frozenset({"PT011"}),
        fails=False,
    ),
    "countdown": Case(
        {
            "orchestrator.j2": '{% set n = 3 %}{% include "partials/countdown.j2" %}',
            "partials/countdown.j2": "{% if n > 0 %}{{ n }} {% set n = n - 1 %}"
            '{% include "partials/countdown.j2" %}{% endif %}',
        },
        FLAGGED,
        frozenset({"PT010"}),
        fails=False,
    ),
    "endless_recursion": Case(
        {
            "orchestrator.j2": '{% include "partials/again.j2" %}',
            "partials/again.j2": '{% if feature.name %}{% include "partials/again.j2" %}'
            "{% endif %}",
        },
        REFUSED,
        frozenset({"PT009"}),
    ),
    "unknown_attribute": Case(
        {"orchestrator.j2": "{{ feature.nmae }}"}, REFUSED, frozenset({"PT004"})
    ),
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
        context = sample_context(phase, random.Random(seed), variables=VARIABLES, shape=shape)
        name = resolution.phase_prompt(phase).name
        self.renders += 1
        return engine_for(resolution).render(name, to_render_mapping(context))


def _phase_of(include_name: str) -> str | None:
    stem = Path(include_name).stem
    return None if include_name.startswith("partials/") else stem


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
    for case, spec in CORPUS.items():
        files = [
            TemplateFile(Path(f"corpus/{case}/{name}"), name, text)
            for name, text in spec.files.items()
        ]
        try:
            result = manager.publish(files, PROJECT, case)
        except TemplateValidationError as refused:
            store.verdicts[case] = (REFUSED, frozenset(d.code for d in refused.diagnostics))
            continue
        codes = frozenset(d.code for d in result.diagnostics if d.severity <= Severity.WARNING)
        store.verdicts[case] = (FLAGGED if codes else PASSES, codes)
        store.resolutions[case] = resolver.resolve(PROJECT, case)
        store.phases[case] = [p for p in map(_phase_of, spec.files) if p is not None]
    return store


@pytest.fixture
def store(db_manager: DatabaseManager) -> Iterator[Store]:
    with db_manager.session() as session:
        yield publish_corpus(session)


def test_the_analyser_gives_each_corpus_template_its_expected_verdict(store: Store) -> None:
    assert store.verdicts[DEFAULTS_CASE] == (PASSES, frozenset())
    for case, spec in CORPUS.items():
        verdict, codes = store.verdicts[case]
        assert (case, verdict) == (case, spec.verdict)
        assert spec.codes <= codes, f"{case}: expected {sorted(spec.codes)}, got {sorted(codes)}"


SHAPES = st.builds(
    SampleShape,
    lists=st.sampled_from(ListSize),
    optionals=st.sampled_from(Presence),
    text=st.sampled_from(TextStyle),
    long_length=st.integers(min_value=2, max_value=60),
)


def test_every_passing_template_renders_under_every_generated_context(store: Store) -> None:
    targets = list(store.passing())
    assert len(targets) == 3 + sum(
        len([p for p in map(_phase_of, c.files) if p])
        for c in CORPUS.values()
        if c.verdict == PASSES
    )
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
        for case, resolution, phase in targets:
            _render_or_fail(store, case, resolution, phase, seed, shape)

    renders()
    # Every (template, context) pair was rendered: the extremes, then each example.
    assert store.renders >= len(targets) * (len(EXTREME_SHAPES) + 1)


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


def sample_mapping(phase: str, seed: int, shape: SampleShape) -> Mapping[str, Any]:
    return to_render_mapping(
        sample_context(phase, random.Random(seed), variables=VARIABLES, shape=shape)
    )


def test_endless_recursion_would_really_recurse() -> None:
    """The refusal is right: rendered anyway, the PT009 corpus case never ends."""
    from prompt_tool.core.templating import TemplateEngine, TemplateRecursionError

    files = CORPUS["endless_recursion"].files
    engine = TemplateEngine(dict(files))
    with pytest.raises(TemplateRecursionError):
        engine.render("orchestrator.j2", sample_mapping("orchestrator", 0, EXTREME_SHAPES[1]))
