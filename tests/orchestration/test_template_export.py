"""The export plan on transient rows: which key gets which file, and how includes are renamed."""

from __future__ import annotations

from prompt_tool.db.models import Prompt
from prompt_tool.orchestration.template_export import exported_text, plan_export
from prompt_tool.orchestration.template_resolver import PhaseResolution, Resolution


def row(prompt_id: int, name: str, version: int, phase: str, content: str) -> Prompt:
    return Prompt(id=prompt_id, name=name, version=version, phase=phase, content=content)


def test_a_pinned_partial_outside_partials_gets_a_header_and_its_own_name() -> None:
    analysis = row(
        1, "orchestration_analysis_default", 1, "analysis", '{% include "common.j2@1" %}'
    )
    old = row(2, "common.j2", 1, "partial", "{% include 'x.j2' %} old")
    new = row(3, "common.j2", 2, "partial", "new")
    x = row(4, "x.j2", 1, "partial", "x")
    phases = {"analysis": PhaseResolution("analysis", analysis, None, "label", ())}
    resolution = Resolution(None, None, "production", phases)
    resolution.includes = {"common.j2@1": old, "common.j2@production": new, "x.j2@production": x}

    planned = plan_export(resolution)

    assert {key: item.file_name for key, item in planned.items()} == {
        "orchestration_analysis_default@production": "analysis.j2",
        "common.j2@production": "common.j2",
        "common.j2@1": "common.v1.j2",
        "x.j2@production": "x.j2",
    }
    main = planned["orchestration_analysis_default@production"]
    assert exported_text(main, planned) == '{% include "common.v1.j2" %}'
    copy = planned["common.j2@1"]
    assert exported_text(copy, planned) == (
        "{#- prompt-tool: phase=partial -#}\n{% include 'x.j2' %} old"
    )
