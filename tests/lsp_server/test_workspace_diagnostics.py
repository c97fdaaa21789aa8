"""Workspace pull diagnostics: every template under the roots, open or not, with result ids."""

from __future__ import annotations

from pathlib import Path

from lsprotocol import types

BROKEN = "Hello {{ x }\n"
CLEAN = "Hello {{ x }}\n"


def make_folder(tmp_path: Path) -> Path:
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "broken.j2").write_text(BROKEN)
    (tmp_path / "templates" / "clean.j2").write_text(CLEAN)
    (tmp_path / "pyproject.toml").write_text('[tool.prompt-tool.lint]\nroots = ["templates"]\n')
    return tmp_path


async def pull_workspace(
    lsp, previous: list[types.WorkspaceDocumentDiagnosticReport] | None = None
) -> dict[str, types.WorkspaceDocumentDiagnosticReport]:
    previous_ids = [types.PreviousResultId(r.uri, r.result_id) for r in previous or []]
    result = await lsp.client.workspace_diagnostic_async(
        types.WorkspaceDiagnosticParams(previous_result_ids=previous_ids)
    )
    return {report.uri: report for report in result.items}


async def test_unopened_templates_are_reported_with_exact_ranges(lsp, tmp_path: Path) -> None:
    folder = make_folder(tmp_path)
    result = await lsp.initialize(folder, lsp.pull_capabilities())

    reports = await pull_workspace(lsp)

    provider = result.capabilities.diagnostic_provider
    assert isinstance(provider, types.DiagnosticOptions) and provider.workspace_diagnostics
    broken = reports[lsp.uri_of(folder / "templates" / "broken.j2")]
    clean = reports[lsp.uri_of(folder / "templates" / "clean.j2")]
    assert set(reports) == {broken.uri, clean.uri}
    assert broken.kind == "full" and clean.kind == "full"
    assert [(d.code, d.range) for d in broken.items] == [
        ("PT001", types.Range(types.Position(0, 0), types.Position(0, 12)))
    ]
    assert list(clean.items) == []
    assert broken.version is None and broken.result_id != clean.result_id


async def test_a_second_pull_with_previous_result_ids_answers_unchanged(
    lsp, tmp_path: Path
) -> None:
    folder = make_folder(tmp_path)
    await lsp.initialize(folder, lsp.pull_capabilities())
    first = await pull_workspace(lsp)

    second = await pull_workspace(lsp, list(first.values()))

    assert set(second) == set(first)
    for uri, report in second.items():
        assert report.kind == "unchanged", uri
        assert report.result_id == first[uri].result_id


async def test_a_file_edited_on_disk_gets_a_new_report(lsp, tmp_path: Path) -> None:
    folder = make_folder(tmp_path)
    await lsp.initialize(folder, lsp.pull_capabilities())
    first = await pull_workspace(lsp)
    broken = folder / "templates" / "broken.j2"
    broken.write_text(CLEAN)
    lsp.client.workspace_did_change_watched_files(
        types.DidChangeWatchedFilesParams(
            [types.FileEvent(lsp.uri_of(broken), types.FileChangeType.Changed)]
        )
    )

    second = await pull_workspace(lsp, list(first.values()))

    fixed = second[lsp.uri_of(broken)]
    assert fixed.kind == "full" and list(fixed.items) == []
    assert fixed.result_id != first[fixed.uri].result_id
    assert second[lsp.uri_of(folder / "templates" / "clean.j2")].kind == "unchanged"


async def test_an_open_document_is_reported_from_the_editor_with_its_version(
    lsp, tmp_path: Path
) -> None:
    folder = make_folder(tmp_path)
    await lsp.initialize(folder, lsp.pull_capabilities())
    clean = folder / "templates" / "clean.j2"
    uri = lsp.open(clean, CLEAN)
    first = await pull_workspace(lsp)

    lsp.change(uri, 2, BROKEN)
    second = await pull_workspace(lsp, list(first.values()))

    assert first[uri].version == 1 and list(first[uri].items) == []
    assert second[uri].kind == "full" and second[uri].version == 2
    assert [d.code for d in second[uri].items] == ["PT001"]


async def test_the_document_pull_and_the_workspace_pull_agree_on_result_ids(
    lsp, tmp_path: Path
) -> None:
    folder = make_folder(tmp_path)
    await lsp.initialize(folder, lsp.pull_capabilities())
    uri = lsp.open(folder / "templates" / "broken.j2", BROKEN)
    document = await lsp.client.text_document_diagnostic_async(
        types.DocumentDiagnosticParams(types.TextDocumentIdentifier(uri))
    )

    reports = await pull_workspace(lsp)

    assert reports[uri].result_id == document.result_id


async def test_a_fixed_pyproject_finding_is_cleared(lsp, tmp_path: Path) -> None:
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text('[tool.prompt-tool.contracts]\n"*.j2" = "myapp.models:Missing"\n')
    (tmp_path / "a.j2").write_text(CLEAN)
    await lsp.initialize(tmp_path, lsp.pull_capabilities())
    first = await pull_workspace(lsp)
    pyproject.write_text("[tool.prompt-tool]\n")
    lsp.client.workspace_did_change_watched_files(
        types.DidChangeWatchedFilesParams(
            [types.FileEvent(lsp.uri_of(pyproject), types.FileChangeType.Changed)]
        )
    )

    second = await pull_workspace(lsp, list(first.values()))

    assert [d.code for d in first[lsp.uri_of(pyproject)].items] == ["PT016"]
    cleared = second[lsp.uri_of(pyproject)]
    assert cleared.kind == "full" and list(cleared.items) == []


async def test_with_a_partial_result_token_reports_stream_as_progress(lsp, tmp_path: Path) -> None:
    folder = make_folder(tmp_path)
    for number in range(40):
        (folder / "templates" / f"more{number}.j2").write_text(CLEAN)
    await lsp.initialize(folder, lsp.pull_capabilities())

    result = await lsp.client.workspace_diagnostic_async(
        types.WorkspaceDiagnosticParams(previous_result_ids=[], partial_result_token="ws")
    )

    sent = lsp.client.partial_results["ws"]
    reports = {report["uri"]: report for part in sent for report in part["items"]}
    broken = reports[lsp.uri_of(folder / "templates" / "broken.j2")]
    assert list(result.items) == [], "the response is empty once results were streamed"
    assert len(sent) > 1 and len(reports) == 42
    assert [item["code"] for item in broken["items"]] == ["PT001"]
