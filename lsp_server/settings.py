"""The server's settings, parsed in one place from the client, environment and pyproject.toml.

Sources in the one order of precedence every entry point uses
(`prompt_tool.checking.settings.PRECEDENCE`): the client (`workspace/configuration`
section `promptTool`, else `initializationOptions`) counts as the command-line flag, then
the environment, then the workspace folder's pyproject.toml, then the default. The pyproject keys are the linter's (`[tool.prompt-tool.lint]` roots,
extensions, disable; `[tool.prompt-tool]` database_url, project, feature_type), read through
the linter's own parser, so that the editor and `templates lint` see the same templates. A value that does not validate is reported and
ignored, so the next source (finally the default) applies: a typo never stops the server.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from prompt_tool.analysis.diagnostics import RULES
from prompt_tool.checking.settings import DEFAULT_EXTENSIONS, PRECEDENCE
from prompt_tool.checking.settings import parse_settings as parse_project_settings
from prompt_tool.core.config import DATABASE_URL_ENV, load_tool_config
from prompt_tool.core.errors import ConfigError

SECTION = "promptTool"
ENVIRONMENT_NAMES = {
    "database_url": DATABASE_URL_ENV,
    "template_roots": "PROMPT_TOOL_TEMPLATE_ROOTS",
    "extensions": "PROMPT_TOOL_EXTENSIONS",
    "project": "PROMPT_TOOL_PROJECT",
    "feature_type": "PROMPT_TOOL_FEATURE_TYPE",
    "disabled_codes": "PROMPT_TOOL_DISABLE",
    "max_document_size": "PROMPT_TOOL_MAX_DOCUMENT_SIZE",
}
DEFAULT_MAX_DOCUMENT_SIZE = 4_000_000


@dataclass(frozen=True)
class Settings:
    """Everything the server can be told; every field has a working default."""

    database_url: str | None = None
    """SQLAlchemy URL of the template store; None means no database features."""

    template_roots: tuple[str, ...] = (".",)
    """Loader roots (relative to each workspace folder): include names are relative to them."""

    extensions: tuple[str, ...] = DEFAULT_EXTENSIONS
    """File name endings that mark a template."""

    project: str | None = None
    """Project whose published templates and variables completions offer."""

    feature_type: str | None = None
    """Feature type used to pick template versions for completions and inlay hints."""

    disabled_codes: frozenset[str] = frozenset()
    """Check codes (PT001…) not to report."""

    max_document_size: int = DEFAULT_MAX_DOCUMENT_SIZE
    """Characters above which an open document is not analysed (one warning instead): a
    50 MB document took 49 s and 3 GB per edit."""


@dataclass(frozen=True)
class SettingsLayer:
    """One source of values, keyed by the settings' field names, and how to name it."""

    source: str
    values: Mapping[str, Any]


@dataclass(frozen=True)
class ParsedSettings:
    """The settings and every problem met while reading them, one line each."""

    settings: Settings
    problems: tuple[str, ...] = ()


def parse_settings(layers: Sequence[SettingsLayer]) -> ParsedSettings:
    """Each field from the first layer that sets it validly, else its default."""
    values: dict[str, Any] = {}
    problems: list[str] = []
    for setting in fields(Settings):
        parse = _PARSERS[setting.name]
        for layer in layers:
            if layer.values.get(setting.name) is None:
                continue  # absent, or null: an editor's way of saying "not set here"
            try:
                values[setting.name] = parse(layer.values[setting.name])
            except ValueError as error:
                problems.append(f"{layer.source}: {setting.name}: {error}; ignored")
                continue
            break
    return ParsedSettings(Settings(**values), tuple(problems))


def client_layer(options: Any, source: str) -> SettingsLayer:
    """Client settings, either `{"promptTool": {...}}` or the section itself, camelCase keys."""
    if isinstance(options, Mapping) and isinstance(options.get(SECTION), Mapping):
        options = options[SECTION]
    if not isinstance(options, Mapping):
        return SettingsLayer(source, {})
    return SettingsLayer(source, {_snake_case(str(key)): value for key, value in options.items()})


