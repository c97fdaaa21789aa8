"""ExperimentManager on both databases: creation rules, lifecycle, outcomes, conclusion."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from prompt_tool.ab_testing.experiment_manager import (
    ExperimentManager,
    StrategyStep,
    VariantSpec,
    parse_strategy_file,
    parse_variant,
)
from prompt_tool.core.budget import RenderBudget
from prompt_tool.core.errors import (
    ConflictError,
    NotFoundError,
    PromptToolError,
    UsageError,
    ValidationError,
)
from prompt_tool.db.db_utils import DatabaseManager
from prompt_tool.db.models import Experiment, PromptLabel, PromptLabelEvent
from prompt_tool.orchestration.experiment_templates import ExperimentTemplates
from prompt_tool.orchestration.orchestrator import Orchestrator
from prompt_tool.orchestration.project_manager import ProjectManager
from prompt_tool.orchestration.template_manager import OrchestrationTemplateManager
from tests.ab_testing.conftest import ANALYSIS, DEEP, PROJECT, Strategies, create_experiment


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("control:50", VariantSpec("control", 50.0), id="control"),
        pytest.param(
            "B:1.5:analysis=deep@5",
            VariantSpec("B", 1.5, (StrategyStep("analysis", "deep", "5"),)),
            id="one-phase",
        ),
        pytest.param(
            "C:2:analysis=deep@staging,implementation=strict",
            VariantSpec(
                "C",
                2.0,
                (
                    StrategyStep("analysis", "deep", "staging"),
                    StrategyStep("implementation", "strict", None),
                ),
            ),
            id="two-phases",
        ),
    ],
)
def test_parse_variant(text: str, expected: VariantSpec) -> None:
    assert parse_variant(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param("control", "expected NAME:WEIGHT", id="no-weight"),
        pytest.param("B:heavy", "must be a number", id="weight-word"),
        pytest.param("B:0", "positive number", id="weight-zero"),
        pytest.param("B:nan", "positive number", id="weight-nan"),
        pytest.param("B:1:review=x@1", "unknown phase 'review'", id="phase"),
        pytest.param("B:1:analysis", "expected PHASE=TEMPLATE", id="no-template"),
        pytest.param("B:1:analysis=x@", "TEMPLATE@VERSION", id="empty-pin"),
    ],
)
def test_parse_variant_errors_name_the_argument(text: str, message: str) -> None:
    with pytest.raises(UsageError, match=message) as raised:
        parse_variant(text)
    assert str(raised.value).startswith(f"--variant {text!r}")


def test_parse_strategy_file(tmp_path: Path) -> None:
    path = tmp_path / "strategy.toml"
    path.write_text(
        '[[variant]]\nname = "control"\nweight = 50\n\n'
        '[[variant]]\nname = "B"\nweight = 50\n'
        '[variant.strategy]\nanalysis = "deep@5"\nimplementation = "strict@staging"\n',
        encoding="utf-8",
    )
    assert parse_strategy_file(path) == [
        VariantSpec("control", 50.0),
        VariantSpec(
            "B",
            50.0,
            (
                StrategyStep("analysis", "deep", "5"),
                StrategyStep("implementation", "strict", "staging"),
            ),
        ),
    ]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        pytest.param("[[variant]\n", "strategy.toml: ", id="syntax"),
        pytest.param("name = 'x'\n", "expected [[variant]] tables", id="no-variants"),
        pytest.param("[[variant]]\nname = 'B'\n", "variant 1: the weight must be", id="weight"),
        pytest.param("[[variant]]\nweight = 1\n", "variant 1: `name` must", id="name"),
        pytest.param(
            "[[variant]]\nname = 'B'\nweight = 1\nphase = 'x'\n", "unknown key 'phase'", id="key"
        ),
        pytest.param(
            "[[variant]]\nname = 'B'\nweight = 1\nstrategy = { review = 'x' }\n",
            "unknown phase 'review'",
            id="phase",
        ),
    ],
)
def test_strategy_file_errors_name_the_file(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "strategy.toml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(UsageError, match=message.replace("[", r"\[")) as raised:
        parse_strategy_file(path)
    assert str(raised.value).startswith(str(path))


def test_create_fixes_the_strategy_versions(
    db_manager: DatabaseManager, strategies: Strategies
) -> None:
    with db_manager.session() as session:
        OrchestrationTemplateManager(session).set_label(ANALYSIS, "staging", 2)
    create_experiment(
        db_manager, variants=("control:3", f"B:1:{DEEP}", f"S:1:analysis={ANALYSIS}@staging")
    )
    with db_manager.session() as session:
        experiment = ExperimentManager(session).get("deep-analysis")
        assert experiment.status == "running" and experiment.started_at is not None
        assert [(v.name, v.weight) for v in experiment.variants] == [
            ("control", 3.0),
            ("B", 1.0),
            ("S", 1.0),
        ]
        assert experiment.variants[0].strategy == []
        for variant in experiment.variants[1:]:
            assert [(s.phase, s.prompt_id) for s in variant.strategy] == [
                ("analysis", strategies.deep_id)
            ]


CREATE_ERRORS = [
    pytest.param(("control:1",), {}, UsageError, "at least two variants", id="one-variant"),
    pytest.param(("a:1", "a:1"), {}, UsageError, "given twice", id="duplicate-variant"),
    pytest.param(("a b:1", "c:1"), {}, UsageError, "variant name 'a b'", id="variant-name"),
    pytest.param(
        ("a:1", "b:1:analysis=nope@1"),
        {},
        NotFoundError,
        "no published template 'nope@1'",
        id="template",
    ),
    pytest.param(("a:1", f"b:1:analysis={ANALYSIS}@9"), {}, NotFoundError, "@9", id="version"),
    pytest.param(
        ("a:1", "b:1:analysis=orchestration_implementation_default@1"),
        {},
        ValidationError,
        "is a implementation template, not a analysis template",
        id="phase",
    ),
    pytest.param(
        ("a:1", "b:1:analysis=x@1,analysis=y@1"), {}, UsageError, "analysis phase twice", id="twice"
    ),
    pytest.param(("a:1", "b:1"), {"unit": "user"}, UsageError, "--unit 'user'", id="unit"),
    pytest.param(
        ("a:1", "b:1"), {"project": "nope"}, NotFoundError, "project 'nope'", id="project"
    ),
]


@pytest.mark.parametrize(("variants", "options", "error", "message"), CREATE_ERRORS)
def test_create_refuses_and_writes_nothing(
    db_manager: DatabaseManager,
    strategies: Strategies,
    variants: tuple[str, ...],
    options: dict[str, str],
    error: type[PromptToolError],
    message: str,
) -> None:
    options = dict(options)
    project = options.pop("project", PROJECT)
    with pytest.raises(error, match=message), db_manager.session() as session:
        specs = [parse_variant(text) for text in variants]
        ExperimentManager(session, ExperimentTemplates(session)).create(
            "x", project, specs, **options
        )
    with db_manager.session() as session:
        assert session.scalar(select(func.count()).select_from(Experiment)) == 0


def test_names_are_unique(db_manager: DatabaseManager, strategies: Strategies) -> None:
    create_experiment(db_manager, start=False)
    with pytest.raises(ConflictError, match="exists already"):
        create_experiment(db_manager, start=False)


@pytest.mark.parametrize(
    ("steps", "final", "error"),
    [
        pytest.param(("start", "pause", "start", "stop"), "stopped", None, id="full-cycle"),
        pytest.param(("pause",), "draft", "only a running one pauses", id="pause-draft"),
        pytest.param(("stop",), "draft", "cannot stop", id="stop-draft"),
        pytest.param(("start", "stop", "start"), "stopped", "cannot start", id="restart-stopped"),
        pytest.param(("start", "start"), "running", "cannot start", id="start-twice"),
    ],
)
def test_lifecycle(
    db_manager: DatabaseManager,
    strategies: Strategies,
    steps: tuple[str, ...],
    final: str,
    error: str | None,
) -> None:
    create_experiment(db_manager, start=False)
    try:
        for step in steps:
            with db_manager.session() as session:
                getattr(ExperimentManager(session), step)("deep-analysis")
    except ConflictError as raised:
        assert error is not None and error in str(raised)
    else:
        assert error is None
    with db_manager.session() as session:
        assert ExperimentManager(session).get("deep-analysis").status == final


@pytest.mark.parametrize(
    "feature_type", [pytest.param(None, id="any"), pytest.param("bugfix", id="bugfix")]
)
def test_a_second_experiment_cannot_run_in_the_same_scope(
    db_manager: DatabaseManager, strategies: Strategies, feature_type: str | None
) -> None:
    create_experiment(db_manager, "first", feature_type=feature_type)
    create_experiment(db_manager, "second", feature_type=feature_type, start=False)
    with (
        pytest.raises(ConflictError, match="experiment 'first' already runs"),
        db_manager.session() as session,
    ):
        ExperimentManager(session).start("second")
    with db_manager.session() as session:
        manager = ExperimentManager(session)
        assert manager.get("second").status == "draft"
        manager.pause("first")
        manager.start("second")
    with db_manager.session() as session:
        assert ExperimentManager(session).get("second").status == "running"


def session_for(db: DatabaseManager, feature: str) -> int:
    with db.session() as session:
        return Orchestrator(session).create_planning_session(PROJECT, feature).id


def test_outcomes_replace_earlier_ones_and_the_runner_never_overrides_a_person(
    db_manager: DatabaseManager, strategies: Strategies
) -> None:
    create_experiment(db_manager)
    session_id = session_for(db_manager, "Login")
    with db_manager.session() as session:
        manager = ExperimentManager(session)
        row = Orchestrator(session).sessions.get(session_id)
        runner = manager.record_outcome(row, success=False, source="runner")
        assert list(runner) == ["deep-analysis"]
        manual = manager.record_outcome(row, success=True, score=4.0, note="good")
        assert manual["deep-analysis"].id == runner["deep-analysis"].id
        assert manager.record_outcome(row, success=False, source="runner") == {}
        [counts] = [c for c in manager.counts(manager.get("deep-analysis")) if c.units]
        assert (counts.successes, counts.failures, counts.scores) == (1, 0, (4.0,))


def test_conclude_moves_production_through_the_label_history(
    db_manager: DatabaseManager, strategies: Strategies
) -> None:
    create_experiment(db_manager)
    with db_manager.session() as session:
        result = ExperimentManager(session, ExperimentTemplates(session)).conclude(
            "deep-analysis", "B", author="ana"
        )
        assert [(p.phase, p.name, p.version, p.moved) for p in result.promotions] == [
            ("analysis", ANALYSIS, 2, True)
        ]
        assert result.shadowed == []
    with db_manager.session() as session:
        experiment = ExperimentManager(session).get("deep-analysis")
        assert (experiment.status, experiment.winner) == ("concluded", "B")
        assert experiment.stopped_at is not None
        label = session.scalars(
            select(PromptLabel).where(
                PromptLabel.name == ANALYSIS, PromptLabel.label == "production"
            )
        ).one()
        assert label.prompt_id == strategies.deep_id
        event = session.scalars(
            select(PromptLabelEvent).order_by(PromptLabelEvent.id.desc()).limit(1)
        ).one()
        assert (event.from_version, event.to_version, event.created_by) == (1, 2, "ana")
        assert event.reason == "experiment deep-analysis: variant B won"
    with pytest.raises(ConflictError, match="is concluded"), db_manager.session() as session:
        ExperimentManager(session, ExperimentTemplates(session)).conclude("deep-analysis", "B")


def test_a_winning_control_moves_nothing(
    db_manager: DatabaseManager, strategies: Strategies
) -> None:
    create_experiment(db_manager)
    with db_manager.session() as session:
        events = session.scalar(select(func.count()).select_from(PromptLabelEvent))
        result = ExperimentManager(session, ExperimentTemplates(session)).conclude(
            "deep-analysis", "control"
        )
        assert result.promotions == [] and result.winner.name == "control"
        assert session.scalar(select(func.count()).select_from(PromptLabelEvent)) == events


def test_conclude_reports_a_promotion_that_a_higher_slot_shadows(
    db_manager: DatabaseManager, strategies: Strategies
) -> None:
    create_experiment(db_manager)
    with db_manager.session() as session:
        OrchestrationTemplateManager(session).create_orchestration_template(
            "orchestration_analysis_shop", "analysis", "Shop analysis {{ feature.name }}", PROJECT
        )
        result = ExperimentManager(session, ExperimentTemplates(session)).conclude(
            "deep-analysis", "B"
        )
        assert result.shadowed == ["analysis"]


@pytest.mark.parametrize(
    ("status", "message"),
    [
        pytest.param("draft", "only a started one", id="draft"),
        pytest.param(None, "no variant 'Z'", id="variant"),
    ],
)
def test_conclude_refusals(
    db_manager: DatabaseManager, strategies: Strategies, status: str | None, message: str
) -> None:
    create_experiment(db_manager, start=status is None)
    with pytest.raises(PromptToolError, match=message), db_manager.session() as session:
        ExperimentManager(session, ExperimentTemplates(session)).conclude(
            "deep-analysis", "Z" if status is None else "B"
        )
    with db_manager.session() as session:
        assert ExperimentManager(session).get("deep-analysis").winner is None


def test_deleting_the_project_deletes_its_experiments(
    db_manager: DatabaseManager, strategies: Strategies
) -> None:
    with db_manager.session() as session:
        OrchestrationTemplateManager(session).create_orchestration_template(
            "orchestration_analysis_shop", "analysis", "Shop {{ feature.name }}", PROJECT
        )
    create_experiment(
        db_manager, variants=("control:1", "B:1:analysis=orchestration_analysis_shop@1")
    )
    session_for(db_manager, "Login")
    with db_manager.session() as session:
        ProjectManager(session).delete(PROJECT)
    with db_manager.session() as session:
        assert session.scalar(select(func.count()).select_from(Experiment)) == 0


def test_a_phase_prompt_that_fails_to_render_is_its_variants_failure(
    db_manager: DatabaseManager, strategies: Strategies
) -> None:
    """A session whose prompt cannot render never reaches the runner; without an outcome it
    would drop out of the report and flatter the variant that broke it."""
    create_experiment(db_manager)
    tiny = RenderBudget(max_output_chars=5)
    with db_manager.session() as session:
        row = Orchestrator(session, budget=tiny).create_planning_session(PROJECT, "Login")
        assert row.status == "failed" and "render budget exceeded" in (row.status_reason or "")
        session_id = row.id
    with db_manager.session() as session:
        manager = ExperimentManager(session)
        [counts] = [c for c in manager.counts(manager.get("deep-analysis")) if c.units]
        assert (counts.successes, counts.failures) == (0, 1)
        row = Orchestrator(session).sessions.get(session_id)
        manager.record_outcome(row, success=True, note="fixed by hand")
        [counts] = [c for c in manager.counts(manager.get("deep-analysis")) if c.units]
        assert (counts.successes, counts.failures) == (1, 0)
