"""OrchestrationTemplateManager on SQLite and PostgreSQL: publish, versions, labels, diff, export."""

from __future__ import annotations

import json
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path

import pytest
from sqlalchemy import func, select

from prompt_tool.checking.publish import PublishChecker, collect_files
from prompt_tool.checking.settings import ProjectSettings
from prompt_tool.core.errors import (
    ConflictError,
    DatabaseError,
    NotFoundError,
    UsageError,
    ValidationError,
)
from prompt_tool.db.db_utils import DatabaseManager
from prompt_tool.db.models import Prompt, PromptLabelEvent
from prompt_tool.orchestration.template_manager import (
    OrchestrationTemplateManager,
    TemplateValidationError,
)

Store = Callable[[], AbstractContextManager[OrchestrationTemplateManager]]

OVERRIDE = {
    "analysis.j2": 'Analyse {{ feature.name }} carefully.\n{% include "partials/context.j2" %}\n',
    "partials/context.j2": "Project context: {{ project.name }}\n",
}


def publish_tree(store: Store, root: Path, files: dict[str, str], **options: object):  # type: ignore[no-untyped-def]
    for name, content in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(content, encoding="utf-8")
    settings = ProjectSettings(root)
    with store() as manager:
        return manager.publish(  # type: ignore[arg-type]
            collect_files([root], settings), checker=PublishChecker(settings), **options
        )


def count_versions(db_manager: DatabaseManager) -> int:
    with db_manager.session() as session:
        return int(session.scalar(select(func.count()).select_from(Prompt)) or 0)


def test_publish_creates_versions_with_metadata(store: Store, project: str, tmp_path: Path) -> None:
    result = publish_tree(
        store, tmp_path / "t", OVERRIDE, project=project, message="first", author="ana"
    )
    assert {(item.name, item.version, item.status) for item in result.items} == {
        ("orchestration_analysis_default", 1, "created"),
        ("partials/context.j2", 1, "created"),
    }
    with store() as manager:
        [row] = manager.history("orchestration_analysis_default", project)
    assert row.created_by == "ana"
    assert row.message == "first"
    assert row.phase == "analysis"
    assert row.variables_used == ["feature"]
    assert row.referenced_templates == ["partials/context.j2"]
    assert row.source_path is not None and row.source_path.endswith("analysis.j2")


def test_publish_twice_is_a_noop_and_changes_make_new_versions(
    store: Store, project: str, tmp_path: Path, db_manager: DatabaseManager
) -> None:
    publish_tree(store, tmp_path / "t", OVERRIDE, project=project)
    before = count_versions(db_manager)
    again = publish_tree(store, tmp_path / "t", OVERRIDE, project=project)
    assert {item.status for item in again.items} == {"unchanged"}
    assert count_versions(db_manager) == before
    changed = publish_tree(
        store,
        tmp_path / "t",
        {"analysis.j2": "Analyse {{ feature.description }}.\n"},
        project=project,
    )
    versions = {item.name: (item.version, item.status) for item in changed.items}
    assert versions["orchestration_analysis_default"] == (2, "created")
    assert versions["partials/context.j2"] == (1, "unchanged")
    with store() as manager:
        assert [p.version for p in manager.history("orchestration_analysis_default", project)] == [
            2,
            1,
        ]


def test_invalid_file_writes_nothing(
    store: Store, project: str, tmp_path: Path, db_manager: DatabaseManager
) -> None:
    files = {**OVERRIDE, "implementation.j2": "Implement {% if feature %}unclosed\n"}
    with pytest.raises(TemplateValidationError) as raised:
        publish_tree(store, tmp_path / "t", files, project=project)
    [diagnostic] = raised.value.diagnostics
    assert diagnostic.code == "PT001"
    assert diagnostic.path.endswith("implementation.j2")
    assert count_versions(db_manager) == 0


