"""Lint output for people and for CI: text, JSON, SARIF 2.1.0 and GitHub annotations.

Diagnostics are 0-based inside; every format here is 1-based, with the end of a range
exclusive (the column after its last character). GitHub annotations carry columns only for
ranges on one line, as GitHub requires. Paths are shown relative to the working folder.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import quote

from prompt_tool import __version__
from prompt_tool.analysis.diagnostics import RULES, Diagnostic, Severity, Span

FORMATS = ("text", "json", "sarif", "github")
TOOL_NAME = "prompt-tool"
INFORMATION_URI = "https://pypi.org/project/prompt-tool/"
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
POSITION_NOTE = (
    "Lines and columns are 1-based; columns count Unicode code points; "
    "a range's end is exclusive (the column after its last character)."
)
_SEVERITY_WORDS = {
    Severity.ERROR: ("error", "errors"),
    Severity.WARNING: ("warning", "warnings"),
    Severity.INFORMATION: ("info", "infos"),
    Severity.HINT: ("hint", "hints"),
}
_SARIF_LEVELS = {
    Severity.ERROR: "error",
    Severity.WARNING: "warning",
    Severity.INFORMATION: "note",
    Severity.HINT: "note",
}
_GITHUB_LEVELS = {
    Severity.ERROR: "error",
    Severity.WARNING: "warning",
    Severity.INFORMATION: "notice",
    Severity.HINT: "notice",
}
_COLOURS = {
    Severity.ERROR: "\x1b[31m",
    Severity.WARNING: "\x1b[33m",
    Severity.INFORMATION: "\x1b[34m",
    Severity.HINT: "\x1b[2m",
}
_BOLD = "\x1b[1m"
_RESET = "\x1b[0m"


def render(
    output_format: str,
    diagnostics: Sequence[Diagnostic],
    files_checked: int,
    cwd: Path,
    color: bool = False,
) -> str:
    """The whole report in `output_format` (one of FORMATS), ending with a newline."""
    renderers: dict[str, Callable[[], str]] = {
        "text": lambda: render_text(diagnostics, files_checked, cwd, color),
        "json": lambda: render_json(diagnostics, files_checked, cwd),
        "sarif": lambda: render_sarif(diagnostics, cwd),
        "github": lambda: render_github(diagnostics, files_checked, cwd),
    }
    return renderers[output_format]()


def display_path(path: str, cwd: Path) -> str:
    """`path` relative to `cwd`, `/`-separated; names that are not files stay as they are."""
    if not os.path.isabs(path):
        return path.replace(os.sep, "/")
    return Path(os.path.relpath(path, cwd)).as_posix()


def summary_line(diagnostics: Sequence[Diagnostic], files_checked: int) -> str:
    """`3 errors, 1 warning in 12 files`, or `no problems in 12 files`."""
    counts = Counter(diagnostic.severity for diagnostic in diagnostics)
    parts = [
        f"{counts[severity]} {words[0] if counts[severity] == 1 else words[1]}"
        for severity, words in _SEVERITY_WORDS.items()
        if counts[severity]
    ]
    files = f"{files_checked} file{'' if files_checked == 1 else 's'}"
    return f"{', '.join(parts) if parts else 'no problems'} in {files}"


def render_text(
    diagnostics: Sequence[Diagnostic], files_checked: int, cwd: Path, color: bool = False
) -> str:
    """`path:line:col: CODE severity message` lines and a one-line summary."""
    lines = []
    for diagnostic in diagnostics:
        start = diagnostic.span.start
        location = f"{display_path(diagnostic.path, cwd)}:{start.line + 1}:{start.column + 1}:"
        word = _SEVERITY_WORDS[diagnostic.severity][0]
        if color:
            shade = _COLOURS[diagnostic.severity]
            location = f"{_BOLD}{location}{_RESET}"
            word = f"{shade}{word}{_RESET}"
        lines.append(f"{location} {diagnostic.code} {word} {diagnostic.message}")
    summary = summary_line(diagnostics, files_checked)
    lines.append(f"{_BOLD}{summary}{_RESET}" if color else summary)
    return "\n".join(lines) + "\n"


def _range(span: Span) -> dict[str, dict[str, int]]:
    return {
        "start": {"line": span.start.line + 1, "column": span.start.column + 1},
        "end": {"line": span.end.line + 1, "column": span.end.column + 1},
    }


def render_json(diagnostics: Sequence[Diagnostic], files_checked: int, cwd: Path) -> str:
    """A JSON document: tool, position convention, summary counts and every diagnostic."""
    counts = Counter(diagnostic.severity for diagnostic in diagnostics)
    document = {
        "tool": {"name": TOOL_NAME, "version": __version__},
        "positions": POSITION_NOTE,
        "summary": {
            "files": files_checked,
            **{words[1]: counts[severity] for severity, words in _SEVERITY_WORDS.items()},
        },
        "diagnostics": json_diagnostics(diagnostics, cwd),
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def json_diagnostics(diagnostics: Sequence[Diagnostic], cwd: Path) -> list[dict[str, Any]]:
    """Each diagnostic as `--format json` prints it (`publish --json` reuses the shape)."""
    return [_json_diagnostic(diagnostic, cwd) for diagnostic in diagnostics]


def _json_diagnostic(diagnostic: Diagnostic, cwd: Path) -> dict[str, Any]:
    fix = diagnostic.fix
    return {
        "code": diagnostic.code,
        "rule": diagnostic.rule.name,
        "severity": _SEVERITY_WORDS[diagnostic.severity][0],
        "message": diagnostic.message,
        "path": display_path(diagnostic.path, cwd),
        "range": _range(diagnostic.span),
        "related": [
            {
                "path": display_path(related.path, cwd),
                "range": _range(related.span),
                "message": related.message,
            }
            for related in diagnostic.related
        ],
        "fix": (
            None
            if fix is None
            else {"title": fix.title, "range": _range(fix.span), "replacement": fix.replacement}
        ),
    }


def render_sarif(diagnostics: Sequence[Diagnostic], cwd: Path) -> str:
    """SARIF 2.1.0 as GitHub code scanning reads it: rules with help, located results."""
    codes = sorted(RULES)
    rule_index = {code: index for index, code in enumerate(codes)}
    run = {
        "tool": {
            "driver": {
                "name": TOOL_NAME,
                "version": __version__,
                "semanticVersion": __version__,
                "informationUri": INFORMATION_URI,
                "rules": [_sarif_rule(code) for code in codes],
            }
        },
        "originalUriBaseIds": {"%SRCROOT%": {"uri": cwd.resolve().as_uri() + "/"}},
        "columnKind": "unicodeCodePoints",
        "properties": {"positions": POSITION_NOTE},
        "results": [_sarif_result(d, rule_index[d.code], cwd) for d in diagnostics],
    }
    document = {"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [run]}
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def _sarif_rule(code: str) -> dict[str, Any]:
    rule = RULES[code]
    help_text = (
        f"{rule.summary} Silence it on one line with `{{# prompt-tool: disable={code} #}}`, "
        f'or for the project with `disable = ["{code}"]` in [tool.prompt-tool.lint].'
    )
    return {
        "id": code,
        "name": rule.name,
        "shortDescription": {"text": rule.summary},
        "fullDescription": {"text": rule.summary},
        "help": {"text": help_text, "markdown": help_text},
        "defaultConfiguration": {"level": _SARIF_LEVELS[rule.severity]},
        "properties": {"tags": ["jinja", "prompt-template"]},
    }


def _sarif_location(path: str, span: Span, cwd: Path) -> dict[str, Any]:
    return {
        "physicalLocation": {
            "artifactLocation": {"uri": quote(display_path(path, cwd)), "uriBaseId": "%SRCROOT%"},
            "region": {
                "startLine": span.start.line + 1,
                "startColumn": span.start.column + 1,
                "endLine": span.end.line + 1,
                "endColumn": span.end.column + 1,
            },
        }
    }


def _sarif_result(diagnostic: Diagnostic, index: int, cwd: Path) -> dict[str, Any]:
    result: dict[str, Any] = {
        "ruleId": diagnostic.code,
        "ruleIndex": index,
        "level": _SARIF_LEVELS[diagnostic.severity],
        "message": {"text": diagnostic.message},
        "locations": [_sarif_location(diagnostic.path, diagnostic.span, cwd)],
    }
    if diagnostic.related:
        result["relatedLocations"] = [
            {"id": number, **_sarif_location(related.path, related.span, cwd)}
            | {"message": {"text": related.message}}
            for number, related in enumerate(diagnostic.related)
        ]
    if diagnostic.fix is not None:
        fix = diagnostic.fix
        location = _sarif_location(diagnostic.path, fix.span, cwd)["physicalLocation"]
        result["fixes"] = [
            {
                "description": {"text": fix.title},
                "artifactChanges": [
                    {
                        "artifactLocation": location["artifactLocation"],
                        "replacements": [
                            {
                                "deletedRegion": location["region"],
                                "insertedContent": {"text": fix.replacement},
                            }
                        ],
                    }
                ],
            }
        ]
    return result


def render_github(diagnostics: Sequence[Diagnostic], files_checked: int, cwd: Path) -> str:
    """GitHub Actions workflow commands (`::error file=…::message`) and the summary line."""
    lines = [_github_annotation(diagnostic, cwd) for diagnostic in diagnostics]
    lines.append(summary_line(diagnostics, files_checked))
    return "\n".join(lines) + "\n"


def _github_annotation(diagnostic: Diagnostic, cwd: Path) -> str:
    start, end = diagnostic.span.start, diagnostic.span.end
    properties = [("file", display_path(diagnostic.path, cwd)), ("line", str(start.line + 1))]
    if start.line == end.line:
        properties.append(("col", str(start.column + 1)))
    properties.append(("endLine", str(end.line + 1)))
    if start.line == end.line:
        properties.append(("endColumn", str(end.column + 1)))
    properties.append(("title", f"{diagnostic.code} {diagnostic.rule.name}"))
    rendered = ",".join(f"{key}={_escape_property(value)}" for key, value in properties)
    level = _GITHUB_LEVELS[diagnostic.severity]
    return f"::{level} {rendered}::{_escape_data(diagnostic.message)}"


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")
