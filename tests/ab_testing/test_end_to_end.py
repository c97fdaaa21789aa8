"""An experiment run through the orchestrator on SQLite and PostgreSQL, start to promotion.

200 sessions are split 70/30 by weight, their outcomes recorded (by `complete` and by the
runner's exit status), the report compared with numbers this test computes on its own
(`statistics.NormalDist` for the normal tails, the Wilson formula written out again), the
winner promoted, and new sessions shown to resolve to it.
"""

from __future__ import annotations

import math
import random
import statistics
from dataclasses import dataclass, field

import pytest
from sqlalchemy import select

from prompt_tool.ab_testing.experiment_manager import ExperimentManager
from prompt_tool.db.db_utils import DatabaseManager
from prompt_tool.db.models import Execution, OrchestrationSession
from prompt_tool.orchestration.experiment_templates import ExperimentTemplates
from prompt_tool.orchestration.orchestrator import Orchestrator
from prompt_tool.orchestration.runner import RunResult
from prompt_tool.orchestration.session_outcomes import complete_session
from tests.ab_testing.conftest import DEEP, DEEP_MARKER, PROJECT, Strategies, create_experiment

SESSIONS = 200
SUCCESS_CHANCE = {"control": 0.55, "B": 0.8}
NORMAL = statistics.NormalDist()


@dataclass
class Tally:
    """What the test itself recorded for one variant."""

    sessions: int = 0
    successes: int = 0
    failures: int = 0
    scores: list[float] = field(default_factory=list)


def wilson(successes: int, n: int) -> tuple[float, float]:
    """Wilson's interval in its textbook form: (p + z²/2n ± z √(p(1-p)/n + z²/4n²)) / (1 + z²/n)."""
    z = NORMAL.inv_cdf(0.975)
    p = successes / n
    root = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return (
        (p + z * z / (2 * n) - root) / (1 + z * z / n),
        (p + z * z / (2 * n) + root) / (1 + z * z / n),
    )


def z_test(s1: int, n1: int, s2: int, n2: int) -> float:
    pooled = (s1 + s2) / (n1 + n2)
    z = (s1 / n1 - s2 / n2) / math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    return 2 * (1 - NORMAL.cdf(abs(z)))


def run_sessions(db: DatabaseManager, strategies: Strategies) -> dict[str, Tally]:
    chances = random.Random(20261201)
    tallies = {name: Tally() for name in SUCCESS_CHANCE}
    for n in range(SESSIONS):
        with db.session() as session:
            orchestrator = Orchestrator(session)
            row = orchestrator.create_planning_session(PROJECT, f"feature {n}")
            [record] = row.variant_assignments.values()
            variant, session_id = record["variant"], row.id
            expected = strategies.deep_id if variant == "B" else strategies.production_id
            assert row.analysis_prompt_id == expected
        tally = tallies[variant]
        tally.sessions += 1
        success = chances.random() < SUCCESS_CHANCE[variant]
        with db.session() as session:
            if n % 4 == 0 and not success:
                # The runner fails on the plan: its exit status is the outcome.
                failed = RunResult("llm", "", "boom", 1, 5)
                execution = Orchestrator(session).record_run(session_id, failed)
                assert execution.variant_id == record["variant_id"]
            else:
                score = round(chances.uniform(1, 5), 2)
                complete_session(session, session_id, success=success, score=score)
                tally.scores.append(score)
        tally.successes += success
        tally.failures += not success
    return tallies


