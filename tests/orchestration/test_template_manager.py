"""OrchestrationTemplateManager on SQLite and PostgreSQL: publish, versions, labels, diff, export."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path

import pytest
from sqlalchemy import func, select

from prompt_tool.checking.publish import PublishChecker, collect_files
from prompt_tool.checking.settings import ProjectSettings
from prompt_tool.core.errors import ConflictError, NotFoundError, UsageError, ValidationError
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