def test_dry_run_reports_without_writing(
    store: Store, project: str, tmp_path: Path, db_manager: DatabaseManager
) -> None:
    result = publish_tree(store, tmp_path / "t", OVERRIDE, project=project, dry_run=True)
    assert [item.status for item in result.items] == ["created", "created"]
    assert count_versions(db_manager) == 0


def test_second_template_for_a_phase_in_one_scope_is_refused(
    store: Store, project: str, tmp_path: Path
) -> None:
    publish_tree(store, tmp_path / "a", {"analysis.j2": "A {{ feature.name }}\n"}, project=project)
    with pytest.raises(ConflictError, match="orchestration_analysis_default"):
        publish_tree(
            store, tmp_path / "b", {"deep.analysis.j2": "B {{ feature.name }}\n"}, project=project
        )


def test_a_second_phase_name_is_refused_on_every_way_in(store: Store, project: str) -> None:
    """Programmatic stores (import uses them) get the publish rule; the database backs it."""
    with store() as manager:
        manager.create_orchestration_template("orchestration_analysis_default", "analysis", "A")
    with pytest.raises(ConflictError, match="one template per phase"), store() as manager:
        manager.create_orchestration_template("orchestration_analysis_custom", "analysis", "B")
    with pytest.raises(DatabaseError, match=r"(?i)unique|duplicate"), store() as manager:
        manager.session.add(
            Prompt(
                name="orchestration_analysis_custom",
                version=1,
                phase="analysis",
                content="B",
                content_hash="b",
                is_template=True,
                category="__orchestration__",
            )
        )
        manager.session.flush()
    with store() as manager:
        names = {row.name for row in manager.list_templates()}
        manager.create_orchestration_template(
            "orchestration_analysis_custom", "analysis", "C", project
        )
    assert names == {"orchestration_analysis_default"}


def test_unknown_project_is_a_clear_error(store: Store, tmp_path: Path) -> None:
    with pytest.raises(NotFoundError, match="'nope'"):
        publish_tree(store, tmp_path / "t", OVERRIDE, project="nope")


def labelled_versions(store: Store, project: str, tmp_path: Path, count: int) -> None:
    for number in range(1, count + 1):
        publish_tree(
            store,
            tmp_path / "t",
            {"analysis.j2": f"Version {number} of {{{{ feature.name }}}}\n"},
            project=project,
            label="production",
            author=f"author{number}",
        )


def test_labels_move_with_events_and_rollback_is_repeatable(
    store: Store, project: str, tmp_path: Path
) -> None:
    name = "orchestration_analysis_default"
    labelled_versions(store, project, tmp_path, 3)
    with store() as manager:
        assert manager.get_version(name, project=project, label="production").version == 3
        assert manager.rollback(name, "production", project, author="bo").to_version == 2
    with store() as manager:
        assert manager.rollback(name, "production", project).to_version == 1
    with store() as manager, pytest.raises(ConflictError, match="no earlier version"):
        manager.rollback(name, "production", project)
    with store() as manager:
        events = manager.label_events(name, project)
        assert [(e.from_version, e.to_version) for e in events] == [
            (None, 1),
            (1, 2),
            (2, 3),
            (3, 2),
            (2, 1),
        ]
        assert events[3].created_by == "bo"
        assert events[3].reason == "rollback"
        assert manager.get_version(name, project=project, label="production").version == 1


def test_rollback_after_a_manual_move_undoes_that_move(
    store: Store, project: str, tmp_path: Path
) -> None:
    name = "orchestration_analysis_default"
    labelled_versions(store, project, tmp_path, 3)
    with store() as manager:
        manager.rollback(name, "production", project)
        manager.set_label(name, "production", 3, project, reason="fixed forward")
        assert manager.rollback(name, "production", project).to_version == 2
        assert manager.rollback(name, "production", project).to_version == 1


