"""`promptTool/preview` and `promptTool/previewContexts` over stdio: edits followed, contexts
listed, failures located, and a stored session's preview equal to what the orchestrator sent."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient

from prompt_tool.db.db_utils import DatabaseManager
from prompt_tool.orchestration.orchestrator import Orchestrator
from prompt_tool.orchestration.project_manager import ProjectManager
from tests.lsp_server.conftest import (
    TIMEOUT,
    LspSession,
    RecordingClient,
    make_recording_client,
)

SAMPLE: dict[str, Any] = {
    "project": {"name": "shop", "description": "The storefront"},
    "feature": {"name": "Login", "type": "feature", "description": "Sign in"},
    "session": {"id": "1", "phase": "analysis"},
    "plan": {"phase": "orchestrator", "summary": "short plan", "content": "long plan"},
}
ANALYSIS = (
    "# Analyse {{ feature.name }}\n{% include 'partials/facts.j2' %}\nPlan: {{ plan.summary }}\n"
)


def as_plain(value: Any) -> Any:
    """Results arrive as named tuples (pygls' generic JSON objects); compare them as JSON."""
    if hasattr(value, "_asdict"):
        value = value._asdict()
    if isinstance(value, dict):
        return {key: as_plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [as_plain(item) for item in value]
    return value


async def request(lsp: LspSession, method: str, params: dict[str, Any]) -> dict[str, Any]:
    result = await asyncio.wait_for(lsp.client.protocol.send_request_async(method, params), TIMEOUT)
    plain: dict[str, Any] = as_plain(result)
    return plain


def workspace(root: Path, sample: dict[str, Any] = SAMPLE) -> Path:
    (root / "partials").mkdir(parents=True)
    (root / "samples").mkdir()
    (root / "analysis.j2").write_text(ANALYSIS, encoding="utf-8")
    (root / "partials" / "facts.j2").write_text("Project {{ project.name }}\n", encoding="utf-8")
    sample_path = root / "samples" / "login.analysis.json"
    sample_path.write_text(json.dumps(sample, indent=2), encoding="utf-8")
    return sample_path


async def test_the_preview_follows_the_document_as_it_is_edited(
    lsp: LspSession, tmp_path: Path
) -> None:
    sample = workspace(tmp_path)
    await lsp.initialize(tmp_path)
    uri = lsp.open(tmp_path / "analysis.j2", ANALYSIS)
    params = {"textDocument": {"uri": uri}, "context": f"sample:{sample}"}
    first = await request(lsp, "promptTool/preview", params)
    assert (first["text"], first["version"], first["error"]) == (
        "# Analyse Login\nProject shop\nPlan: short plan\n",
        1,
        None,
    )
    partial = lsp.uri_of(tmp_path / "partials" / "facts.j2")
    assert first["sourceMap"][:3] == [
        {"uri": uri, "template": "analysis.j2", "version": None, "line": 0},
        {"uri": partial, "template": "partials/facts.j2", "version": None, "line": 0},
        {"uri": uri, "template": "analysis.j2", "version": None, "line": 2},
    ]
    lsp.change(uri, 2, "Edited for {{ feature.name }}\n" + ANALYSIS)
    second, again = await asyncio.gather(
        request(lsp, "promptTool/preview", params), request(lsp, "promptTool/preview", params)
    )
    assert second == again
    assert second["version"] == 2
    assert second["text"].startswith("Edited for Login\n# Analyse Login\n")
    assert second["sourceMap"][1]["line"] == 1


async def test_a_failing_render_is_an_error_at_its_template_line(
    lsp: LspSession, tmp_path: Path
) -> None:
    sample = workspace(tmp_path)
    (tmp_path / "partials" / "facts.j2").write_text("ok\n{{ feature.nmae }}\n", encoding="utf-8")
    await lsp.initialize(tmp_path)
    uri = lsp.open(tmp_path / "analysis.j2", ANALYSIS)
    answer = await request(
        lsp, "promptTool/preview", {"textDocument": {"uri": uri}, "context": f"sample:{sample}"}
    )
    error = answer["error"]
    assert error["uri"] == lsp.uri_of(tmp_path / "partials" / "facts.j2")
    assert error["range"]["start"] == {"line": 1, "character": 0}
    assert "nmae" in error["message"] and error["severity"] == 1


async def test_a_runaway_template_stops_at_the_budget_with_one_line(
    lsp: LspSession, tmp_path: Path
) -> None:
    sample = workspace(tmp_path)
    await lsp.initialize(tmp_path)
    runaway = "fine\n{% for i in range(10**5) %}{% for j in range(10**5) %}{% endfor %}{% endfor %}"
    uri = lsp.open(tmp_path / "analysis.j2", runaway)
    answer = await request(
        lsp, "promptTool/preview", {"textDocument": {"uri": uri}, "context": f"sample:{sample}"}
    )
    error = answer["error"]
    assert (error["uri"], error["range"]["start"]["line"]) == (uri, 1)
    assert "render budget exceeded" in error["message"] and "\n" not in error["message"]
    assert answer["text"] == "fine\n"


async def test_the_workspace_budget_applies_to_previews(lsp: LspSession, tmp_path: Path) -> None:
    sample = workspace(tmp_path)
    (tmp_path / "pyproject.toml").write_text(
        "[tool.prompt-tool.render]\nmax_output_chars = 5\n", encoding="utf-8"
    )
    await lsp.initialize(tmp_path)
    uri = lsp.open(tmp_path / "analysis.j2", ANALYSIS)
    answer = await request(
        lsp, "promptTool/preview", {"textDocument": {"uri": uri}, "context": f"sample:{sample}"}
    )
    assert "output over 5 characters" in answer["error"]["message"]


async def test_a_sample_that_does_not_fit_points_into_the_json(
    lsp: LspSession, tmp_path: Path
) -> None:
    sample = workspace(tmp_path, {**SAMPLE, "plan": {**SAMPLE["plan"], "summary": 3}})
    await lsp.initialize(tmp_path)
    uri = lsp.open(tmp_path / "analysis.j2", ANALYSIS)
    answer = await request(
        lsp, "promptTool/preview", {"textDocument": {"uri": uri}, "context": f"sample:{sample}"}
    )
    error = answer["error"]
    lines = sample.read_text(encoding="utf-8").split("\n")
    line = next(n for n, text in enumerate(lines) if '"summary": 3' in text)
    assert error["uri"] == lsp.uri_of(sample)
    assert error["range"]["start"] == {"line": line, "character": lines[line].index("3")}
    assert error["message"].startswith("$.plan.summary: expected str, got integer")


@pytest.mark.parametrize(
    ("encodings", "emoji_units"),
    [
        pytest.param(None, 2, id="utf-16-default"),
        pytest.param([types.PositionEncodingKind.Utf32], 1, id="utf-32"),
        pytest.param([types.PositionEncodingKind.Utf8], 4, id="utf-8"),
    ],
)
async def test_a_sample_problem_column_is_in_the_client_encoding(
    lsp: LspSession, tmp_path: Path, encodings: list[str] | None, emoji_units: int
) -> None:
    sample = workspace(tmp_path)
    bad = {**SAMPLE, "feature": {**SAMPLE["feature"], "name": "Log 🚀"}, "plan": 3}
    line = json.dumps(bad, ensure_ascii=False)
    sample.write_text(line, encoding="utf-8")
    capabilities = lsp.push_capabilities()
    capabilities.general = types.GeneralClientCapabilities(position_encodings=encodings)
    await lsp.initialize(tmp_path, capabilities)
    uri = lsp.open(tmp_path / "analysis.j2", ANALYSIS)

    answer = await request(
        lsp, "promptTool/preview", {"textDocument": {"uri": uri}, "context": f"sample:{sample}"}
    )

    before = line[: line.index('"plan": 3') + len('"plan": ')]
    expected = len(before) - 1 + emoji_units
    assert answer["error"]["range"]["start"] == {"line": 0, "character": expected}


async def test_contexts_list_samples_and_sessions_and_a_session_preview_is_what_was_sent(
    lsp: LspSession, tmp_path: Path, db_manager: DatabaseManager
) -> None:
    sample = workspace(tmp_path)
    (tmp_path / "pyproject.toml").write_text(
        '[tool.prompt-tool.preview]\nsamples = ["fixtures/*.json"]\n', encoding="utf-8"
    )
    (tmp_path / "fixtures").mkdir()
    configured = tmp_path / "fixtures" / "big.analysis.json"
    configured.write_text(json.dumps(SAMPLE), encoding="utf-8")
    with db_manager.session() as session:
        ProjectManager(session).create("shop", "The storefront")
        row = Orchestrator(session).create_planning_session("shop", "Checkout")
        session_id = row.id
        Orchestrator(session).advance(session_id, "The plan, in a line")
        sent = Orchestrator(session).current_prompt(session_id)[1]
    options = {"promptTool": {"databaseUrl": db_manager.url, "project": "shop"}}
    await lsp.initialize(tmp_path, options=options)
    uri = lsp.open(tmp_path / "analysis.j2", ANALYSIS)
    listed = await request(lsp, "promptTool/previewContexts", {"textDocument": {"uri": uri}})
    assert listed["phase"] == "analysis"
    assert [(c["id"], c["kind"]) for c in listed["contexts"]] == [
        (f"sample:{sample}", "sample"),
        (f"sample:{configured}", "sample"),
        ("generated:0", "generated"),
        (f"session:{session_id}", "session"),
    ]
    builtin = Path(__file__).parents[2] / "prompt_tool" / "defaults" / "analysis.j2"
    default_uri = lsp.open(tmp_path / "default.analysis.j2", builtin.read_text(encoding="utf-8"))
    answer = await request(
        lsp,
        "promptTool/preview",
        {"textDocument": {"uri": default_uri}, "context": f"session:{session_id}"},
    )
    assert answer["error"] is None
    assert answer["text"] == sent


async def test_without_a_context_the_generated_sample_renders(
    lsp: LspSession, tmp_path: Path
) -> None:
    workspace(tmp_path)
    await lsp.initialize(tmp_path)
    uri = lsp.open(tmp_path / "analysis.j2", "Hello {{ feature.name | length }}\n")
    answer = await request(lsp, "promptTool/preview", {"textDocument": {"uri": uri}})
    assert (answer["context"], answer["error"]) == ("generated:0", None)
    assert answer["text"].startswith("Hello ") and answer["sourceMap"][0]["line"] == 0


@pytest.mark.parametrize(
    ("params", "message"),
    [
        pytest.param({"context": "session:x"}, "unknown preview context 'session:x'", id="bad-id"),
        pytest.param(
            {"context": "sample:/nowhere.json"},
            "/nowhere.json: not a sample of this workspace",
            id="unknown-sample",
        ),
    ],
)
async def test_an_unusable_context_is_an_error_not_a_failure(
    lsp: LspSession, tmp_path: Path, params: dict[str, str], message: str
) -> None:
    workspace(tmp_path)
    await lsp.initialize(tmp_path)
    uri = lsp.open(tmp_path / "analysis.j2", ANALYSIS)
    answer = await request(lsp, "promptTool/preview", {"textDocument": {"uri": uri}, **params})
    assert (answer["text"], answer["error"]["message"]) == ("", message)


async def test_a_previewed_documents_diagnostics_still_follow_every_edit(
    lsp: LspSession, tmp_path: Path
) -> None:
    """Once previewed, a document's analysis waits for its edit's preview (or a short grace
    period): diagnostics still arrive for each edit, of that edit's text."""
    sample = workspace(tmp_path)
    await lsp.initialize(tmp_path)
    uri = lsp.open(tmp_path / "analysis.j2", ANALYSIS)
    params = {"textDocument": {"uri": uri}, "context": f"sample:{sample}"}
    assert (await request(lsp, "promptTool/preview", params))["error"] is None
    assert await lsp.published_version(uri, 1) == []

    lsp.change(uri, 2, ANALYSIS + "{{ feature.nmae }}\n")
    answer = await request(lsp, "promptTool/preview", params)
    found = await lsp.published_version(uri, 2)
    assert answer["version"] == 2 and answer["error"] is not None
    assert [diagnostic.range.start.line for diagnostic in found] == [3]

    lsp.change(uri, 3, ANALYSIS)  # no preview asked for this edit
    assert await lsp.published_version(uri, 3) == []


async def test_the_answer_names_the_version_it_rendered_when_an_edit_arrives_meanwhile(
    lsp: LspSession, tmp_path: Path
) -> None:
    workspace(tmp_path)
    await lsp.initialize(tmp_path)
    slow = "first\n{% for i in range(100000) %}{% set x = i * 2 %}{% endfor %}"
    uri = lsp.open(tmp_path / "analysis.j2", slow)
    params = {"textDocument": {"uri": uri}}
    rendering = asyncio.ensure_future(request(lsp, "promptTool/preview", params))
    # Answered after the preview's handler has read the document and started rendering.
    await request(lsp, "promptTool/previewContexts", params)
    lsp.change(uri, 2, "second\n")

    answer = await rendering

    assert (answer["version"], answer["text"]) in [(1, "first\n"), (2, "second\n")]


async def test_requests_queued_behind_a_render_are_answered_by_one_render_of_the_newest_text(
    lsp: LspSession, tmp_path: Path
) -> None:
    workspace(tmp_path)
    await lsp.initialize(tmp_path)
    slow = "first\n{% for i in range(100000) %}{% set x = i * 2 %}{% endfor %}"
    uri = lsp.open(tmp_path / "analysis.j2", slow)
    params = {"textDocument": {"uri": uri}}
    rendering = asyncio.ensure_future(request(lsp, "promptTool/preview", params))
    await request(lsp, "promptTool/previewContexts", params)  # the first render has started
    lsp.change(uri, 2, "second\n")
    queued = asyncio.ensure_future(request(lsp, "promptTool/preview", params))
    await request(lsp, "promptTool/previewContexts", params)  # it waits for the first render
    lsp.change(uri, 3, "third\n")
    newest = asyncio.ensure_future(request(lsp, "promptTool/preview", params))

    answers = [await rendering, await queued, await newest]

    assert answers[0]["version"] == 1
    assert [(a["version"], a["text"]) for a in answers[1:]] == [(3, "third\n"), (3, "third\n")]


PLUGINS = Path(__file__).parent / "plugins"
WITH_PLUGINS = ClientServerConfig(
    server_command=[sys.executable, "-m", "lsp_server"],
    client_factory=make_recording_client,
    server_env={**os.environ, "PYTHONPATH": os.pathsep.join([str(PLUGINS), *sys.path])},
)


@pytest_lsp.fixture(config=WITH_PLUGINS)
async def plugged(lsp_client: LanguageClient) -> AsyncIterator[None]:
    yield
    await lsp_client.shutdown_session()


async def test_the_workspace_token_counter_plugin_counts_the_preview(
    plugged: RecordingClient, tmp_path: Path
) -> None:
    lsp = LspSession(plugged)
    sample = workspace(tmp_path)
    (tmp_path / "pyproject.toml").write_text(
        '[tool.prompt-tool.preview]\ntoken_counter = "wc_words"\n', encoding="utf-8"
    )
    await lsp.initialize(tmp_path)
    uri = lsp.open(tmp_path / "analysis.j2", ANALYSIS)
    answer = await request(
        lsp, "promptTool/preview", {"textDocument": {"uri": uri}, "context": f"sample:{sample}"}
    )
    assert answer["tokenCounter"] == "wc_words"
    assert answer["tokens"] == len(answer["text"].split()) > 0
