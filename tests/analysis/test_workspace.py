"""Workspace behaviour: PT014 for bytes, dependants returned by set_document, caching."""

from __future__ import annotations

import gc

import pytest

from prompt_tool.analysis.diagnostics import Position
from prompt_tool.analysis.workspace import AnalysisConfig, Workspace


@pytest.mark.parametrize(
    ("data", "line", "column", "fragment"),
    [
        pytest.param(b"ok\nab\xff\xfe", 1, 2, "byte 0xff", id="invalid-utf8"),
        pytest.param(b"\x00\x01\x02binary", 0, 0, "NUL", id="binary"),
        pytest.param("é\n√x\0".encode(), 1, 2, "NUL", id="nul-after-unicode"),
    ],
)
def test_unreadable_bytes_become_pt014(data: bytes, line: int, column: int, fragment: str) -> None:
    workspace = Workspace()
    workspace.set_document_bytes("t.j2", data)
    (diagnostic,) = workspace.diagnostics("t.j2")
    assert diagnostic.code == "PT014"
    assert (diagnostic.span.start.line, diagnostic.span.start.column) == (line, column)
    assert fragment in diagnostic.message


def test_readable_bytes_are_analysed_and_bom_dropped() -> None:
    workspace = Workspace()
    workspace.set_document_bytes("analysis.j2", b"\xef\xbb\xbf{{ nope }}")
    (diagnostic,) = workspace.diagnostics("analysis.j2")
    assert (diagnostic.code, diagnostic.span.start.column) == ("PT002", 3)


def test_unreadable_include_target_still_exists() -> None:
    workspace = Workspace()
    workspace.set_document_bytes("bin.j2", b"\xff")
    workspace.set_document("t.j2", "{% include 'bin.j2' %}")
    assert workspace.diagnostics("t.j2") == []


def test_set_document_returns_dependants() -> None:
    workspace = Workspace(AnalysisConfig(use_builtin_contracts=False))
    workspace.set_document("top.j2", "{% include 'mid.j2' %}")
    workspace.set_document("mid.j2", "{% include 'leaf.j2' %}")
    workspace.set_document("leaf.j2", "x")
    workspace.set_document("other.j2", "y")
    assert workspace.set_document("mid.j2", "{% include 'leaf.j2' %}!") == {
        "top.j2",
        "mid.j2",
        "leaf.j2",
    }
    assert workspace.set_document("new.j2", "{% include 'ghost.j2' %}") == {"new.j2"}
    assert workspace.set_document("ghost.j2", "") == {"ghost.j2", "new.j2"}
    assert workspace.remove_document("leaf.j2") == {"top.j2", "mid.j2", "leaf.j2"}
    assert [d.code for d in workspace.diagnostics("mid.j2")] == ["PT007"]


def test_cycle_members_are_dependants() -> None:
    workspace = Workspace()
    workspace.set_document("a.j2", "{% include 'b.j2' %}")
    workspace.set_document("b.j2", "{% include 'c.j2' %}")
    assert workspace.set_document("c.j2", "{% include 'a.j2' %}") == {"a.j2", "b.j2", "c.j2"}


def test_unchanged_source_is_not_reparsed() -> None:
    workspace = Workspace()
    workspace.set_document("t.j2", "{{ feature }}")
    first = workspace.parsed("t.j2")
    workspace.set_document("t.j2", "{{ feature }}")
    assert workspace.parsed("t.j2") is first
    workspace.set_document("t.j2", "{{ project }}")
    assert workspace.parsed("t.j2") is not first


def test_analysis_cached_by_content() -> None:
    workspace = Workspace()
    workspace.set_document("orchestrator.j2", "{{ featur }}")
    first = workspace.document("orchestrator.j2")
    second = workspace.document("orchestrator.j2")
    assert first is not None and second is not None
    assert first.analysis is second.analysis


def test_unknown_document_has_no_diagnostics() -> None:
    assert Workspace().diagnostics("nope.j2") == []
    assert Workspace().document("nope.j2") is None


def test_document_model_for_language_server() -> None:
    source = (
        "{% import 'lib.j2' as lib %}{% set title = feature.name %}\n"
        "{% for f in files %}{{ f.path }}{% include 'partials/x.j2@production' %}{% endfor %}\n"
        "{% macro row(item, width=2) %}{{ item }}{% endmacro %}{% block body %}{% endblock %}"
    )
    workspace = Workspace()
    workspace.set_document("analysis.j2", source)
    model = workspace.document("analysis.j2")
    assert model is not None
    assert [b.name for b in model.set_variables] == ["title"]
    assert [(b.name, b.type.name) for b in model.loop_variables] == [("f", "FileInfo")]
    assert [(m.name, m.args) for m in model.macros] == [("row", ("item", "width"))]
    assert [b.name for b in model.blocks] == ["body"]
    (include,) = [ref for ref in model.includes if ref.kind == "include"]
    assert (include.targets, include.pin) == (("partials/x.j2",), "production")
    inside_loop = model.scope_at(Position(1, 22))
    assert inside_loop["f"].name == "FileInfo"
    assert inside_loop["loop"].name == "LoopContext"
    assert inside_loop["title"].name == "str"
    assert "f" not in model.scope_at(Position(2, 0))
    in_macro = model.scope_at(Position(2, 33))
    assert "item" in in_macro and "width" in in_macro and "caller" in in_macro
    assert "lib" in in_macro and "title" in in_macro and "row" in in_macro
    before_set = model.scope_at(Position(0, 0))
    assert "title" not in before_set and "feature" in before_set
    hovered = model.reference_at(Position(1, 26))
    assert hovered is not None and getattr(hovered, "attribute", None) == "path"