def test_experiment_through_the_orchestrator(
    db_manager: DatabaseManager, strategies: Strategies
) -> None:
    create_experiment(db_manager, variants=("control:70", f"B:30:{DEEP}"), min_sample=30)
    tallies = run_sessions(db_manager, strategies)
    assert sum(t.sessions for t in tallies.values()) == SESSIONS
    # Split by weight: 30 % of 200 is 60 ± 6.5 (one standard deviation).
    assert 40 <= tallies["B"].sessions <= 80

    with db_manager.session() as session:
        experiment, report = ExperimentManager(session).report("deep-analysis")
        assert experiment.status == "running"
    control, deep = report.variants
    for row in report.variants:
        tally = tallies[row.counts.name]
        n = tally.successes + tally.failures
        assert (row.counts.units, row.counts.outcomes) == (tally.sessions, n)
        assert row.counts.successes == tally.successes
        assert row.success_rate == pytest.approx(tally.successes / n)
        assert (row.rate_low, row.rate_high) == pytest.approx(wilson(tally.successes, n))
        assert row.score.mean == pytest.approx(statistics.fmean(tally.scores))
        assert row.score.count == len(tally.scores)
    assert control.comparison is None and deep.comparison is not None
    c, b = tallies["control"], tallies["B"]
    assert deep.comparison.test == "z-test"
    assert deep.comparison.difference == pytest.approx(
        b.successes / b.sessions - c.successes / c.sessions
    )
    p_value = z_test(b.successes, b.sessions, c.successes, c.sessions)
    assert deep.comparison.p_value == pytest.approx(p_value, abs=1e-9)
    assert deep.comparison.verdict == (
        "B better" if p_value < 0.05 else "no significant difference"
    )
    assert deep.comparison.verdict == "B better"
    assert deep.comparison.probability_better is not None
    assert deep.comparison.probability_better > 0.99
    assert not report.sample_ratio.is_mismatch

    with db_manager.session() as session:
        sessions = session.scalars(select(OrchestrationSession)).all()
        variant_of = {
            row.id: next(iter(row.variant_assignments.values()))["variant_id"] for row in sessions
        }
        executions = session.scalars(select(Execution)).all()
        assert executions
        assert all(e.variant_id == variant_of[e.session_id] for e in executions if e.session_id)

    with db_manager.session() as session:
        ExperimentManager(session, ExperimentTemplates(session)).conclude("deep-analysis", "B")
    for n in range(5):
        with db_manager.session() as session:
            orchestrator = Orchestrator(session)
            row = orchestrator.create_planning_session(PROJECT, f"after {n}")
            assert row.variant_assignments == {}
            assert row.analysis_prompt_id == strategies.deep_id
            orchestrator.advance(row.id, "The plan.")
            assert DEEP_MARKER in (row.analysis_prompt or "")


def test_a_variant_session_renders_its_strategy_and_the_control_production(
    db_manager: DatabaseManager, strategies: Strategies
) -> None:
    create_experiment(db_manager)
    seen: dict[str, bool] = {}
    n = 0
    while len(seen) < 2:
        with db_manager.session() as session:
            orchestrator = Orchestrator(session)
            row = orchestrator.create_planning_session(PROJECT, f"feature {n}")
            [record] = row.variant_assignments.values()
            result = orchestrator.advance(row.id, "The plan.")
            seen[record["variant"]] = DEEP_MARKER in (result.session.analysis_prompt or "")
            assert result.execution.variant_id == record["variant_id"]
        n += 1
    assert seen == {"control": False, "B": True}


def test_an_explicit_label_or_unit_key(db_manager: DatabaseManager, strategies: Strategies) -> None:
    create_experiment(db_manager)
    with db_manager.session() as session:
        orchestrator = Orchestrator(session)
        staging = orchestrator.create_planning_session(PROJECT, "x", label="staging")
        assert staging.variant_assignments == {}
        first = orchestrator.create_planning_session(PROJECT, "a", unit_key="user-7")
        second = orchestrator.create_planning_session(PROJECT, "b", unit_key="user-7")
        assert first.variant_assignments == second.variant_assignments
        assert first.variant_assignments["deep-analysis"]["unit_key"] == "user-7"


def test_retry_with_re_resolve_keeps_the_variant_strategy(
    db_manager: DatabaseManager, strategies: Strategies
) -> None:
    create_experiment(db_manager)
    analysis_of: dict[str, int | None] = {}
    n = 0
    while len(analysis_of) < 2:
        with db_manager.session() as session:
            orchestrator = Orchestrator(session)
            row = orchestrator.create_planning_session(PROJECT, f"feature {n}")
            [record] = row.variant_assignments.values()
            orchestrator.advance(row.id, "The plan.")
            retried = orchestrator.retry(row.id, re_resolve=True)
            analysis_of[record["variant"]] = retried.analysis_prompt_id
        n += 1
    assert analysis_of == {"control": strategies.production_id, "B": strategies.deep_id}