def pyproject_layer(folder: Path | None) -> tuple[SettingsLayer, tuple[str, ...]]:
    """The keys the pyproject.toml at or above the workspace folder sets explicitly."""
    if folder is None:
        return SettingsLayer("pyproject.toml", {}), ()
    try:
        section, path = load_tool_config(folder)
        project_dir = path.parent if path is not None else folder.resolve()
        lint = parse_project_settings(section, path, project_dir).lint
    except ConfigError as error:
        return SettingsLayer("pyproject.toml", {}), (str(error),)
    written = section.get("lint", {})
    values: dict[str, Any] = {
        key: section[key] for key in ("database_url", "project", "feature_type") if key in section
    }
    if "roots" in written:
        values["template_roots"] = [str(root) for root in lint.roots]
    if "extensions" in written:
        values["extensions"] = list(lint.extensions)
    if "disable" in written:
        values["disabled_codes"] = sorted(lint.disabled_codes)
    return SettingsLayer(f"{path} [tool.prompt-tool]", values), ()


def environment_layer(environ: Mapping[str, str] | None = None) -> SettingsLayer:
    """Environment variables; lists are comma-separated (roots: the OS path separator)."""
    environ = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    for name, variable in ENVIRONMENT_NAMES.items():
        raw = environ.get(variable)
        if not raw:
            continue
        if name == "template_roots":
            values[name] = [part for part in raw.split(os.pathsep) if part]
        elif name in {"extensions", "disabled_codes"}:
            values[name] = [part.strip() for part in raw.split(",") if part.strip()]
        else:
            values[name] = raw
    return SettingsLayer("environment", values)


def load_settings(
    client_options: Sequence[tuple[str, Any]],
    folder: Path | None,
    environ: Mapping[str, str] | None = None,
) -> ParsedSettings:
    """Settings for one workspace folder from every source, in precedence order."""
    project, project_problems = pyproject_layer(folder)
    by_source = {
        "flag": [client_layer(options, source) for source, options in client_options],
        "environment": [environment_layer(environ)],
        "pyproject": [project],
        "default": [],
    }
    parsed = parse_settings([layer for source in PRECEDENCE for layer in by_source[source]])
    return ParsedSettings(parsed.settings, (*project_problems, *parsed.problems))


def _snake_case(key: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", key).lower().replace("-", "_")


def _text(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"expected a non-empty string, got {value!r}")
    return value.strip()


def _optional_text(value: Any) -> str | None:
    return None if value is None or value == "" else _text(value)


def _texts(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list | tuple) or not all(isinstance(item, str) for item in value):
        raise ValueError(f"expected a list of strings, got {value!r}")
    return tuple(item.strip() for item in value if item.strip())


def _roots(value: Any) -> tuple[str, ...]:
    roots = _texts(value)
    if not roots:
        raise ValueError("expected at least one folder")
    return roots


def _extensions(value: Any) -> tuple[str, ...]:
    extensions = tuple(item if item.startswith(".") else f".{item}" for item in _texts(value))
    if not extensions:
        raise ValueError("expected at least one file extension")
    return extensions


def _codes(value: Any) -> frozenset[str]:
    codes = frozenset(code.upper() for code in _texts(value))
    unknown = sorted(codes - RULES.keys())
    if unknown:
        raise ValueError(f"unknown check code(s) {', '.join(unknown)}")
    return codes


def _size(value: Any) -> int:
    try:
        size = int(value)
    except (TypeError, ValueError):
        raise ValueError(f"expected a number of characters, got {value!r}") from None
    if isinstance(value, bool) or size < 1 or str(size) != str(value).strip():
        raise ValueError(f"expected a positive whole number of characters, got {value!r}")
    return size


_PARSERS: dict[str, Callable[[Any], Any]] = {
    "database_url": _optional_text,
    "template_roots": _roots,
    "extensions": _extensions,
    "project": _optional_text,
    "feature_type": _optional_text,
    "disabled_codes": _codes,
    "max_document_size": _size,
}
