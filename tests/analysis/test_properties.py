"""Property tests: the analyser never raises, whatever text or bytes it is given."""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from prompt_tool.analysis.diagnostics import RULES
from prompt_tool.analysis.workspace import Workspace

DEFAULTS = Path(__file__).resolve().parents[2] / "prompt_tool" / "defaults"
REAL = sorted(path.read_text() for path in DEFAULTS.rglob("*.j2")) or ["{{ feature.name }}"]
JINJA_BITS = st.sampled_from(
    [
        "{{",
        "}}",
        "{%",
        "%}",
        "{#",
        "#}",
        "{%-",
        "-%}",
        " for ",
        " in ",
        " if ",
        " endif ",
        " endfor ",
        " set ",
        " = ",
        " include ",
        " 'a.j2' ",
        " macro ",
        " call ",
        " block ",
        " with ",
        "|",
        ".",
        "(",
        ")",
        "[",
        "]",
        "'",
        '"',
        "\n",
        " loop ",
        " feature ",
        " is ",
        " defined ",
        " else ",
        " raw ",
    ]
)
TEMPLATEISH = st.lists(st.one_of(JINJA_BITS, st.text(max_size=8)), max_size=40).map("".join)


def check_all(workspace: Workspace) -> None:
    for name in workspace.names():
        for diagnostic in workspace.diagnostics(name):
            assert diagnostic.code in RULES
            assert diagnostic.span.start <= diagnostic.span.end
        workspace.document(name)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(source=st.one_of(st.text(), TEMPLATEISH))
def test_arbitrary_text_never_raises(source: str) -> None:
    workspace = Workspace()
    workspace.set_document("analysis.j2", source)
    workspace.set_document("partials/p.j2", source)
    workspace.set_document("a.j2", "{% include 'partials/p.j2' %}" + source)
    check_all(workspace)


@settings(max_examples=150, deadline=None)
@given(data=st.binary())
def test_arbitrary_bytes_never_raise(data: bytes) -> None:
    workspace = Workspace()
    workspace.set_document_bytes("t.j2", data)
    check_all(workspace)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    base=st.sampled_from(REAL),
    cut=st.integers(min_value=0, max_value=5000),
    length=st.integers(min_value=0, max_value=40),
    insert=st.one_of(JINJA_BITS, st.text(max_size=10)),
)
def test_mutated_real_templates_never_raise(base: str, cut: int, length: int, insert: str) -> None:
    position = cut % (len(base) + 1)
    mutated = base[:position] + insert + base[position + length :]
    workspace = Workspace()
    workspace.set_document("implementation.j2", mutated)
    check_all(workspace)


def test_extreme_inputs() -> None:
    workspace = Workspace()
    workspace.set_document("empty.j2", "")
    workspace.set_document("deep_if.j2", "{% if x %}" * 400 + "{% endif %}" * 400)
    workspace.set_document("deep_expr.j2", "{{ " + "(" * 500 + "x" + ")" * 500 + " }}")
    paragraph = (
        "A line of prose that explains the task in some detail.\n" * 99 + "{{ feature.name }}\n"
    )
    workspace.set_document("big.j2", (paragraph * 2000)[:10_000_000])
    workspace.set_document("surrogate.j2", "{{ '\udcff' }}\ud800")
    ring = 50
    for index in range(ring):
        targets = "".join(f"{{% include 'r{(index + step) % ring}.j2' %}}" for step in (1, 2, 3))
        workspace.set_document(f"r{index}.j2", targets)
    check_all(workspace)
    assert [d.code for d in workspace.diagnostics("empty.j2")] == []
    assert workspace.diagnostics("r0.j2")[0].code == "PT009"
