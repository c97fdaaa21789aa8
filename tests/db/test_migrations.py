"""Migrations on real SQLite and PostgreSQL: round trips, no drift, the 0003 data migration."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlalchemy.exc import IntegrityError

from prompt_tool.core.errors import DatabaseError
from prompt_tool.db import migrations
from prompt_tool.db.engine import create_database_engine
from prompt_tool.db.models import ORCHESTRATION_CATEGORY, Base


def table_names(url: str) -> set[str]:
    engine = create_database_engine(url)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def query(url: str, sql: str, **params: Any) -> list[Any]:
    engine = create_database_engine(url)
    try:
        with engine.connect() as connection:
            return list(connection.execute(text(sql), params))
    finally:
        engine.dispose()


def execute(url: str, sql: str, **params: Any) -> None:
    engine = create_database_engine(url)
    try:
        with engine.begin() as connection:
            connection.execute(text(sql), params)
    finally:
        engine.dispose()


def test_upgrade_downgrade_upgrade_round_trip(empty_database_url: str) -> None:
    model_tables = set(Base.metadata.tables)

    migrations.upgrade(empty_database_url)
    assert migrations.current(empty_database_url) == migrations.head() == "0006"
    assert table_names(empty_database_url) == model_tables | {"alembic_version"}

    migrations.downgrade(empty_database_url, "base")
    assert migrations.current(empty_database_url) is None
    assert table_names(empty_database_url) == {"alembic_version"}

    migrations.upgrade(empty_database_url)
    assert migrations.current(empty_database_url) == "0006"
    assert table_names(empty_database_url) == model_tables | {"alembic_version"}


def test_models_match_migrations(database_url: str) -> None:
    engine = create_database_engine(database_url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            differences = compare_metadata(context, Base.metadata)
    finally:
        engine.dispose()
    assert differences == []


def test_history_lists_the_revisions_in_order() -> None:
    revisions = migrations.history()
    assert [revision.revision for revision in revisions] == [
        "0001",
        "0002",
        "0003",
        "0004",
        "0005",
        "0006",
    ]
    assert [revision.down_revision for revision in revisions] == [
        None,
        "0001",
        "0002",
        "0003",
        "0004",
        "0005",
    ]
    assert all(revision.description for revision in revisions)


def test_script_location_is_found_from_the_package_not_the_cwd(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert (migrations.script_location() / "versions" / "0003_orchestration_templates.py").is_file()


PLAN_A = "Plan {{ feature.name }} for {{ project.name }}."
PLAN_B = "Plan carefully: {{ feature.description }}"
ANALYSE = "Analyse {{ plan }}"


def seed_legacy_sessions(url: str) -> None:
    """Three sessions written by the pre-0003 system: two share the orchestrator text."""
    execute(url, "INSERT INTO projects (id, name, variables) VALUES (1, 'shop', '{}')")
    rows = [
        (1, PLAN_A, ANALYSE, None),
        (2, PLAN_A, ANALYSE, ""),
        (3, PLAN_B, PLAN_A, None),
    ]
    for session_id, orchestrator, analysis, implementation in rows:
        execute(
            url,
            "INSERT INTO orchestration_sessions (id, project_id, feature_name, status, phase,"
            " orchestrator_template, analysis_template, implementation_template,"
            " variant_assignments) VALUES (:id, 1, :feature, 'active', 'orchestrator',"
            " :orchestrator, :analysis, :implementation, '{}')",
            id=session_id,
            feature=f"feature-{session_id}",
            orchestrator=orchestrator,
            analysis=analysis,
            implementation=implementation,
        )


def session_prompt_ids(url: str) -> dict[int, tuple[Any, Any, Any]]:
    rows = query(
        url,
        "SELECT id, orchestrator_prompt_id, analysis_prompt_id, implementation_prompt_id"
        " FROM orchestration_sessions ORDER BY id",
    )
    return {row[0]: (row[1], row[2], row[3]) for row in rows}


def test_0003_turns_legacy_text_into_deduplicated_prompt_versions(
    empty_database_url: str,
) -> None:
    url = empty_database_url
    migrations.upgrade(url, "0002")
    seed_legacy_sessions(url)

    migrations.upgrade(url, "0003")

    prompts = query(
        url,
        "SELECT id, name, version, content, content_hash, is_template, category, phase,"
        " project_id, feature_type FROM prompts ORDER BY id",
    )
    by_key = {(row.phase, row.content): row for row in prompts}
    assert set(by_key) == {
        ("orchestrator", PLAN_A),
        ("orchestrator", PLAN_B),
        ("analysis", ANALYSE),
        ("analysis", PLAN_A),
    }
    for row in prompts:
        assert row.content_hash == hashlib.sha256(row.content.encode()).hexdigest()
        assert bool(row.is_template) is True
        assert row.category == ORCHESTRATION_CATEGORY
        assert row.version == 1
        assert row.project_id is None and row.feature_type is None
        assert row.name == f"orchestration_{row.phase}_legacy_{row.content_hash[:12]}"

    ids = session_prompt_ids(url)
    plan_a = by_key[("orchestrator", PLAN_A)].id
    assert ids[1] == (plan_a, by_key[("analysis", ANALYSE)].id, None)
    assert ids[2] == (plan_a, by_key[("analysis", ANALYSE)].id, None)
    assert ids[3] == (by_key[("orchestrator", PLAN_B)].id, by_key[("analysis", PLAN_A)].id, None)
    texts = query(url, "SELECT orchestrator_template FROM orchestration_sessions ORDER BY id")
    assert [row[0] for row in texts] == [PLAN_A, PLAN_A, PLAN_B]


def test_0003_downgrade_brings_the_text_back(empty_database_url: str) -> None:
    url = empty_database_url
    migrations.upgrade(url, "0002")
    seed_legacy_sessions(url)
    migrations.upgrade(url, "head")
    plan_b_id = query(url, "SELECT orchestrator_prompt_id FROM orchestration_sessions WHERE id = 3")
    execute(
        url,
        "INSERT INTO orchestration_sessions (id, project_id, feature_name, status, phase,"
        " orchestrator_prompt_id, variant_assignments)"
        " VALUES (4, 1, 'new', 'active', 'orchestrator', :prompt_id, '{}')",
        prompt_id=plan_b_id[0][0],
    )

    migrations.downgrade(url, "0002")

    columns = {
        column["name"]
        for column in inspect(create_database_engine(url)).get_columns("orchestration_sessions")
    }
    assert (
        not {"orchestrator_prompt_id", "analysis_prompt_id", "implementation_prompt_id"} & columns
    )
    rows = query(
        url,
        "SELECT id, orchestrator_template, analysis_template FROM orchestration_sessions ORDER BY id",
    )
    assert [tuple(row) for row in rows] == [
        (1, PLAN_A, ANALYSE),
        (2, PLAN_A, ANALYSE),
        (3, PLAN_B, PLAN_A),
        (4, PLAN_B, None),
    ]

    migrations.upgrade(url, "head")
    assert query(url, "SELECT count(*) FROM prompts")[0][0] == 4


def test_a_failed_upgrade_leaves_nothing_half_written(empty_database_url: str) -> None:
    execute(empty_database_url, "CREATE TABLE orchestration_sessions (id INTEGER PRIMARY KEY)")

    with pytest.raises(DatabaseError, match=r"^cannot upgrade .* to 'head': .*already exists"):
        migrations.upgrade(empty_database_url)

    assert migrations.current(empty_database_url) is None
    assert table_names(empty_database_url) == {"orchestration_sessions"}


def test_is_up_to_date_follows_the_revision(empty_database_url: str) -> None:
    engine = create_database_engine(empty_database_url)
    try:
        assert migrations.is_up_to_date(engine) is False
        migrations.upgrade(empty_database_url, "0002")
        assert migrations.is_up_to_date(engine) is False
        migrations.upgrade(empty_database_url)
        assert migrations.is_up_to_date(engine) is True
    finally:
        engine.dispose()


def insert_template(url: str, prompt_id: int, name: str, version: int, phase: str) -> None:
    execute(
        url,
        "INSERT INTO prompts (id, project_id, feature_type, name, version, content, content_hash,"
        " is_template, category, phase, referenced_templates, variables_used)"
        " VALUES (:id, 1, NULL, :name, :version, :content, 'h', :yes, :category, :phase,"
        " '[]', '[]')",
        id=prompt_id,
        name=name,
        version=version,
        content=f"{name} v{version}",
        yes=True,
        category=ORCHESTRATION_CATEGORY,
        phase=phase,
    )


def test_0005_archives_extra_phase_templates_and_keeps_sessions_rendering(
    empty_database_url: str,
) -> None:
    """A scope with two analysis names (an unchecked import): the production one stays."""
    url = empty_database_url
    migrations.upgrade(url, "0004")
    execute(url, "INSERT INTO projects (id, name, variables) VALUES (1, 'shop', '{}')")
    insert_template(url, 1, "orchestration_analysis_default", 1, "analysis")
    insert_template(url, 2, "orchestration_analysis_default", 2, "analysis")
    insert_template(url, 3, "orchestration_analysis_custom", 1, "analysis")
    insert_template(url, 4, "orchestration_orchestrator_default", 1, "orchestrator")
    execute(
        url,
        "INSERT INTO prompt_labels (project_id, name, label, prompt_id)"
        " VALUES (1, 'orchestration_analysis_default', 'production', 1),"
        " (1, 'orchestration_analysis_custom', 'staging', 3)",
    )
    execute(
        url,
        "INSERT INTO orchestration_sessions (id, project_id, feature_name, status, phase,"
        " analysis_prompt_id, variant_assignments, template_versions)"
        " VALUES (1, 1, 'f', 'active', 'analysis', 3, '{}',"
        ' \'{"orchestration_analysis_custom@production": 3,'
        ' "orchestration_orchestrator_default@production": 4}\')',
    )

    migrations.upgrade(url, "0005")

    names = query(url, "SELECT id, name FROM prompts ORDER BY id")
    assert [tuple(row) for row in names] == [
        (1, "orchestration_analysis_default"),
        (2, "orchestration_analysis_default"),
        (3, "orchestration_analysis_legacy_custom"),
        (4, "orchestration_orchestrator_default"),
    ]
    label_names = query(url, "SELECT name FROM prompt_labels ORDER BY id")
    assert [row[0] for row in label_names] == [
        "orchestration_analysis_default",
        "orchestration_analysis_legacy_custom",
    ]
    [[recorded]] = query(url, "SELECT template_versions FROM orchestration_sessions")
    recorded = json.loads(recorded) if isinstance(recorded, str) else recorded
    assert recorded == {
        "orchestration_analysis_legacy_custom@production": 3,
        "orchestration_orchestrator_default@production": 4,
    }

    with pytest.raises(IntegrityError):
        insert_template(url, 5, "orchestration_analysis_other", 1, "analysis")
    insert_template(url, 6, "orchestration_analysis_legacy_more", 1, "analysis")
    insert_template(url, 7, "partials/a.j2", 1, "partial")
    insert_template(url, 8, "partials/b.j2", 1, "partial")

    migrations.downgrade(url, "0004")
    insert_template(url, 5, "orchestration_analysis_other", 1, "analysis")
    migrations.upgrade(url, "0005")
    [[archived]] = query(url, "SELECT name FROM prompts WHERE id = 5")
    assert archived == "orchestration_analysis_legacy_other"


def seed_0005_experiments(url: str) -> None:
    execute(url, "INSERT INTO projects (id, name, variables) VALUES (1, 'shop', '{}')")
    for experiment_id, status, phase in ((1, "completed", "analysis"), (2, "running", None)):
        execute(
            url,
            "INSERT INTO experiments (id, name, status, project_id, phase)"
            " VALUES (:id, :name, :status, 1, :phase)",
            id=experiment_id,
            name=f"e{experiment_id}",
            status=status,
            phase=phase,
        )


def test_0006_reshapes_experiments_and_back(empty_database_url: str) -> None:
    url = empty_database_url
    migrations.upgrade(url, "0005")
    seed_0005_experiments(url)

    migrations.upgrade(url, "0006")
    assert query(
        url, "SELECT id, status, unit, min_sample, winner FROM experiments ORDER BY id"
    ) == [
        (1, "concluded", "project+feature", 30, None),
        (2, "running", "project+feature", 30, None),
    ]
    with pytest.raises(IntegrityError):
        execute(url, "UPDATE experiments SET status = 'completed' WHERE id = 2")
    with pytest.raises(IntegrityError):
        execute(
            url,
            "INSERT INTO experiments (id, name, status, project_id, unit, min_sample)"
            " VALUES (3, 'e3', 'running', 1, 'project+feature', 30)",
        )

    migrations.downgrade(url, "0005")
    assert query(url, "SELECT id, status, phase FROM experiments ORDER BY id") == [
        (1, "completed", None),
        (2, "running", None),
    ]
    execute(url, "UPDATE experiments SET phase = 'analysis' WHERE id = 2")
    with pytest.raises(IntegrityError):
        execute(url, "UPDATE experiments SET phase = 'review' WHERE id = 2")


def test_0006_refuses_an_experiment_without_a_project(empty_database_url: str) -> None:
    url = empty_database_url
    migrations.upgrade(url, "0005")
    execute(url, "INSERT INTO experiments (id, name, status) VALUES (1, 'lost', 'draft')")

    with pytest.raises(DatabaseError, match="1 experiment\\(s\\) have no project"):
        migrations.upgrade(url, "0006")
    assert migrations.current(url) == "0005"
    assert query(url, "SELECT name FROM experiments") == [("lost",)]