@pytest.mark.parametrize(
    ("version", "label", "error"),
    [
        pytest.param(9, "production", NotFoundError, id="missing-version"),
        pytest.param(1, "42", UsageError, id="numeric-label"),
        pytest.param(1, "a@b", UsageError, id="label-with-at"),
    ],
)
def test_bad_label_moves_are_refused(
    store: Store, project: str, tmp_path: Path, version: int, label: str, error: type[Exception]
) -> None:
    labelled_versions(store, project, tmp_path, 1)
    with store() as manager, pytest.raises(error):
        manager.set_label("orchestration_analysis_default", label, version, project)


def test_label_events_are_appended_with_who_and_why(
    store: Store, project: str, tmp_path: Path, db_manager: DatabaseManager
) -> None:
    labelled_versions(store, project, tmp_path, 2)
    with store() as manager:
        manager.set_label(
            "orchestration_analysis_default", "staging", 1, project, author="cy", reason="try"
        )
    with db_manager.session() as session:
        event = session.scalars(
            select(PromptLabelEvent).where(PromptLabelEvent.label == "staging")
        ).one()
    assert (event.created_by, event.reason, event.from_version, event.to_version) == (
        "cy",
        "try",
        None,
        1,
    )


def test_diff_reports_text_and_semantic_change(store: Store, project: str, tmp_path: Path) -> None:
    publish_tree(
        store,
        tmp_path / "t",
        {
            "analysis.j2": '{{ feature.name }}\n{% include "partials/a.j2" %}{% include "partials/b.j2" %}\n',
            "partials/a.j2": "a\n",
            "partials/b.j2": "b\n",
        },
        project=project,
        label="production",
    )
    publish_tree(
        store,
        tmp_path / "t",
        {
            "analysis.j2": '{{ session.id }}\n{% include "partials/a.j2@1" %}{% include "partials/context.j2" %}\n',
            "partials/context.j2": "c\n",
        },
        project=project,
    )
    with store() as manager:
        diff = manager.diff("orchestration_analysis_default", "production", "2", project)
    assert diff.variables_added == ["session"]
    assert diff.variables_removed == ["feature"]
    assert diff.includes_added == ["partials/context.j2"]
    assert diff.includes_removed == ["partials/b.j2"]
    assert diff.includes_repinned == [("partials/a.j2", "(bare)", "1")]
    assert "-{{ feature.name }}\n" in diff.text
    assert "+{{ session.id }}\n" in diff.text


def test_export_then_publish_back_is_a_noop(store: Store, project: str, tmp_path: Path) -> None:
    publish_tree(store, tmp_path / "t", OVERRIDE, project=project, label="production")
    with store() as manager:
        written = manager.export(project, tmp_path / "export")
    names = sorted(path.relative_to(tmp_path / "export").as_posix() for path in written)
    assert names == ["analysis.j2", "implementation.j2", "orchestrator.j2", "partials/context.j2"]
    assert (
        (tmp_path / "export" / "analysis.j2")
        .read_text()
        .startswith("{#- exported by prompt-tool: orchestration_analysis_default v1")
    )
    with store() as manager:
        settings = ProjectSettings(tmp_path)
        result = manager.publish(
            collect_files([tmp_path / "export"], settings),
            project,
            checker=PublishChecker(settings),
        )
    statuses = {item.name: item.status for item in result.items}
    assert statuses["orchestration_analysis_default"] == "unchanged"
    assert statuses["partials/context.j2"] == "unchanged"
    assert statuses["orchestration_orchestrator_default"] == "created"


def test_install_defaults_is_idempotent(store: Store, db_manager: DatabaseManager) -> None:
    with store() as manager:
        first = manager.install_defaults()
    with store() as manager:
        second = manager.install_defaults()
    assert {item.status for item in first.items} == {"created"}
    assert {item.status for item in second.items} == {"unchanged"}
    assert count_versions(db_manager) == 4
    with store() as manager:
        rows = manager.list_templates()
    assert {(row.scope, row.name, row.newest) for row in rows} == {
        ("(global)", "orchestration_orchestrator_default", 1),
        ("(global)", "orchestration_analysis_default", 1),
        ("(global)", "orchestration_implementation_default", 1),
        ("(global)", "partials/context.j2", 1),
    }