def test_forced_unknown_phase_is_a_config_error() -> None:
    from prompt_tool.core.errors import ConfigError

    with pytest.raises(ConfigError, match="unknown phase 'deploy'"):
        Workspace(AnalysisConfig(phase="deploy"))


def test_template_names_include_external_ones() -> None:
    class Source:
        def get_source(self, name: str) -> str | None:
            return "x" if name == "disk.j2" else None

        def list_names(self) -> list[str]:
            return ["disk.j2"]

    workspace = Workspace(external=Source())
    workspace.set_document("held.j2", "")
    assert workspace.template_names() == ["disk.j2", "held.j2"]


def test_pinned_include_checked_by_sources_that_know_versions() -> None:
    class Versions:
        def get_source(self, name: str) -> str | None:
            return "x" if name == "p.j2" else None

        def list_names(self) -> list[str]:
            return ["p.j2"]

        def has_pin(self, name: str, pin: str) -> bool:
            return pin == "production"

    workspace = Workspace(AnalysisConfig(use_builtin_contracts=False), Versions())
    source = "{% include 'p.j2@production' %}{% include 'p.j2@staging' %}"
    workspace.set_document("t.j2", source)
    (diagnostic,) = workspace.diagnostics("t.j2")
    assert diagnostic.code == "PT015"
    assert (diagnostic.span.start.column, diagnostic.span.end.column) == (42, 56)


def test_partial_model_is_typed_by_its_includer() -> None:
    workspace = Workspace()
    workspace.set_document("partials/file.j2", "{{ f.path }}")
    workspace.set_document(
        "analysis.j2", "{% for f in files %}{% include 'partials/file.j2' %}{% endfor %}"
    )
    model = workspace.document("partials/file.j2")
    assert model is not None
    assert model.root.includer == "analysis.j2"
    assert model.scope_at(Position(0, 3))["f"].name == "FileInfo"
    (access,) = model.attributes
    assert (access.owner.name, access.type.name) == ("FileInfo", "str")


def test_unreadable_respects_disabled_codes() -> None:
    workspace = Workspace(AnalysisConfig(disabled_codes=frozenset({"PT014"})))
    workspace.set_document_bytes("t.j2", b"\xff")
    assert workspace.diagnostics("t.j2") == []


def test_scope_of_unparsable_template_is_its_contract() -> None:
    workspace = Workspace()
    workspace.set_document("analysis.j2", "{{ feature.")
    model = workspace.document("analysis.j2")
    assert model is not None and model.analysis is None
    scope = model.scope_at(Position(0, 11))
    assert scope["feature"].name == "FeatureInfo"
    assert scope["files"].name == "list[FileInfo]"
    assert "range" in scope


def test_analysing_and_editing_leaves_no_reference_cycles() -> None:
    """The language server defers full garbage collections to idle time, so every parse
    and analysis an edit replaces must be freed by reference counting alone."""
    template = (
        "{% for item in items %}- {{ item.name | upper }}{% endfor %}\n"
        "{% if a %}{% include 'b.j2' %}{% endif %}{% macro m(x) %}{{ x }}{% endmacro %}\n"
    )
    workspace = Workspace()
    workspace.set_document("b.j2", "{{ item }}")
    gc.collect()
    gc.disable()
    try:
        for index in range(20):
            workspace.set_document("t.j2", template * 3 + f"{{{{ x{index} }}}}")
            workspace.diagnostics("t.j2")
            workspace.diagnostics("b.j2")
            workspace.document("t.j2")
        assert gc.collect() == 0
    finally:
        gc.enable()


def test_resumable_analyses_are_kept_per_template_not_per_edit() -> None:
    """Each includer edit gives its partials a new root (new type objects); the analyses
    kept for resuming must not grow with the number of edits."""
    workspace = Workspace()
    workspace.set_document("partials/p.j2", "{{ item.name }}")
    for index in range(30):
        source = (
            "{% set rows = [[1, 2]] %}{% for item in rows %}{% include 'partials/p.j2' %}"
            f"{{% endfor %}}{index}"
        )
        workspace.set_document("orchestrator.j2", source)
        workspace.diagnostics("orchestrator.j2")
        workspace.diagnostics("partials/p.j2")
    assert sum(len(kept) for kept in workspace._analyses.values()) <= 4


def test_analyses_are_kept_per_template_not_per_version() -> None:
    """Every edit of an open template used to add an analysis (keyed by the text's digest)
    until 4,096 were kept: +1.9 MB per keystroke on a 3,000-line template. Now an edit
    replaces its template's analysis (the soak benchmark measures the memory)."""
    workspace = Workspace()
    body = "\n".join(f"Line {index}: {{{{ value{index % 7} | upper }}}}" for index in range(300))
    workspace.set_document("partials/p.j2", "{{ value0 }}")
    for version in range(60):
        workspace.set_document("big.j2", f"{body}\n{{% include 'partials/p.j2' %}}{version}")
        workspace.diagnostics("big.j2")
        workspace.diagnostics("partials/p.j2")
        workspace.document("big.j2")

    kept = {name: len(analyses) for name, analyses in workspace._analyses.items()}
    assert kept == {"big.j2": 1, "partials/p.j2": 1}
