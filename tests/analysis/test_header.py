"""Header comments: phase, feature type, typed vars (PT012/PT013) and per-line suppression."""

from __future__ import annotations

from typing import Any

import pytest

from prompt_tool.analysis.typeinfo import FieldInfo, Kind, TypeInfo
from prompt_tool.analysis.workspace import AnalysisConfig, Workspace


def diagnostics_of(
    source: str, name: str = "t.j2", config: AnalysisConfig | None = None
) -> list[Any]:
    workspace = Workspace(config or AnalysisConfig())
    workspace.set_document(name, source)
    return workspace.diagnostics(name)


def test_header_phase_selects_contract(expect: Any, found: Any) -> None:
    source = "{#- prompt-tool: phase=analysis, feature_type=bugfix -#}\n{{ files }}{{ featur }}"
    assert [found(d) for d in diagnostics_of(source)] == [expect(source, "PT002", "featur", 1)]
    workspace = Workspace()
    workspace.set_document("t.j2", source)
    parsed = workspace.parsed("t.j2")
    assert parsed is not None
    assert (parsed.header.phase, parsed.header.feature_type) == ("analysis", "bugfix")


def test_unknown_phase(expect: Any, found: Any) -> None:
    source = "{#- prompt-tool: phase=deploy -#}"
    (diagnostic,) = diagnostics_of(source)
    assert found(diagnostic) == expect(source, "PT012", "deploy")
    assert "known phases: analysis, implementation, orchestrator, partial" in diagnostic.message


@pytest.mark.parametrize(
    ("source", "needle", "nth"),
    [
        pytest.param("{# prompt-tool: colour=red #}", "colour", 0, id="unknown-key"),
        pytest.param("{# prompt-tool: phase #}", "phase", 0, id="no-value"),
        pytest.param("{# prompt-tool: vars 1x: int #}", "1x: int", 0, id="bad-var-name"),
        pytest.param("{# prompt-tool: vars ab: int, ab: str #}", "ab", 1, id="duplicate-var"),
        pytest.param("{# prompt-tool: disable=E501 #}", "E501", 0, id="bad-code"),
        pytest.param("{# prompt-tool: disable=dis #}", "dis", 1, id="bad-code-inside-the-key"),
    ],
)
def test_invalid_header(expect: Any, found: Any, source: str, needle: str, nth: int) -> None:
    assert [found(d) for d in diagnostics_of(source)] == [expect(source, "PT013", needle, nth)]


def test_a_disable_comment_with_thousands_of_codes_reports_each_bad_one_at_its_place() -> None:
    """32,000 codes: one PT013 per unknown code, each at its own column (they were found with
    `str.find`, so `X1` pointed into `X12`) and suppression checked per finding without
    building a union of every code each time (36 s before, now linear)."""
    codes = [f"X{index}" for index in range(32_000)]
    source = "{# prompt-tool: disable=" + ",".join(reversed(codes)) + " #}{{ x }}"

    found = diagnostics_of(source)

    columns = {d.message.split("'")[1]: d.span.start.column for d in found}
    assert len(found) == len(codes) and {d.code for d in found} == {"PT013"}
    assert all(
        source[column:].startswith(code + ",") or source[column:].startswith(code + " ")
        for code, column in columns.items()
    )
    assert source[columns["X1"] : columns["X1"] + 3] == "X1,"


def test_header_vars_form_a_contract(expect: Any, found: Any) -> None:
    source = "{#- prompt-tool: vars issue: Issue, comments: list[str] -#}\n{{ issue.title }}{% for c in comments %}{{ c }}{% endfor %}{{ other }}"
    assert [found(d) for d in diagnostics_of(source, "misc/t.j2")] == [
        expect(source, "PT002", "other", path="misc/t.j2")
    ]


class Resolver:
    """A stand-in type resolver that knows one dataclass-like type."""

    def resolve(self, expression: str) -> TypeInfo:
        if expression == "Issue":
            issue = TypeInfo(Kind.OBJECT, "Issue")
            issue.fields["title"] = FieldInfo("title", TypeInfo(Kind.STR, "str"))
            return issue
        raise LookupError(expression)


def test_header_vars_resolved_through_config_resolver(expect: Any, found: Any) -> None:
    source = "{#- prompt-tool: vars issue: Issue, extra: Unknown -#}\n{{ issue.titel }}{{ extra.anything }}"
    config = AnalysisConfig(type_resolver=Resolver())
    result = diagnostics_of(source, "misc/t.j2", config)
    assert [found(d) for d in result] == [expect(source, "PT004", "titel", path="misc/t.j2")]


def test_header_vars_extend_phase_contract() -> None:
    source = "{#- prompt-tool: phase=orchestrator, feature_type=bugfix -#}{#- prompt-tool: vars ticket: str -#}{{ ticket }}{{ feature.name }}"
    assert diagnostics_of(source) == []


def test_glob_contract_applies(expect: Any, found: Any) -> None:
    contract = Workspace().phase_contracts["analysis"]
    config = AnalysisConfig(contracts_by_glob={"chat/*.j2": contract})
    source = "{{ files }}{{ nope }}"
    assert [found(d) for d in diagnostics_of(source, "chat/x.j2", config)] == [
        expect(source, "PT002", "nope", path="chat/x.j2")
    ]
    assert diagnostics_of(source, "other/x.j2", config) == []


@pytest.mark.parametrize(
    ("name", "phase"),
    [
        pytest.param("analysis.j2", "analysis", id="stem"),
        pytest.param("bugfix.implementation.j2", "implementation", id="dotted"),
        pytest.param("orchestrator/plan.j2", "orchestrator", id="directory"),
        pytest.param("partials/x.j2", None, id="partial"),
        pytest.param("misc/x.j2", None, id="none"),
    ],
)
def test_path_convention(name: str, phase: str | None) -> None:
    workspace = Workspace()
    workspace.set_document(name, "")
    contract = workspace.contract_for(name)
    assert (contract.name if contract else None) == phase


@pytest.mark.parametrize(
    ("source", "remaining"),
    [
        pytest.param("{{ a }} {# prompt-tool: disable=PT002 #}\n{{ b }}", ["b"], id="same-line"),
        pytest.param(
            "{# prompt-tool: disable-next-line=PT002 #}\n{{ a }}{{ b }}", [], id="next-line"
        ),
        pytest.param("{{ a }} {# prompt-tool: disable #}\n{{ b }}", ["b"], id="all-codes"),
        pytest.param(
            "{{ a }} {# prompt-tool: disable=PT003 #}\n{{ b }}", ["a", "b"], id="other-code"
        ),
        pytest.param("{# prompt-tool: disable-file=PT002 #}\n{{ a }}\n{{ b }}", [], id="file"),
        pytest.param(
            "{{ a }} {# prompt-tool: disable=undefined-variable #}\n{{ b }}", ["b"], id="rule-name"
        ),
    ],
)
def test_suppression(source: str, remaining: list[str]) -> None:
    result = diagnostics_of(source, "analysis.j2")
    assert [d.message.split("`")[1] for d in result] == remaining


def test_disabled_codes_in_config() -> None:
    config = AnalysisConfig(disabled_codes=frozenset({"PT002"}))
    assert diagnostics_of("{{ a }}", "analysis.j2", config) == []