def test_package_defaults_install_as_global_templates(db_manager: DatabaseManager) -> None:
    from prompt_tool.orchestration.defaults import defaults_root

    shipped = sum(1 for _ in _j2_files(defaults_root()))
    with db_manager.session() as session:
        result = OrchestrationTemplateManager(session).install_defaults()
    assert len(result.created) == shipped


def _j2_files(folder):  # type: ignore[no-untyped-def]
    if not folder.is_dir():
        return
    for entry in folder.iterdir():
        if entry.is_dir():
            yield from _j2_files(entry)
        elif entry.name.endswith(".j2"):
            yield entry


def test_publishing_next_to_legacy_rows_is_allowed_and_legacy_names_are_reserved(
    store: Store, tmp_path: Path
) -> None:
    with store() as manager:
        manager.create_orchestration_template(
            "orchestration_analysis_legacy_0123456789ab", "analysis", "old session text"
        )
    result = publish_tree(store, tmp_path / "a", {"analysis.j2": "A {{ feature.name }}\n"})
    assert [item.status for item in result.items] == ["created"]
    with pytest.raises(ValidationError, match="reserved"):
        publish_tree(store, tmp_path / "b", {"legacy.x.analysis.j2": "B\n"})


def test_warnings_block_only_under_strict() -> None:
    from prompt_tool.analysis.diagnostics import Diagnostic, Severity, Span
    from prompt_tool.orchestration.template_manager import SpecCheck

    warning = Diagnostic("PT011", Severity.WARNING, "w", "a.j2", Span.at(0, 0))
    hint = Diagnostic("PT008", Severity.HINT, "h", "a.j2", Span.at(0, 0))
    error = Diagnostic("PT001", Severity.ERROR, "e", "a.j2", Span.at(0, 0))
    assert SpecCheck([warning, hint]).blocking(strict=False) == []
    assert SpecCheck([warning, hint]).blocking(strict=True) == [warning]
    assert SpecCheck([error, hint]).blocking(strict=False) == [error]


def test_publish_with_an_invalid_label_writes_nothing(
    store: Store, project: str, tmp_path: Path, db_manager: DatabaseManager
) -> None:
    with pytest.raises(UsageError, match="invalid label"):
        publish_tree(store, tmp_path / "t", OVERRIDE, project=project, label="7")
    assert count_versions(db_manager) == 0


def test_a_pin_to_the_label_this_publish_moves_is_valid(
    store: Store, project: str, tmp_path: Path
) -> None:
    files = {
        "analysis.j2": '{{ feature.name }}{% include "partials/c.j2@staging" %}\n',
        "partials/c.j2": "c\n",
    }
    with pytest.raises(TemplateValidationError) as raised:
        publish_tree(store, tmp_path / "a", files, project=project)
    assert [item.code for item in raised.value.diagnostics] == ["PT015"]
    result = publish_tree(store, tmp_path / "b", files, project=project, label="staging")
    assert len(result.created) == 2


def render_analysis(manager: OrchestrationTemplateManager, project: str) -> str:
    from prompt_tool.orchestration.db_loader import engine_for
    from prompt_tool.orchestration.template_resolver import TemplateResolver

    resolution = TemplateResolver(manager.session, manager.defaults).resolve(project)
    return engine_for(resolution).render("orchestration_analysis_default", {})


