"""The analysis runner: the edited document first, the templates it affects after."""

from __future__ import annotations

import asyncio

from lsp_server.analysis_runner import AnalysisRunner, Change, Outcome
from prompt_tool.analysis.sources import MappingSource
from prompt_tool.analysis.workspace import AnalysisConfig

CYCLE = {"a.j2": '{% include "b.j2" %}\n', "b.j2": '{% include "a.j2" %}\n'}


async def started(templates: dict[str, str]) -> tuple[AnalysisRunner, list[Outcome]]:
    runner = AnalysisRunner()
    outcomes: list[Outcome] = []
    runner.listeners.append(outcomes.append)
    runner.reset(AnalysisConfig(), MappingSource(templates), sorted(templates))
    return runner, outcomes


async def test_a_pull_of_the_edited_document_does_not_wait_for_its_dependants() -> None:
    runner, outcomes = await started(CYCLE)
    runner.submit("a.j2", Change(CYCLE["a.j2"], 1))

    await runner.analysed("a.j2")
    published_first = [sorted(outcome.diagnostics) for outcome in outcomes]
    await runner.analysed("b.j2")
    published = [sorted(outcome.diagnostics) for outcome in outcomes]
    runner.close()

    assert published_first == [["a.j2"]]
    assert published == [["a.j2"], ["b.j2"]]
    assert [found.code for found in runner.latest("b.j2") or []] == ["PT009"]


async def test_a_dependant_whose_diagnostics_did_not_change_is_not_published_again() -> None:
    runner, outcomes = await started(CYCLE)
    runner.submit("a.j2", Change(CYCLE["a.j2"], 1))
    await runner.settled()
    runner.submit("a.j2", Change(CYCLE["a.j2"] + "more text\n", 2))
    await runner.settled()
    runner.close()

    assert [sorted(outcome.diagnostics) for outcome in outcomes] == [
        ["a.j2"],
        ["b.j2"],
        ["a.j2"],
    ]
    assert outcomes[2].versions == {"a.j2": 2}


async def test_the_templates_an_edit_affects_wait_while_a_preview_renders() -> None:
    runner, outcomes = await started(CYCLE)
    with runner.previewing():
        runner.submit("a.j2", Change(CYCLE["a.j2"], 1))
        await runner.analysed("a.j2")
        dependant = asyncio.ensure_future(runner.analysed("b.j2"))
        done, _pending = await asyncio.wait([dependant], timeout=0.5)
        assert not done and [sorted(outcome.diagnostics) for outcome in outcomes] == [["a.j2"]]
    await dependant
    runner.close()
    assert [sorted(outcome.diagnostics) for outcome in outcomes] == [["a.j2"], ["b.j2"]]
