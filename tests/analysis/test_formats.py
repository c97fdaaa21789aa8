"""Lint output formats: 1-based positions, relative paths, SARIF structure, escaping."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from prompt_tool import __version__
from prompt_tool.analysis.diagnostics import (
    RULES,
    Diagnostic,
    Fix,
    Position,
    RelatedLocation,
    Severity,
    Span,
)
from prompt_tool.analysis.formats import FORMATS, render, summary_line

CWD = Path("/repo")


def _diagnostics() -> list[Diagnostic]:
    return [
        Diagnostic(
            "PT002",
            Severity.ERROR,
            "undefined variable 'feature.nmae', did you mean 'feature.name'?",
            "/repo/prompts/plan.j2",
            Span(Position(2, 10), Position(2, 22)),
            fix=Fix("Replace with feature.name", Span.at(2, 10, 12), "feature.name"),
        ),
        Diagnostic(
            "PT009",
            Severity.ERROR,
            "include cycle: a.j2 → b.j2 → a.j2",
            "/repo/prompts/a.j2",
            Span.at(0, 3, 10),
            related=(
                RelatedLocation("/repo/prompts/b.j2", Span.at(4, 0, 5), "b.j2 includes a.j2"),
            ),
        ),
        Diagnostic(
            "PT003",
            Severity.WARNING,
            "x may be undefined: 100% sure, line\nbreak, and: colon",
            "/repo/prompts/sub dir/c.j2",
            Span(Position(0, 0), Position(1, 2)),
        ),
        Diagnostic("PT008", Severity.HINT, "dynamic name", "/repo/d.j2", Span.at(5, 1, 4)),
    ]


def test_text_lines_are_one_based_and_relative() -> None:
    output = render("text", _diagnostics(), 12, CWD)
    lines = output.splitlines()
    assert lines[0] == (
        "prompts/plan.j2:3:11: PT002 error undefined variable 'feature.nmae', "
        "did you mean 'feature.name'?"
    )
    assert lines[1].startswith("prompts/a.j2:1:4: PT009 error include cycle")
    assert lines[2].startswith("prompts/sub dir/c.j2:1:1: PT003 warning x may be")
    assert lines[-1] == "2 errors, 1 warning, 1 hint in 12 files"
    assert "\x1b[" not in output


def test_text_colours_only_when_asked() -> None:
    coloured = render("text", _diagnostics(), 1, CWD, color=True)
    assert "\x1b[31merror\x1b[0m" in coloured
    assert "\x1b[33mwarning\x1b[0m" in coloured


@pytest.mark.parametrize(
    ("severities", "files", "expected"),
    [
        pytest.param([], 1, "no problems in 1 file", id="clean"),
        pytest.param([Severity.ERROR], 2, "1 error in 2 files", id="one-error"),
        pytest.param(
            [Severity.WARNING, Severity.WARNING, Severity.INFORMATION],
            3,
            "2 warnings, 1 info in 3 files",
            id="plural",
        ),
    ],
)
def test_summary_line(severities: list[Severity], files: int, expected: str) -> None:
    found = [Diagnostic("PT001", s, "m", "x.j2", Span.at(0, 0)) for s in severities]
    assert summary_line(found, files) == expected


def test_json_document() -> None:
    document = json.loads(render("json", _diagnostics(), 12, CWD))
    assert set(document) == {"tool", "positions", "summary", "diagnostics"}
    assert "1-based" in document["positions"]
    assert document["tool"] == {"name": "prompt-tool", "version": __version__}
    assert document["summary"] == {
        "files": 12,
        "errors": 2,
        "warnings": 1,
        "infos": 0,
        "hints": 1,
    }
    first = document["diagnostics"][0]
    assert set(first) == {"code", "rule", "severity", "message", "path", "range", "related", "fix"}
    assert first["code"] == "PT002"
    assert first["rule"] == "undefined-variable"
    assert first["severity"] == "error"
    assert first["path"] == "prompts/plan.j2"
    assert first["range"] == {"start": {"line": 3, "column": 11}, "end": {"line": 3, "column": 23}}
    assert first["fix"] == {
        "title": "Replace with feature.name",
        "range": {"start": {"line": 3, "column": 11}, "end": {"line": 3, "column": 23}},
        "replacement": "feature.name",
    }
    assert first["related"] == []
    cycle = document["diagnostics"][1]
    assert cycle["fix"] is None
    assert cycle["related"] == [
        {
            "path": "prompts/b.j2",
            "range": {"start": {"line": 5, "column": 1}, "end": {"line": 5, "column": 6}},
            "message": "b.j2 includes a.j2",
        }
    ]


def _sarif() -> dict[str, Any]:
    document: dict[str, Any] = json.loads(render("sarif", _diagnostics(), 12, CWD))
    return document


def test_sarif_has_what_github_code_scanning_requires() -> None:
    document = _sarif()
    assert document["$schema"].endswith("sarif-2.1.0.json")
    assert document["version"] == "2.1.0"
    (run,) = document["runs"]
    driver = run["tool"]["driver"]
    assert driver["name"] == "prompt-tool"
    assert driver["version"] == __version__
    assert driver["informationUri"].startswith("https://")
    rules = driver["rules"]
    assert [rule["id"] for rule in rules] == sorted(RULES)
    for rule in rules:
        assert rule["name"] == RULES[rule["id"]].name
        assert rule["shortDescription"]["text"]
        assert rule["fullDescription"]["text"]
        assert rule["help"]["text"]
        assert rule["defaultConfiguration"]["level"] in {"error", "warning", "note"}
    assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"] == "file:///repo/"
    assert len(run["results"]) == 4
    for result in run["results"]:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
        assert result["level"] in {"error", "warning", "note"}
        assert result["message"]["text"]
        (location,) = result["locations"]
        artifact = location["physicalLocation"]["artifactLocation"]
        assert artifact["uriBaseId"] == "%SRCROOT%"
        assert not artifact["uri"].startswith("/")
        region = location["physicalLocation"]["region"]
        assert set(region) == {"startLine", "startColumn", "endLine", "endColumn"}
        assert all(value >= 1 for value in region.values())


def test_sarif_result_details() -> None:
    results = _sarif()["runs"][0]["results"]
    first, cycle, warning, hint = results
    assert first["ruleId"] == "PT002"
    assert first["locations"][0]["physicalLocation"]["region"] == {
        "startLine": 3,
        "startColumn": 11,
        "endLine": 3,
        "endColumn": 23,
    }
    replacement = first["fixes"][0]["artifactChanges"][0]["replacements"][0]
    assert replacement["insertedContent"]["text"] == "feature.name"
    assert cycle["relatedLocations"][0]["message"]["text"] == "b.j2 includes a.j2"
    assert warning["level"] == "warning"
    uri = warning["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    assert uri == "prompts/sub%20dir/c.j2"
    assert hint["level"] == "note"


def test_github_annotations_escape_data_and_properties() -> None:
    lines = render("github", _diagnostics(), 12, CWD).splitlines()
    assert lines[0] == (
        "::error file=prompts/plan.j2,line=3,col=11,endLine=3,endColumn=23,"
        "title=PT002 undefined-variable::undefined variable 'feature.nmae', "
        "did you mean 'feature.name'?"
    )
    assert lines[2] == (
        "::warning file=prompts/sub dir/c.j2,line=1,endLine=2,"
        "title=PT003 possibly-undefined::x may be undefined: 100%25 sure, line%0Abreak, and: colon"
    )
    assert lines[3].startswith("::notice file=d.j2,line=6,col=2,endLine=6,endColumn=6,")
    assert lines[-1] == "2 errors, 1 warning, 1 hint in 12 files"


def test_github_property_values_escape_commas_and_colons() -> None:
    odd = Diagnostic("PT001", Severity.ERROR, "m", "/repo/a,b:c.j2", Span.at(0, 0))
    assert render("github", [odd], 1, CWD).startswith("::error file=a%2Cb%3Ac.j2,line=1,")


@pytest.mark.parametrize("output_format", FORMATS)
def test_every_format_handles_no_findings(output_format: str) -> None:
    output = render(output_format, [], 3, CWD)
    assert output.endswith("\n")
    if output_format in {"json", "sarif"}:
        document = json.loads(output)
        assert document.get("diagnostics", document.get("runs", [{}])[0].get("results")) == []
    else:
        assert output == "no problems in 3 files\n"


def _unescape(text: str) -> str:
    for escaped, raw in (("%0D", "\r"), ("%0A", "\n"), ("%3A", ":"), ("%2C", ","), ("%25", "%")):
        text = text.replace(escaped, raw)
    return text


@settings(max_examples=200, deadline=None)
@given(
    message=st.text(min_size=1),
    path=st.text(alphabet=st.characters(blacklist_characters="\x00/"), min_size=1),
)
def test_github_annotation_round_trips_any_text(message: str, path: str) -> None:
    found = Diagnostic("PT001", Severity.ERROR, message, f"/repo/{path}", Span.at(0, 0))
    annotation = render("github", [found], 1, CWD).split("\n")[0]
    assert "\n" not in annotation and "\r" not in annotation
    properties, _, data = annotation.removeprefix("::error ").partition("::")
    assert _unescape(data) == message
    assert _unescape(properties.split(",")[0].removeprefix("file=")) == path