def test_export_keeps_what_pins_render_when_published_elsewhere(
    store: Store, project: str, tmp_path: Path
) -> None:
    """`@1` and `@staging` pins name rows of this database; the export must not depend on them."""
    publish_tree(
        store, tmp_path / "v1", {"partials/a.j2": "A1", "partials/b.j2": "B1"}, project=project
    )
    publish_tree(
        store,
        tmp_path / "v2",
        {
            "partials/a.j2": "A2",
            "partials/b.j2": '{% include "partials/c.j2" %}',
            "partials/c.j2": "C",
        },
        project=project,
        label="production",
    )
    analysis = (
        '{% include "partials/a.j2@1" %}|{% include "partials/a.j2@staging" %}|'
        '{% include "partials/a.j2" %}|{% include "partials/a.j2@2" %}|'
        "{% include 'partials/b.j2@1' %}|{% include \"partials/b.j2@2\" %}\n"
    )
    with store() as manager:
        manager.set_label("partials/a.j2", "staging", 1, project)
    publish_tree(
        store, tmp_path / "v3", {"analysis.j2": analysis}, project=project, label="production"
    )
    with store() as manager:
        before = render_analysis(manager, project)
        written = manager.export(project, tmp_path / "export")
    assert before == "A1|A1|A2|A2|B1|C"
    names = {path.relative_to(tmp_path / "export").as_posix() for path in written}
    partials = {"a.j2", "a.v1.j2", "a.staging.j2", "b.v1.j2", "b.v2.j2", "c.j2", "context.j2"}
    assert names == {"analysis.j2", "implementation.j2", "orchestrator.j2"} | {
        f"partials/{name}" for name in partials
    }
    text = (tmp_path / "export" / "analysis.j2").read_text(encoding="utf-8").split("\n", 1)[1]
    assert text == (
        '{% include "partials/a.v1.j2" %}|{% include "partials/a.staging.j2" %}|'
        '{% include "partials/a.j2" %}|{% include "partials/a.j2" %}|'
        "{% include 'partials/b.v1.j2' %}|{% include \"partials/b.v2.j2\" %}\n"
    )

    with store() as manager:
        settings = ProjectSettings(tmp_path)
        manager.publish(
            collect_files([tmp_path / "export"], settings),
            "other",
            label="production",
            checker=PublishChecker(settings),
        )
    with store() as manager:
        assert render_analysis(manager, "other") == before


@pytest.mark.parametrize(
    "hostile",
    [
        pytest.param("../../escaped.j2", id="dotdot"),
        pytest.param("/tmp/absolute.j2", id="absolute"),
        pytest.param("partials/\x1b[2Jx.j2", id="ansi"),
    ],
)
def test_export_never_writes_outside_the_folder(
    store: Store, project: str, tmp_path: Path, hostile: str
) -> None:
    """A name that reached the database unchecked (an old import) refuses the whole export."""
    with store() as manager:
        for name, phase, content in (
            (hostile, "partial", "evil"),
            (
                "orchestration_analysis_default",
                "analysis",
                "{% include " + json.dumps(hostile) + " %}",
            ),
        ):
            manager.session.add(
                Prompt(
                    name=name,
                    version=1,
                    phase=phase,
                    content=content,
                    content_hash="x",
                    is_template=True,
                    category="__orchestration__",
                    referenced_templates=[hostile] if phase == "analysis" else [],
                    variables_used=[],
                )
            )
    target = tmp_path / "deep" / "er" / "export"
    before = sorted(tmp_path.rglob("*"))
    with pytest.raises(ValidationError, match="nothing was written") as caught, store() as manager:
        manager.export(None, target)
    assert "\n" not in str(caught.value)
    assert not target.exists() and not Path("/tmp/absolute.j2").exists()
    assert sorted(tmp_path.rglob("*")) == before


def test_export_refuses_a_symbolic_link_out_of_the_folder(
    store: Store, project: str, tmp_path: Path
) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    target = tmp_path / "export"
    target.mkdir()
    (target / "partials").symlink_to(outside, target_is_directory=True)
    with pytest.raises(ValidationError, match="leads outside") as caught, store() as manager:
        manager.export(project, target)
    assert "partials/context.j2" in str(caught.value)
    assert list(outside.iterdir()) == [] and sorted(p.name for p in target.iterdir()) == [
        "partials"
    ]
