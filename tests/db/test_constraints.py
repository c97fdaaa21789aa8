"""The schema itself keeps data valid on SQLite and PostgreSQL, whatever the code above does."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from prompt_tool.db.db_utils import DatabaseManager
from prompt_tool.db.models import (
    Experiment,
    ExperimentVariant,
    OrchestrationSession,
    Project,
    Prompt,
    PromptLabel,
    PromptLabelEvent,
)


def prompt(
    name: str = "orchestration_orchestrator_plan",
    version: int = 1,
    project: Project | None = None,
    feature_type: str | None = None,
    **extra: Any,
) -> Prompt:
    content = f"{name} v{version}"
    if project is not None:
        extra["project"] = project
    return Prompt(
        name=name,
        version=version,
        feature_type=feature_type,
        content=content,
        content_hash=hashlib.sha256(content.encode()).hexdigest(),
        **extra,
    )


def add_all(session: Session, *rows: object) -> None:
    session.add_all(rows)
    session.flush()


def second_global_version_one(session: Session) -> None:
    add_all(session, prompt(), prompt())


def second_version_one_in_project(session: Session) -> None:
    shop = Project(name="shop")
    add_all(session, prompt(project=shop), prompt(project=shop))


def second_version_one_for_global_feature_type(session: Session) -> None:
    add_all(session, prompt(feature_type="bugfix"), prompt(feature_type="bugfix"))


def second_version_one_for_project_feature_type(session: Session) -> None:
    shop = Project(name="shop")
    add_all(
        session,
        prompt(project=shop, feature_type="bugfix"),
        prompt(project=shop, feature_type="bugfix"),
    )


def version_zero(session: Session) -> None:
    add_all(session, prompt(version=0))


def unknown_prompt_phase(session: Session) -> None:
    add_all(session, prompt(phase="review"))


def prompt_of_missing_project(session: Session) -> None:
    add_all(session, prompt(project_id=4242))


def second_global_production_label(session: Session) -> None:
    first, second = prompt(version=1), prompt(version=2)
    add_all(session, first, second)
    add_all(
        session,
        PromptLabel(name=first.name, label="production", prompt=first),
        PromptLabel(name=first.name, label="production", prompt=second),
    )


def experiment(name: str, project: Project, **extra: Any) -> Experiment:
    return Experiment(name=name, project=project, **extra)


def negative_variant_weight(session: Session) -> None:
    variant = ExperimentVariant(
        experiment=experiment("e", Project(name="shop")), name="a", weight=-1.0
    )
    add_all(session, variant)


def second_running_experiment_for_any_feature_type(session: Session) -> None:
    shop = Project(name="shop")
    add_all(session, experiment("a", shop, status="running"))
    add_all(session, experiment("b", shop, status="running"))


def second_running_experiment_for_a_feature_type(session: Session) -> None:
    shop = Project(name="shop")
    add_all(session, experiment("a", shop, status="running", feature_type="bugfix"))
    add_all(session, experiment("b", shop, status="running", feature_type="bugfix"))


def unknown_experiment_status(session: Session) -> None:
    add_all(session, experiment("a", Project(name="shop"), status="completed"))


def unknown_experiment_unit(session: Session) -> None:
    add_all(session, experiment("a", Project(name="shop"), unit="user"))


def experiment_without_project(session: Session) -> None:
    add_all(session, Experiment(name="a"))


def unknown_session_status(session: Session) -> None:
    add_all(
        session, OrchestrationSession(project=Project(name="shop"), feature_name="f", status="lost")
    )


def unknown_session_phase(session: Session) -> None:
    add_all(
        session, OrchestrationSession(project=Project(name="shop"), feature_name="f", phase="done")
    )


def duplicate_project_name(session: Session) -> None:
    add_all(session, Project(name="shop"), Project(name="shop"))


REJECTED = [
    pytest.param(second_global_version_one, id="global-version-twice"),
    pytest.param(second_version_one_in_project, id="project-version-twice"),
    pytest.param(second_version_one_for_global_feature_type, id="global-feature-version-twice"),
    pytest.param(second_version_one_for_project_feature_type, id="project-feature-version-twice"),
    pytest.param(version_zero, id="version-zero"),
    pytest.param(unknown_prompt_phase, id="prompt-phase"),
    pytest.param(prompt_of_missing_project, id="foreign-key"),
    pytest.param(second_global_production_label, id="global-label-twice"),
    pytest.param(negative_variant_weight, id="negative-weight"),
    pytest.param(second_running_experiment_for_any_feature_type, id="running-any-type-twice"),
    pytest.param(second_running_experiment_for_a_feature_type, id="running-feature-type-twice"),
    pytest.param(unknown_experiment_status, id="experiment-status"),
    pytest.param(unknown_experiment_unit, id="experiment-unit"),
    pytest.param(experiment_without_project, id="experiment-project"),
    pytest.param(unknown_session_status, id="session-status"),
    pytest.param(unknown_session_phase, id="session-phase"),
    pytest.param(duplicate_project_name, id="project-name-twice"),
]


@pytest.mark.parametrize("write", REJECTED)
def test_invalid_rows_are_rejected(
    db_manager: DatabaseManager, write: Callable[[Session], None]
) -> None:
    with (
        pytest.raises(IntegrityError),
        db_manager.engine.connect() as connection,
        Session(connection) as session,
    ):
        write(session)


def test_the_same_version_may_exist_once_per_scope(db_manager: DatabaseManager) -> None:
    with db_manager.session() as session:
        shop, blog = Project(name="shop"), Project(name="blog")
        add_all(
            session,
            prompt(),
            prompt(feature_type="bugfix"),
            prompt(project=shop),
            prompt(project=blog),
            prompt(project=shop, feature_type="bugfix"),
            prompt(project=shop, feature_type="feature"),
            prompt(version=2),
        )
    with db_manager.session() as session:
        assert session.query(Prompt).count() == 7


def test_label_events_cannot_be_changed_through_the_orm(db_manager: DatabaseManager) -> None:
    with db_manager.session() as session:
        version = prompt()
        session.add(version)
        session.flush()
        move = PromptLabelEvent(
            name=version.name, label="production", to_prompt=version, to_version=1, reason="ship"
        )
        session.add(move)
    with pytest.raises(ValueError, match="audit trail"), db_manager.session() as session:
        stored = session.get(PromptLabelEvent, move.id)
        assert stored is not None
        stored.reason = "rewritten history"
    with db_manager.session() as session:
        stored = session.get(PromptLabelEvent, move.id)
        assert stored is not None and stored.reason == "ship"


def test_running_experiments_may_differ_by_project_or_feature_type(
    db_manager: DatabaseManager,
) -> None:
    with db_manager.session() as session:
        shop, blog = Project(name="shop"), Project(name="blog")
        add_all(
            session,
            experiment("shop-any", shop, status="running"),
            experiment("shop-bugs", shop, status="running", feature_type="bugfix"),
            experiment("shop-features", shop, status="running", feature_type="feature"),
            experiment("blog-any", blog, status="running"),
            experiment("shop-paused", shop, status="paused"),
            experiment("shop-draft", shop, status="draft"),
        )
    with db_manager.session() as session:
        assert session.query(Experiment).filter_by(status="running").count() == 4
