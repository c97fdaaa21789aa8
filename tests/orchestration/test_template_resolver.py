"""Resolution: slot precedence, labels, pins, constant statement count, and the DB loader."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any

import pytest
from sqlalchemy import event

from prompt_tool.core.templating import SandboxViolationError, TemplateRenderError
from prompt_tool.db.db_utils import DatabaseManager
from prompt_tool.orchestration.db_loader import engine_for
from prompt_tool.orchestration.template_manager import OrchestrationTemplateManager
from prompt_tool.orchestration.template_resolver import TemplateResolver

Store = Callable[[], AbstractContextManager[OrchestrationTemplateManager]]
ANALYSIS = "orchestration_analysis_default"
SLOTS = {
    "project+ft": ("webshop", "bugfix"),
    "project": ("webshop", None),
    "global+ft": (None, "bugfix"),
    "global": (None, None),
}


def put(
    manager: OrchestrationTemplateManager, slot: str, content: str, name: str = ANALYSIS
) -> None:
    project, feature_type = SLOTS[slot]
    phase = "partial" if name.startswith("partials/") else "analysis"
    manager.create_orchestration_template(name, phase, content, project, feature_type)


@pytest.mark.parametrize(
    ("present", "winner"),
    [
        pytest.param(
            ["project+ft", "project", "global+ft", "global"],
            "project+ft",
            id="project+ft-beats-all",
        ),
        pytest.param(["project", "global+ft", "global"], "project", id="project-beats-globals"),
        pytest.param(["global+ft", "global"], "global+ft", id="global+ft-beats-global"),
        pytest.param(["global"], "global", id="global-beats-builtin"),
        pytest.param([], "built-in", id="builtin-when-nothing-stored"),
        pytest.param(["project+ft", "global"], "project+ft", id="gap-in-the-middle"),
    ],
)
def test_precedence(store: Store, project: str, present: list[str], winner: str) -> None:
    with store() as manager:
        for slot in present:
            put(manager, slot, f"from {slot}\n")
    with store() as manager:
        resolution = TemplateResolver(manager.session, manager.defaults).resolve(
            "webshop", "bugfix"
        )
    chosen = resolution.phases["analysis"]
    expected = "Analyse {{ feature.name }}.\n" if winner == "built-in" else f"from {winner}\n"
    assert chosen.prompt is not None and chosen.prompt.content == expected
    titles = {"project+ft": "project + feature type", "global+ft": "global + feature type"}
    assert chosen.slot is not None and chosen.slot.title == titles.get(winner, winner)
    verdicts = [v.outcome for v in chosen.verdicts]
    assert sum(outcome.startswith("won") for outcome in verdicts) == 1
    assert all("shadowed" in v or "no analysis" in v or v.startswith("won") for v in verdicts)


def test_without_project_or_feature_type_those_slots_are_not_consulted(
    store: Store, project: str
) -> None:
    with store() as manager:
        put(manager, "project", "project\n")
        put(manager, "global", "global\n")
        resolution = TemplateResolver(manager.session, manager.defaults).resolve(None)
    phase = resolution.phases["analysis"]
    assert phase.prompt is not None and phase.prompt.content == "global\n"
    outcomes = [verdict.outcome for verdict in phase.verdicts]
    assert outcomes[0] == "not consulted: no --project given"
    assert outcomes[2] == "not consulted: no --feature-type given"


def test_label_wins_inside_the_slot_else_newest(store: Store, project: str) -> None:
    with store() as manager:
        for number in (1, 2, 3):
            put(manager, "project", f"v{number}\n")
        manager.set_label(ANALYSIS, "production", 2, "webshop")
        resolver = TemplateResolver(manager.session, manager.defaults)
        labelled = resolver.resolve("webshop").phases["analysis"]
        unlabelled = resolver.resolve("webshop", label="staging").phases["analysis"]
    assert labelled.prompt is not None and labelled.prompt.version == 2
    assert labelled.chosen_by == "label production"
    assert unlabelled.prompt is not None and unlabelled.prompt.version == 3
    assert unlabelled.chosen_by.startswith("newest")


def test_includes_resolve_transitively_with_pins(store: Store, project: str) -> None:
    with store() as manager:
        put(manager, "project", '{% include "partials/a.j2" %}|{% include "partials/b.j2@1" %}')
        put(manager, "global", '{% include "partials/c.j2@staging" %}', "partials/a.j2")
        put(manager, "global", "b1", "partials/b.j2")
        put(manager, "global", "b2", "partials/b.j2")
        put(manager, "global", "c1", "partials/c.j2")
        put(manager, "global", "c2", "partials/c.j2")
        manager.set_label("partials/c.j2", "staging", 1)
        resolution = TemplateResolver(manager.session, manager.defaults).resolve("webshop")
        rendered = engine_for(resolution).render(ANALYSIS, {})
    assert rendered == "c1|b1"
    assert {key: p.version for key, p in resolution.includes.items()} == {
        "partials/a.j2@production": 1,
        "partials/b.j2@1": 1,
        "partials/c.j2@staging": 1,
        "partials/context.j2@production": 0,  # the built-in orchestrator's include
    }


def test_bare_include_follows_the_includers_label(store: Store, project: str) -> None:
    with store() as manager:
        put(manager, "global", '{% include "partials/a.j2@staging" %}')
        put(manager, "global", '{% include "partials/b.j2" %}', "partials/a.j2")
        put(manager, "global", "b-one", "partials/b.j2")
        put(manager, "global", "b-two", "partials/b.j2")
        manager.set_label("partials/a.j2", "staging", 1)
        manager.set_label("partials/b.j2", "staging", 1)
        manager.set_label("partials/b.j2", "production", 2)
        resolution = TemplateResolver(manager.session, manager.defaults).resolve(None)
        assert engine_for(resolution).render(ANALYSIS, {}) == "b-one"


@contextmanager
def counted_statements(db_manager: DatabaseManager) -> Iterator[list[str]]:
    statements: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    event.listen(db_manager.engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(db_manager.engine, "before_cursor_execute", record)


def seed_versions(db_manager: DatabaseManager, first: int, last: int) -> None:
    """Versions `first..last` of an analysis template and two partials, inserted in bulk."""
    from sqlalchemy import select

    from prompt_tool.db.models import ORCHESTRATION_CATEGORY, Project, Prompt, PromptLabel

    with db_manager.session() as session:
        project_id = session.scalars(select(Project.id).where(Project.name == "webshop")).one()
        rows = []
        for number in range(first, last + 1):
            for name, phase, scope, refs in [
                (ANALYSIS, "analysis", (project_id, "bugfix"), ["partials/a.j2"]),
                ("partials/a.j2", "partial", (None, None), ["partials/b.j2@1"]),
                ("partials/b.j2", "partial", (None, None), []),
            ]:
                content = f"{name} {number} " + " ".join(f'{{% include "{r}" %}}' for r in refs)
                rows.append(
                    Prompt(
                        project_id=scope[0],
                        feature_type=scope[1],
                        name=name,
                        version=number,
                        content=content,
                        content_hash=str(number),
                        is_template=True,
                        category=ORCHESTRATION_CATEGORY,
                        phase=phase,
                        referenced_templates=refs,
                    )
                )
        session.add_all(rows)
        session.flush()
        label = session.scalars(select(PromptLabel).where(PromptLabel.name == ANALYSIS)).first()
        newest = rows[-3]
        if label is None:
            session.add(
                PromptLabel(
                    project_id=project_id,
                    feature_type="bugfix",
                    name=ANALYSIS,
                    label="production",
                    prompt_id=newest.id,
                )
            )
        else:
            label.prompt_id = newest.id


def test_statement_count_does_not_grow_with_versions(
    store: Store, project: str, db_manager: DatabaseManager
) -> None:
    counts = []
    for first, last in [(1, 4), (5, 334)]:  # 12, then 1,002 stored versions
        seed_versions(db_manager, first, last)
        with db_manager.session() as session, counted_statements(db_manager) as statements:
            resolution = TemplateResolver(session, []).resolve("webshop", "bugfix")
        assert set(resolution.includes) == {"partials/a.j2@production", "partials/b.j2@1"}
        counts.append(len([s for s in statements if s.lstrip().upper().startswith("SELECT")]))
    assert counts[0] == counts[1]
    assert counts[0] <= 4


SSTI_PAYLOADS = [
    pytest.param("{{ ''.__class__.__mro__ }}", id="str-mro"),
    pytest.param("{{ cycler.__init__.__globals__ }}", id="cycler-globals"),
    pytest.param("{{ self._TemplateReference__context }}", id="template-reference-context"),
    pytest.param("{{ ''.__class__.__mro__[1].__subclasses__() }}", id="subclasses"),
    pytest.param("{{ lipsum.__globals__['os'] }}", id="lipsum-os"),
    pytest.param("{{ joiner.__init__.__globals__.__builtins__ }}", id="joiner-builtins"),
    pytest.param("{{ range.__self__ }}", id="builtin-self"),
]


@pytest.mark.parametrize("payload", SSTI_PAYLOADS)
def test_sandbox_blocks_injection_through_the_database_path(
    store: Store, project: str, payload: str
) -> None:
    with store() as manager:
        put(manager, "project", '{% include "partials/evil.j2" %}')
        put(manager, "global", payload, "partials/evil.j2")
        resolution = TemplateResolver(manager.session, manager.defaults).resolve("webshop")
    with pytest.raises(TemplateRenderError) as raised:
        engine_for(resolution).render(ANALYSIS, {})
    message = str(raised.value)
    assert message.startswith(("partials/evil.j2", ANALYSIS))
    blocked = isinstance(raised.value, SandboxViolationError) or "has no attribute" in message
    assert blocked, message


def test_render_uses_the_resolved_include_for_the_scope(store: Store, project: str) -> None:
    with store() as manager:
        put(manager, "global", '[{% include "partials/context.j2" %}]')
        put(manager, "project", "webshop context", "partials/context.j2")
        put(manager, "global", "global context", "partials/context.j2")
        resolver = TemplateResolver(manager.session, manager.defaults)
        for_project = engine_for(resolver.resolve("webshop")).render(ANALYSIS, {})
        for_other = engine_for(resolver.resolve("other")).render(ANALYSIS, {})
    assert for_project == "[webshop context]"
    assert for_other == "[global context]"


def test_legacy_rows_from_migration_0003_never_win_a_slot(store: Store, project: str) -> None:
    with store() as manager:
        manager.create_orchestration_template(
            "orchestration_analysis_legacy_0123456789ab", "analysis", "old session text"
        )
        put(manager, "global", "current global\n")
        resolution = TemplateResolver(manager.session, manager.defaults).resolve(None)
    chosen = resolution.phases["analysis"].prompt
    assert chosen is not None and chosen.content == "current global\n"


def test_a_slot_never_chooses_between_two_phase_names_by_their_order(
    db_manager: DatabaseManager,
) -> None:
    """Stores refuse a second name (migration 0005); a slot that still has two is an error."""
    from prompt_tool.core.errors import ConflictError
    from prompt_tool.orchestration.template_files import TemplateSpec

    defaults = [
        TemplateSpec(name, name, "analysis", None, name, f"{name}.j2")
        for name in ("orchestration_analysis_b", "orchestration_analysis_a")
    ]
    with db_manager.session() as session, pytest.raises(ConflictError) as caught:
        TemplateResolver(session, defaults).resolve(None)
    assert "holds 2 analysis templates" in str(caught.value)
    assert "\n" not in str(caught.value)


def test_an_include_cycle_resolves_once_and_stops_rendering_with_a_clear_error(
    store: Store, project: str
) -> None:
    from prompt_tool.core.templating import TemplateRecursionError

    with store() as manager:
        put(manager, "global", '{% include "partials/a.j2" %}')
        put(manager, "global", 'a{% include "partials/b.j2" %}', "partials/a.j2")
        put(manager, "global", 'b{% include "partials/a.j2" %}', "partials/b.j2")
        resolution = TemplateResolver(manager.session, manager.defaults).resolve(None)
    assert set(resolution.includes) >= {"partials/a.j2@production", "partials/b.j2@production"}
    with pytest.raises(TemplateRecursionError, match="recurse"):
        engine_for(resolution).render(ANALYSIS, {})


def test_a_phase_with_no_template_anywhere_is_a_clear_error(db_manager: DatabaseManager) -> None:
    from prompt_tool.core.errors import NotFoundError

    with db_manager.session() as session:
        resolution = TemplateResolver(session, defaults=[]).resolve(None, "bugfix")
    assert resolution.phases["analysis"].prompt is None
    with pytest.raises(
        NotFoundError, match="no analysis template for project \\(global\\), feature type bugfix"
    ):
        resolution.phase_prompt("analysis")
