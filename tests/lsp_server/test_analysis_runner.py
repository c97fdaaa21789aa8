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


async def test_a_followed_documents_analysis_waits_for_its_edits_preview() -> None:
    """After a preview of a.j2, its next edit is analysed once that edit's preview has
    rendered, and of the newest text: edits made meanwhile replace the pending one."""
    runner, outcomes = await started(CYCLE)
    runner.preview_grace = 60.0
    with runner.previewing("a.j2"):
        pass
    runner.submit("a.j2", Change(CYCLE["a.j2"], 2))
    runner.submit("a.j2", Change(CYCLE["a.j2"] + "{{ x }}\n", 3))
    analysed = asyncio.ensure_future(runner.analysed("a.j2"))
    done, _pending = await asyncio.wait([analysed], timeout=0.2)
    assert not done and outcomes == []
    with runner.previewing("a.j2"):
        await asyncio.sleep(0)
    await asyncio.wait_for(analysed, 10)
    runner.close()
    assert outcomes[0].versions == {"a.j2": 3}


async def test_a_followed_documents_diagnostics_arrive_without_a_preview() -> None:
    """No preview comes for the edit: its diagnostics arrive after the grace period."""
    runner, outcomes = await started(CYCLE)
    runner.preview_grace = 0.05
    with runner.previewing("a.j2"):
        pass
    loop = asyncio.get_running_loop()
    started_at = loop.time()
    runner.submit("a.j2", Change(CYCLE["a.j2"], 2))
    await asyncio.wait_for(runner.analysed("a.j2"), 10)
    waited = loop.time() - started_at
    runner.close()
    assert waited >= runner.preview_grace
    assert outcomes[0].versions == {"a.j2": 2}
