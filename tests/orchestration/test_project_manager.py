"""ProjectManager on both backends: the rules live here, not in the CLI."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
from sqlalchemy import func, select

from prompt_tool.core.errors import ConflictError, NotFoundError, ValidationError
from prompt_tool.db.db_utils import DatabaseManager
from prompt_tool.db.models import OrchestrationSession, Project, Prompt
from prompt_tool.orchestration.project_manager import ProjectManager


def test_create_list_get(db_manager: DatabaseManager) -> None:
    with db_manager.session() as session:
        manager = ProjectManager(session)
        manager.create("shop", "The shop")
        manager.create("blog")
    with db_manager.session() as session:
        manager = ProjectManager(session)
        assert [project.name for project in manager.list()] == ["blog", "shop"]
        shop = manager.get("shop")
    assert shop.description == "The shop"
    assert shop.variables == {}
    assert shop.created_at.tzinfo is not None


def test_creating_a_project_twice_is_a_conflict(db_manager: DatabaseManager) -> None:
    with db_manager.session() as session:
        ProjectManager(session).create("shop")
    with pytest.raises(ConflictError, match="'shop' already exists"), db_manager.session() as s:
        ProjectManager(s).create("shop")


@pytest.mark.parametrize(
    "name",
    [
        pytest.param("", id="empty"),
        pytest.param(" shop", id="padded"),
        pytest.param("x" * 256, id="long"),
    ],
)
def test_invalid_project_names_are_rejected(db_manager: DatabaseManager, name: str) -> None:
    with pytest.raises(ValidationError), db_manager.session() as session:
        ProjectManager(session).create(name)


@pytest.mark.parametrize(
    "call",
    [
        pytest.param(lambda m: m.get("nope"), id="get"),
        pytest.param(lambda m: m.delete("nope"), id="delete"),
        pytest.param(lambda m: m.set_var("nope", "k", "v"), id="set-var"),
        pytest.param(lambda m: m.unset_var("nope", "k"), id="unset-var"),
    ],
)
def test_unknown_project_is_not_found(db_manager: DatabaseManager, call: Any) -> None:
    with (
        pytest.raises(NotFoundError, match="project 'nope' does not exist"),
        db_manager.session() as session,
    ):
        call(ProjectManager(session))


@pytest.mark.parametrize(
    ("raw", "stored"),
    [
        pytest.param("42", 42, id="integer"),
        pytest.param("3.5", 3.5, id="float"),
        pytest.param("true", True, id="boolean"),
        pytest.param("null", None, id="null"),
        pytest.param('"42"', "42", id="quoted-string"),
        pytest.param('["ana", "bo"]', ["ana", "bo"], id="list"),
        pytest.param('{"a": {"b": [1]}}', {"a": {"b": [1]}}, id="object"),
        pytest.param("hello world", "hello world", id="plain-text"),
        pytest.param("{not json", "{not json", id="broken-json-is-text"),
        pytest.param("", "", id="empty"),
    ],
)
def test_set_var_stores_json_else_text(db_manager: DatabaseManager, raw: str, stored: Any) -> None:
    with db_manager.session() as session:
        manager = ProjectManager(session)
        manager.create("shop")
        assert manager.set_var("shop", "value", raw) == stored
    with db_manager.session() as session:
        assert ProjectManager(session).get("shop").variables == {"value": stored}


@pytest.mark.parametrize(
    "key",
    [
        pytest.param("1x", id="leading-digit"),
        pytest.param("a-b", id="dash"),
        pytest.param("two words", id="space"),
        pytest.param("", id="empty"),
        pytest.param("true", id="jinja-constant"),
        pytest.param("in", id="jinja-operator"),
    ],
)
def test_variable_names_must_be_jinja_identifiers(db_manager: DatabaseManager, key: str) -> None:
    with db_manager.session() as session:
        ProjectManager(session).create("shop")
    with (
        pytest.raises(ValidationError, match="invalid variable name"),
        db_manager.session() as session,
    ):
        ProjectManager(session).set_var("shop", key, "1")


def test_set_then_unset_var(db_manager: DatabaseManager) -> None:
    with db_manager.session() as session:
        manager = ProjectManager(session)
        manager.create("shop")
        manager.set_var("shop", "language", "Python")
        manager.set_var("shop", "level", "3")
        manager.set_var("shop", "level", "4")
    with db_manager.session() as session:
        ProjectManager(session).unset_var("shop", "language")
    with db_manager.session() as session:
        manager = ProjectManager(session)
        assert manager.get("shop").variables == {"level": 4}
        with pytest.raises(NotFoundError, match="no variable 'language'"):
            manager.unset_var("shop", "language")


def test_delete_cascades_to_templates_and_sessions(db_manager: DatabaseManager) -> None:
    with db_manager.session() as session:
        manager = ProjectManager(session)
        shop = manager.create("shop")
        manager.create("blog")
        session.add_all(
            [
                Prompt(
                    project=shop,
                    name="orchestration_orchestrator_plan",
                    version=1,
                    content="x",
                    content_hash=hashlib.sha256(b"x").hexdigest(),
                ),
                OrchestrationSession(project=shop, feature_name="checkout"),
            ]
        )
    with db_manager.session() as session:
        summary = ProjectManager(session).summary("shop")
        assert (summary.prompt_versions, summary.sessions) == (1, 1)
    with db_manager.session() as session:
        manager = ProjectManager(session)
        assert len(manager.get("shop").prompts) == 1
        manager.delete("shop")
    with db_manager.session() as session:
        assert [p.name for p in ProjectManager(session).list()] == ["blog"]
        for model in (Prompt, OrchestrationSession):
            assert session.scalar(select(func.count()).select_from(model)) == 0
        assert session.scalar(select(func.count()).select_from(Project)) == 1


def test_a_project_whose_versions_are_used_elsewhere_is_not_deleted(
    db_manager: DatabaseManager,
) -> None:
    with db_manager.session() as session:
        manager = ProjectManager(session)
        shop = manager.create("shop")
        blog = manager.create("blog")
        borrowed = Prompt(
            project=shop,
            name="orchestration_orchestrator_plan",
            version=1,
            content="x",
            content_hash=hashlib.sha256(b"x").hexdigest(),
        )
        session.add(
            OrchestrationSession(project=blog, feature_name="f", orchestrator_version=borrowed)
        )
    with (
        pytest.raises(ConflictError, match="'shop' cannot be deleted"),
        db_manager.session() as session,
    ):
        ProjectManager(session).delete("shop")
    with db_manager.session() as session:
        assert [p.name for p in ProjectManager(session).list()] == ["blog", "shop"]
