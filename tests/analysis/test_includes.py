"""PT007-PT010 and partials: include targets, cycles on every member, includer phases."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pytest

from prompt_tool.analysis.include_checks import MAX_CYCLE_RELATED, closest_name
from prompt_tool.analysis.includes import CHAIN_SHOWN
from prompt_tool.analysis.workspace import AnalysisConfig, Workspace


class FolderSource:
    """An external TemplateSource backed by a dict, as files under a root would be."""

    def __init__(self, templates: dict[str, str]) -> None:
        self.templates = templates

    def get_source(self, name: str) -> str | None:
        return self.templates.get(name)

    def list_names(self) -> Iterable[str]:
        return list(self.templates)


def workspace_with(templates: dict[str, str], external: dict[str, str] | None = None) -> Workspace:
    workspace = Workspace(AnalysisConfig(use_builtin_contracts=False), FolderSource(external or {}))
    workspace.set_documents(templates)
    return workspace


@pytest.mark.parametrize(
    "source",
    [
        pytest.param("{% include 'p/x.j2' %}", id="held"),
        pytest.param("{% include 'disk.j2' %}", id="external"),
        pytest.param("{% include 'nope.j2' ignore missing %}", id="ignore-missing"),
        pytest.param("{% include ['nope.j2', 'p/x.j2'] %}", id="list-one-exists"),
        pytest.param("{% extends 'p/x.j2' %}", id="extends"),
        pytest.param("{% import 'p/x.j2' as x %}{% from 'disk.j2' import y %}", id="imports"),
        pytest.param("{% include 'p/x.j2@production' %}", id="pinned"),
    ],
)
def test_resolvable_targets(source: str) -> None:
    workspace = workspace_with({"t.j2": source, "p/x.j2": "x"}, {"disk.j2": "d"})
    assert workspace.diagnostics("t.j2") == []


@pytest.mark.parametrize(
    ("source", "needle", "kind"),
    [
        pytest.param("{% include 'nope.j2' %}", "'nope.j2'", "include", id="include"),
        pytest.param('{% extends "base.html" %}', '"base.html"', "extends", id="extends"),
        pytest.param("{% import 'm.j2' as m %}", "'m.j2'", "import", id="import"),
        pytest.param("{% from 'm.j2' import a %}", "'m.j2'", "from", id="from"),
        pytest.param("{% include ['a.j2', 'b.j2'] %}", "'a.j2'", "include", id="list-none-exist"),
    ],
)
def test_missing_targets(expect: Any, found: Any, source: str, needle: str, kind: str) -> None:
    (diagnostic,) = workspace_with({"t.j2": source}).diagnostics("t.j2")
    assert found(diagnostic) == expect(source, "PT007", needle)
    assert diagnostic.message.startswith(f"{kind} target")


def test_names_are_relative_to_the_root_not_the_includer(expect: Any, found: Any) -> None:
    source = "{% include 'x.j2' %}"
    workspace = workspace_with({"p/t.j2": source, "p/x.j2": "x"})
    assert [found(d) for d in workspace.diagnostics("p/t.j2")] == [
        expect(source, "PT007", "'x.j2'", path="p/t.j2")
    ]


def test_missing_target_suggests_close_name() -> None:
    source = "{% include 'partials/featur.j2' %}"
    workspace = workspace_with({"t.j2": source, "partials/feature.j2": ""})
    (diagnostic,) = workspace.diagnostics("t.j2")
    assert diagnostic.fix is not None
    assert diagnostic.fix.replacement == "'partials/feature.j2'"
    assert diagnostic.fix.span == diagnostic.span


MANY = {f"group{index % 100:02}/template{index:05}.j2": "" for index in range(10_000)}


def test_among_thousands_of_templates_the_suggestion_comes_from_the_names_around_it() -> None:
    names = sorted(MANY)
    assert closest_name("group42/templat00042.j2", names) == "group42/template00042.j2"
    assert closest_name("group42/templte00042.j2", names) == "group42/template00042.j2"
    assert closest_name("group42/template00042.jinja", names) == "group42/template00042.j2"


def test_a_missing_includes_suggestion_is_remembered_until_the_templates_change() -> None:
    source = "{% include 'zz/featur.j2' %}"
    workspace = workspace_with({"t.j2": source, "zz/feature.j2": ""}, MANY)
    (first,) = workspace.diagnostics("t.j2")
    workspace.set_document("t.j2", source + "\nmore text")
    (again,) = workspace.diagnostics("t.j2")
    workspace.remove_document("zz/feature.j2")
    (gone,) = workspace.diagnostics("t.j2")

    assert first.message.endswith("did you mean `zz/feature.j2`?")
    assert again.message == first.message
    assert gone.message == "include target `zz/featur.j2` not found"


def test_dynamic_target_is_a_hint(expect: Any, found: Any) -> None:
    source = "{% set layout = 'a' %}{% include layout %}"
    (diagnostic,) = workspace_with({"t.j2": source}).diagnostics("t.j2")
    assert found(diagnostic) == expect(source, "PT008", "layout", 1)
    assert diagnostic.severity.name == "HINT"


def test_unconditional_cycle_reported_on_every_member_with_chain() -> None:
    templates = {
        "a.j2": "{% include 'b.j2' %}",
        "b.j2": "text\n  {% include 'c.j2' %}",
        "c.j2": "{% include 'a.j2' %}",
    }
    workspace = workspace_with(templates)
    chains = {}
    for name in templates:
        (diagnostic,) = workspace.diagnostics(name)
        assert diagnostic.code == "PT009"
        assert diagnostic.severity.name == "ERROR"
        chains[name] = (diagnostic.message, diagnostic.span, [r.path for r in diagnostic.related])
    assert chains["a.j2"][0] == "include cycle: a.j2 → b.j2 → c.j2 → a.j2"
    assert chains["b.j2"][0] == "include cycle: b.j2 → c.j2 → a.j2 → b.j2"
    assert (chains["b.j2"][1].start.line, chains["b.j2"][1].start.column) == (1, 13)
    assert chains["a.j2"][2] == ["b.j2", "c.j2"]


def test_self_include_and_extends_cycles() -> None:
    workspace = workspace_with(
        {
            "a.j2": "{% include 'a.j2' %}",
            "b.j2": "{% extends 'c.j2' %}",
            "c.j2": "{% extends 'b.j2' %}",
        }
    )
    assert [d.message for d in workspace.diagnostics("a.j2")] == ["include cycle: a.j2 → a.j2"]
    assert [d.code for d in workspace.diagnostics("c.j2")] == ["PT009"]


def test_guarded_cycle_is_a_warning(expect: Any, found: Any) -> None:
    tree = (
        "{{ node.label }}{% for child in node.children %}"
        "{% with node = child %}{% include 'tree.j2' %}{% endwith %}{% endfor %}"
    )
    (diagnostic,) = workspace_with({"tree.j2": tree}).diagnostics("tree.j2")
    assert found(diagnostic) == expect(tree, "PT010", "'tree.j2'", path="tree.j2")
    assert diagnostic.severity.name == "WARNING"
    assert diagnostic.message.startswith("conditional include cycle: tree.j2 → tree.j2")


UNCHANGING_GUARD_CYCLES = [
    pytest.param(
        {"tree.j2": "{% for child in node.children %}{% include 'tree.j2' %}{% endfor %}"},
        "`node`",
        id="loop-over-the-same-node",
    ),
    pytest.param(
        {
            "a.j2": "{% if feature.name %}{% include 'b.j2' %}{% endif %}",
            "b.j2": "{% set other = 1 %}{% include 'a.j2' %}",
        },
        "`feature`",
        id="two-templates-contract-guard",
    ),
]


@pytest.mark.parametrize(("templates", "shown"), UNCHANGING_GUARD_CYCLES)
def test_guarded_cycle_whose_guard_never_changes_is_an_error(
    templates: dict[str, str], shown: str
) -> None:
    workspace = workspace_with(templates)
    for name in templates:
        (diagnostic,) = workspace.diagnostics(name)
        assert (diagnostic.code, diagnostic.severity.name) == ("PT009", "ERROR")
        assert f"its guards read {shown}, which no template on the cycle assigns" in (
            diagnostic.message
        )


GUARD_MAY_CHANGE = [
    pytest.param(
        {"c.j2": "{% if n > 0 %}{% set n = n - 1 %}{% include 'c.j2' %}{% endif %}"},
        id="countdown",
    ),
    pytest.param(
        {
            "a.j2": "{% if ns.depth < 3 %}{% include 'b.j2' %}{% endif %}",
            "b.j2": "{% set ns.depth = ns.depth + 1 %}{% include 'a.j2' %}",
        },
        id="namespace-counter",
    ),
    pytest.param(
        {"r.j2": "{% if range(3)|random %}{% include 'r.j2' %}{% endif %}"}, id="call-in-guard"
    ),
    pytest.param({"m.j2": "{% macro m() %}{% include 'm.j2' %}{% endmacro %}"}, id="macro-body"),
]


@pytest.mark.parametrize("templates", GUARD_MAY_CHANGE)
def test_guarded_cycle_whose_guard_may_change_stays_a_warning(templates: dict[str, str]) -> None:
    workspace = workspace_with(templates)
    for name in templates:
        assert [d.code for d in workspace.diagnostics(name)] == ["PT010"]


def test_unconditional_path_wins_over_guarded_one() -> None:
    templates = {
        "a.j2": "{% if x %}{% include 'b.j2' %}{% endif %}{% include 'b.j2' %}",
        "b.j2": "{% include 'a.j2' %}",
    }
    assert [d.code for d in workspace_with(templates).diagnostics("a.j2")] == ["PT009"]


def test_cycle_through_external_templates() -> None:
    workspace = workspace_with(
        {"a.j2": "{% include 'disk.j2' %}"}, {"disk.j2": "{% include 'a.j2' %}"}
    )
    assert [d.message for d in workspace.diagnostics("a.j2")] == [
        "include cycle: a.j2 → disk.j2 → a.j2"
    ]


@pytest.mark.parametrize("count", [pytest.param(400, id="400"), pytest.param(10_000, id="10000")])
def test_long_ring_is_reported_on_every_member_with_a_bounded_message(count: int) -> None:
    """Each member's chain starts at the member, names the start and end of the ring and how
    many names it leaves out: a message per member must not grow with the ring (a ring of
    10,000 templates made 10,000 messages of 10,000 names each)."""
    templates = {f"t{i}.j2": f"{{% include 't{(i + 1) % count}.j2' %}}" for i in range(count)}
    workspace = workspace_with(templates)

    found = {name: workspace.diagnostics(name) for name in templates}

    assert all([d.code for d in items] == ["PT009"] for items in found.values())
    (diagnostic,) = found["t7.j2"]
    assert diagnostic.message.startswith("include cycle: t7.j2 → t8.j2 → ")
    assert f"… {count - CHAIN_SHOWN} more …" in diagnostic.message
    assert diagnostic.message.endswith(" → t5.j2 → t6.j2 → t7.j2")
    assert diagnostic.message.count("→") == CHAIN_SHOWN + 1
    assert len(diagnostic.related) == MAX_CYCLE_RELATED


@pytest.mark.parametrize("depth", [pytest.param(600, id="600"), pytest.param(10_000, id="10000")])
def test_a_deep_include_chain_is_analysed_without_recursion(depth: int) -> None:
    """The includer contexts of the chain's last template are found by walking 10,000
    includers with an explicit stack: no false "nests too deeply" PT001 (Python's recursion
    limit gave one from ~490 templates deep), and the contract at the top reaches the end."""
    templates = {f"t{i}.j2": f"{{% include 't{i + 1}.j2' %}}" for i in range(depth)}
    templates[f"t{depth}.j2"] = "{{ feature.name }} {{ missing }}"
    templates["t0.j2"] = "{# prompt-tool: vars feature: Any #}\n{% include 't1.j2' %}"
    workspace = workspace_with(templates)

    found = {name: workspace.diagnostics(name) for name in templates}

    (undefined,) = found[f"t{depth}.j2"]
    assert (undefined.code, undefined.span.start.column) == ("PT002", 22)
    assert all(items == [] for name, items in found.items() if name != f"t{depth}.j2")


PARTIAL = "{{ feature.name }}\n{% for f in files %}{{ f.path }}{% endfor %}"


def test_partial_checked_against_each_includer_phase(expect: Any, found: Any) -> None:
    workspace = Workspace(AnalysisConfig())
    workspace.set_document("partials/feature.j2", PARTIAL)
    workspace.set_document("analysis.j2", "{% include 'partials/feature.j2' %}")
    workspace.set_document("orchestrator.j2", "Plan:\n{% include 'partials/feature.j2' %}")
    (diagnostic,) = workspace.diagnostics("partials/feature.j2")
    assert found(diagnostic) == expect(PARTIAL, "PT002", "files", path="partials/feature.j2")
    assert "included from `orchestrator.j2`" in diagnostic.message
    (related,) = diagnostic.related
    assert related.path == "orchestrator.j2"
    assert (related.span.start.line, related.span.start.column) == (1, 11)


def test_partial_sees_includer_locals_and_loop_types(expect: Any, found: Any) -> None:
    partial = "{{ f.path }} {{ f.pth }} {{ label }}"
    workspace = Workspace(AnalysisConfig())
    workspace.set_document("partials/file.j2", partial)
    workspace.set_document(
        "analysis.j2",
        "{% set label = 'x' %}{% for f in files %}{% include 'partials/file.j2' %}{% endfor %}",
    )
    assert [found(d) for d in workspace.diagnostics("partials/file.j2")] == [
        expect(partial, "PT004", "pth", path="partials/file.j2")
    ]


def test_nested_partials_inherit_the_outer_phase() -> None:
    workspace = Workspace(AnalysisConfig())
    workspace.set_document("orchestrator.j2", "{% include 'partials/a.j2' %}")
    workspace.set_document("partials/a.j2", "{% include 'partials/b.j2' %}")
    workspace.set_document("partials/b.j2", "{{ plan.summary }}")
    (diagnostic,) = workspace.diagnostics("partials/b.j2")
    assert diagnostic.code == "PT002"
    assert "included from `partials/a.j2`" in diagnostic.message


def test_extends_checks_parent_against_child_context() -> None:
    workspace = Workspace(AnalysisConfig())
    workspace.set_document("base.j2", "{{ title }}{% block body %}{% endblock %}")
    workspace.set_document("analysis.j2", "{% set title = 'T' %}{% extends 'base.j2' %}")
    workspace.set_document("orchestrator.j2", "{% extends 'base.j2' %}")
    messages = [d.message for d in workspace.diagnostics("base.j2")]
    assert messages == [
        "undefined variable `title` when included from `orchestrator.j2` (orchestrator contract)"
    ]


def test_unincluded_partial_has_no_undefined_errors() -> None:
    workspace = Workspace(AnalysisConfig())
    workspace.set_document("partials/p.j2", "{{ whatever }}")
    assert workspace.diagnostics("partials/p.j2") == []


def test_own_contract_finding_not_repeated_per_includer() -> None:
    workspace = Workspace(AnalysisConfig(phase="analysis"))
    workspace.set_document("a.j2", "{{ feature.nmae }}{{ only_in_b }}")
    workspace.set_document("b.j2", "{% set only_in_b = 1 %}{% include 'a.j2' %}")
    messages = [d.message for d in workspace.diagnostics("a.j2")]
    assert messages == [
        "`FeatureInfo` has no attribute `nmae`; did you mean `name`?",
        "undefined variable `only_in_b` (not in the analysis contract)",
    ]


def test_include_without_context_sees_no_includer_locals() -> None:
    workspace = Workspace(AnalysisConfig())
    workspace.set_document("partials/p.j2", "{{ label }}")
    workspace.set_document(
        "analysis.j2",
        "{% set label = 'x' %}{% include 'partials/p.j2' %}{% include 'partials/p.j2' without context %}",
    )
    (diagnostic,) = workspace.diagnostics("partials/p.j2")
    assert diagnostic.code == "PT002"
    assert [r.span.start.column for r in diagnostic.related] == [61]


def test_edits_update_the_graph_as_a_fresh_workspace_would() -> None:
    """The graph is updated per edit, not rebuilt: after each edit it must agree with a new one."""
    edits = [
        ("a.j2", "{% include 'b.j2' %}"),
        ("b.j2", "{% include 'c.j2' %}"),
        ("c.j2", "plain"),
        ("c.j2", "{% include 'a.j2' %}"),
        ("b.j2", "{% include 'disk.j2' %}"),
        ("c.j2", "{% include 'b.j2' %}"),
        ("a.j2", "{% include 'c.j2' %}"),
    ]
    external = {"disk.j2": "{% include 'c.j2' %}"}
    live = workspace_with({}, external)
    held: dict[str, str] = {}
    for name, source in edits:
        live.diagnostics(name)  # builds the graph, so later edits take the incremental path
        live.set_document(name, source)
        held[name] = source
        fresh = workspace_with(held, external)
        for template in held:
            assert live.diagnostics(template) == fresh.diagnostics(template), (name, source)
    assert [d.code for d in live.diagnostics("b.j2")] == ["PT009"]
