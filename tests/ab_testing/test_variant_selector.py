"""Sticky weighted assignment: the split, determinism, stored assignments, which experiment."""

from __future__ import annotations

from collections import Counter

import pytest
from sqlalchemy import func, select

from prompt_tool.ab_testing.experiment_manager import ExperimentManager
from prompt_tool.ab_testing.variant_selector import (
    UNIT_KEY_LENGTH,
    VariantSelector,
    bucket_point,
    choose_index,
    unit_key_for,
)
from prompt_tool.db.db_utils import DatabaseManager
from prompt_tool.db.models import ExperimentAssignment, Project
from tests.ab_testing.conftest import PROJECT, Strategies, create_experiment


@pytest.mark.parametrize(
    "weights",
    [
        pytest.param((50, 50), id="even"),
        pytest.param((70, 20, 10), id="uneven-three"),
        pytest.param((1, 1, 1, 1), id="four"),
        pytest.param((95, 5), id="small-arm"),
    ],
)
def test_split_over_100000_keys_is_within_one_point_of_the_weights(
    weights: tuple[int, ...],
) -> None:
    keys = 100_000
    chosen = Counter(choose_index(weights, bucket_point(7, f"unit-{n}")) for n in range(keys))
    total = sum(weights)
    for index, weight in enumerate(weights):
        assert abs(chosen[index] / keys - weight / total) < 0.01, (index, chosen)


@pytest.mark.parametrize(
    ("weights", "point", "index"),
    [
        pytest.param((1, 1), 0.0, 0, id="bottom"),
        pytest.param((1, 1), 0.4999, 0, id="below-half"),
        pytest.param((1, 1), 0.5, 1, id="half"),
        pytest.param((1, 1), 0.999999, 1, id="top"),
        pytest.param((0, 1), 0.1, 1, id="zero-weight-first"),
        pytest.param((1, 0), 0.999999, 0, id="zero-weight-last"),
        pytest.param((1, 0, 3), 0.25, 2, id="zero-weight-middle"),
    ],
)
def test_choose_index(weights: tuple[int, ...], point: float, index: int) -> None:
    assert choose_index(weights, point) == index


def test_bucket_point_is_stable_and_depends_on_the_experiment() -> None:
    assert bucket_point(1, "shop/login") == bucket_point(1, "shop/login")
    assert bucket_point(1, "shop/login") != bucket_point(2, "shop/login")
    assert 0.0 <= bucket_point(1, "shop/login") < 1.0


@pytest.mark.parametrize(
    ("unit", "expected"),
    [
        pytest.param("project+feature", "shop/Login", id="default"),
        pytest.param("project", "shop", id="project"),
        pytest.param("feature", "Login", id="feature"),
    ],
)
def test_unit_keys(unit: str, expected: str) -> None:
    assert unit_key_for(unit, "shop", "Login") == expected


def test_session_units_are_new_each_time_and_long_keys_fit() -> None:
    assert unit_key_for("session", "shop", "x") != unit_key_for("session", "shop", "x")
    long_a, long_b = (unit_key_for("project+feature", "shop", c * 400) for c in "ab")
    assert len(long_a) <= UNIT_KEY_LENGTH and long_a != long_b


def assign(db: DatabaseManager, feature: str, feature_type: str | None = None) -> str | None:
    with db.session() as session:
        project = session.scalars(select(Project).where(Project.name == PROJECT)).one()
        choice = VariantSelector(session).choose(project, feature, feature_type)
        return None if choice is None else choice.variant


def test_assignment_is_sticky_and_weight_changes_move_only_new_units(
    db_manager: DatabaseManager, strategies: Strategies
) -> None:
    create_experiment(db_manager)
    before = {n: assign(db_manager, f"feature-{n}") for n in range(40)}
    assert set(before.values()) == {"control", "B"}
    assert before == {n: assign(db_manager, f"feature-{n}") for n in range(40)}

    with db_manager.session() as session:
        ExperimentManager(session).set_weight("deep-analysis", "control", 0)
    after = {n: assign(db_manager, f"feature-{n}") for n in range(40)}
    assert after == before
    assert {assign(db_manager, f"new-{n}") for n in range(20)} == {"B"}
    with db_manager.session() as session:
        stored = session.scalar(select(func.count()).select_from(ExperimentAssignment))
    assert stored == 60


def test_the_feature_type_experiment_wins_over_the_any_type_one(
    db_manager: DatabaseManager, strategies: Strategies
) -> None:
    create_experiment(db_manager, "any-type", ("control:1", "all-B:1"), unit="project")
    create_experiment(db_manager, "bugs", ("control:1", "bug-B:1"), feature_type="bugfix")
    assert assign(db_manager, "x", "bugfix") in {"control", "bug-B"}
    assert assign(db_manager, "x", "feature") in {"control", "all-B"}
    assert assign(db_manager, "x") in {"control", "all-B"}
    with db_manager.session() as session:
        ExperimentManager(session).pause("any-type")
    assert assign(db_manager, "y") is None
    with db_manager.session() as session:
        other = session.scalars(select(Project).where(Project.name == "other")).one()
        assert VariantSelector(session).choose(other, "x", "bugfix") is None
