"""A template's header read from its incrementally lexed text is the header a whole lex reads."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings

from prompt_tool.analysis.parsing import read_header
from prompt_tool.core.templating import TemplateEngine
from prompt_tool.orchestration.lexed_templates import lexed_header
from prompt_tool.orchestration.template_files import header_phase
from tests.analysis.test_incremental import DENSE, edits

ENVIRONMENT = TemplateEngine().environment
HEADED = "{#- prompt-tool: phase=analysis vars=a,b -#}\n" + DENSE


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(steps=edits)
def test_every_edit_reads_the_header_a_whole_lex_reads(steps: list[tuple[int, int, str]]) -> None:
    text = HEADED
    assert lexed_header(ENVIRONMENT, "headed.j2", text) == read_header(ENVIRONMENT, text)
    for start, length, snippet in steps:
        start = min(start, len(text))
        text = text[:start] + snippet + text[start + length :]
        assert lexed_header(ENVIRONMENT, "headed.j2", text) == read_header(ENVIRONMENT, text)


def test_a_text_without_the_marker_has_no_header_phase() -> None:
    assert header_phase(DENSE, "plain.j2") is None
    assert header_phase(HEADED, "headed.j2") == header_phase(HEADED) == "analysis"
