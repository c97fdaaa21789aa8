"""The project's settings, read once from `[tool.prompt-tool]` into frozen, defaulted objects.

`[tool.prompt-tool.lint]` says where templates live and which findings matter;
`[tool.prompt-tool.contracts]` says what a project's own code passes to its templates, so
that teams whose templates are not rendered by prompt-tool can lint them too; `project`,
`feature_type` and `database_url` say which published templates and project variables a
check runs against.

Every setting has one precedence, the same for the CLI and the language server:
the flag (for the language server, the client's settings), then the environment
(`PROMPT_TOOL_DATABASE_URL`, `PROMPT_TOOL_PROJECT`, …), then pyproject.toml, then the default
(`PRECEDENCE`, `resolve_setting`, `resolve_database_url`).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from prompt_tool.analysis.diagnostics import RULES
from prompt_tool.core.budget import RenderBudget
from prompt_tool.core.config import (
    DATABASE_URL_ENV,
    DatabaseUrl,
    default_database_url,
    load_tool_config,
    render_budget_in,
)
from prompt_tool.core.errors import ConfigError

PRECEDENCE: tuple[str, ...] = ("flag", "environment", "pyproject", "default")
"""Where a setting's value comes from, first wins: a command-line flag (the language
server's client settings count as flags), an environment variable, pyproject.toml, the
built-in default."""
ENVIRONMENT_VARIABLES: dict[str, str] = {
    "database_url": DATABASE_URL_ENV,
    "project": "PROMPT_TOOL_PROJECT",
    "feature_type": "PROMPT_TOOL_FEATURE_TYPE",
}
"""The environment variable of each `[tool.prompt-tool]` setting that has one."""

DEFAULT_EXTENSIONS = (".j2", ".jinja", ".jinja2", ".prompt")
LINT_KEYS = frozenset({"roots", "extensions", "disable", "strict"})
TOOL_KEYS = frozenset(
    {
        "lint",
        "contracts",
        "preview",
        "render",
        "database_url",
        "project",
        "feature_type",
        "runner",
        "runner_timeout",
    }
)
"""Every key of `[tool.prompt-tool]` some part of prompt-tool reads; any other is a typo."""
CONTRACT_KEYS = frozenset(
    {"globals", "filters", "tests", "extensions", "source_roots", "modules", "import"}
)
PREVIEW_KEYS = frozenset({"samples", "token_counter"})
_CODES_BY_NAME = {rule.name: code for code, rule in RULES.items()}


@dataclass(frozen=True)
class LintSettings:
    """`[tool.prompt-tool.lint]`: where templates live and which findings count."""

    roots: tuple[Path, ...] = ()
    """Loader roots: a template's name is its path relative to the first root holding it.
    Empty means the folders given on the command line."""
    extensions: tuple[str, ...] = DEFAULT_EXTENSIONS
    """File endings that make a file in a linted folder a template."""
    disabled_codes: frozenset[str] = frozenset()
    """Codes never reported (`disable = ["PT003"]`, rule names allowed too)."""
    strict: bool = False
    """Warnings fail the run as errors do."""


@dataclass(frozen=True)
class ContractDeclaration:
    """One `"glob" = "package.module:Type"` line: the context of the templates it matches."""

    glob: str
    type_expression: str


@dataclass(frozen=True)
class ContractSettings:
    """`[tool.prompt-tool.contracts]`: what the project's own environment provides."""

    declarations: tuple[ContractDeclaration, ...] = ()
    """Glob → type, in the order written; the first matching glob wins."""
    globals: tuple[tuple[str, str], ...] = ()
    """Names the environment registers as globals, with a type expression (`Any` if untyped)."""
    filters: frozenset[str] = frozenset()
    """Extra filter names the environment registers."""
    tests: frozenset[str] = frozenset()
    """Extra test names the environment registers."""
    extensions: tuple[str, ...] = ()
    """Jinja extensions (`jinja2.ext.loopcontrols`) the environment loads."""
    source_roots: tuple[Path, ...] = ()
    """Folders searched for the modules that types name."""
    modules: tuple[str, ...] = ()
    """Modules searched, in order, for bare type names (`Issue` rather than `pkg.mod:Issue`)."""
    allow_import: bool = False
    """Import the project's modules when reading their source is not enough."""


@dataclass(frozen=True)
class PreviewSettings:
    """`[tool.prompt-tool.preview]`: sample contexts kept outside the `samples/` folders."""

    samples: tuple[str, ...] = ()
    """Globs of sample context files (JSON), relative to the project folder."""
    token_counter: str | None = None
    """The installed token counter previews estimate with (None: the built-in heuristic)."""


@dataclass(frozen=True)
class ProjectSettings:
    """Everything the linter reads from one pyproject.toml (or the defaults without one)."""

    project_dir: Path
    pyproject: Path | None = None
    lint: LintSettings = field(default_factory=LintSettings)
    contracts: ContractSettings = field(default_factory=ContractSettings)
    preview: PreviewSettings = field(default_factory=PreviewSettings)
    render: RenderBudget = field(default_factory=RenderBudget)
    """`[tool.prompt-tool.render]`: the budget every render of the project runs under."""
    project: str | None = None
    """`[tool.prompt-tool] project`: whose published templates and variables checks use."""
    feature_type: str | None = None
    """`[tool.prompt-tool] feature_type`: which feature-type slots published includes use."""
    database_url: str | None = None
    """`[tool.prompt-tool] database_url` as written (see `resolve_database_url`)."""

    def configured(self, name: str) -> str | None:
        """The pyproject.toml value of top-level setting `name` (None when not written)."""
        value = getattr(self, name)
        return value if isinstance(value, str) else None


@dataclass(frozen=True)
class ResolvedSetting:
    """A setting's value and the source it came from (one of `PRECEDENCE`, named)."""

    value: str | None
    source: str


def resolve_setting(
    name: str,
    flag: str | None,
    settings: ProjectSettings | None,
    environ: Mapping[str, str] | None = None,
) -> ResolvedSetting:
    """`name` from the flag, else its environment variable, else pyproject.toml, else None."""
    environ = os.environ if environ is None else environ
    if flag:
        return ResolvedSetting(flag, "flag")
    variable = ENVIRONMENT_VARIABLES.get(name)
    if variable and environ.get(variable):
        return ResolvedSetting(environ[variable], variable)
    configured = settings.configured(name) if settings is not None else None
    if configured:
        where = f"{settings.pyproject} " if settings and settings.pyproject else ""
        return ResolvedSetting(configured, f"{where}[tool.prompt-tool] {name}")
    return ResolvedSetting(None, "default")


def resolve_database_url(
    flag: str | None,
    environ: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    *,
    use_default: bool = True,
) -> DatabaseUrl | None:
    """The database URL: flag, then `PROMPT_TOOL_DATABASE_URL`, then pyproject.toml, then the
    embedded SQLite default (commands that store); lint and the language server pass
    `use_default=False` and run without a database rather than create one.

    Only `database_url` of the pyproject table is validated here, so that a typo in the lint
    settings never stops `db upgrade`."""
    cwd = Path.cwd() if cwd is None else cwd
    section, path = ({}, None) if flag else load_tool_config(cwd)
    pyproject = ProjectSettings(
        cwd, path, database_url=_top_level(section, "database_url", _Where(path))
    )
    resolved = resolve_setting("database_url", flag, pyproject, environ)
    if resolved.value is not None:
        source = "--database-url" if resolved.source == "flag" else resolved.source
        return DatabaseUrl(resolved.value, source)
    return DatabaseUrl(default_database_url(cwd), "default") if use_default else None


def load_settings(start: Path) -> ProjectSettings:
    """The settings of the nearest pyproject.toml at or above `start`."""
    section, pyproject = load_tool_config(start)
    project_dir = pyproject.parent if pyproject is not None else start.resolve()
    return parse_settings(section, pyproject, project_dir)


def parse_settings(
    section: Mapping[str, Any], pyproject: Path | None, project_dir: Path
) -> ProjectSettings:
    """Validate the `[tool.prompt-tool]` table; every error names the key and the file."""
    where = _Where(pyproject)
    for key in section:
        if key not in TOOL_KEYS:
            raise where.error(key, _unknown_key(key))
    lint_table = _table(section, "lint", where)
    contracts_table = _table(section, "contracts", where)
    return ProjectSettings(
        project_dir=project_dir,
        pyproject=pyproject,
        lint=_parse_lint(lint_table, where.child("lint"), project_dir),
        contracts=_parse_contracts(contracts_table, where.child("contracts"), project_dir),
        preview=_parse_preview(_table(section, "preview", where), where.child("preview")),
        render=render_budget_in(section, pyproject),
        project=_top_level(section, "project", where),
        feature_type=_top_level(section, "feature_type", where),
        database_url=_top_level(section, "database_url", where),
    )


def _top_level(section: Mapping[str, Any], key: str, where: _Where) -> str | None:
    value = section.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise where.error(key, "must be a non-empty string")
    return value.strip()


@dataclass(frozen=True)
class _Where:
    """Names the place of a bad value: `pyproject.toml: [tool.prompt-tool.lint] roots`."""

    pyproject: Path | None
    table: str = "tool.prompt-tool"

    def child(self, name: str) -> _Where:
        return _Where(self.pyproject, f"{self.table}.{name}")

    def error(self, key: str, problem: str) -> ConfigError:
        prefix = f"{self.pyproject}: " if self.pyproject else ""
        return ConfigError(f"{prefix}[{self.table}] {key}: {problem}")


def _unknown_key(key: str) -> str:
    hint = " (template roots are `roots` in [tool.prompt-tool.lint])" if "root" in key else ""
    return f"unknown key{hint}; expected one of {', '.join(sorted(TOOL_KEYS))}"


def _table(section: Mapping[str, Any], key: str, where: _Where) -> Mapping[str, Any]:
    value = section.get(key, {})
    if not isinstance(value, Mapping):
        raise where.error(key, "must be a table")
    return value


def _parse_lint(table: Mapping[str, Any], where: _Where, project_dir: Path) -> LintSettings:
    for key in table:
        if key not in LINT_KEYS:
            raise where.error(key, f"unknown key (expected one of {', '.join(sorted(LINT_KEYS))})")
    extensions = _strings(table, "extensions", where)
    return LintSettings(
        roots=tuple(project_dir / root for root in _strings(table, "roots", where) or ()),
        extensions=_extensions(extensions, where) if extensions is not None else DEFAULT_EXTENSIONS,
        disabled_codes=frozenset(
            _code(item, where) for item in _strings(table, "disable", where) or ()
        ),
        strict=_bool(table, "strict", where),
    )


def _parse_preview(table: Mapping[str, Any], where: _Where) -> PreviewSettings:
    for key in table:
        if key not in PREVIEW_KEYS:
            expected = ", ".join(sorted(PREVIEW_KEYS))
            raise where.error(key, f"unknown key (expected one of {expected})")
    counter = table.get("token_counter")
    if counter is not None and (not isinstance(counter, str) or not counter.strip()):
        raise where.error("token_counter", "must be the name of a token counter")
    return PreviewSettings(
        samples=tuple(_strings(table, "samples", where) or ()),
        token_counter=counter.strip() if counter is not None else None,
    )


def _parse_contracts(
    table: Mapping[str, Any], where: _Where, project_dir: Path
) -> ContractSettings:
    declarations = []
    for key, value in table.items():
        if key in CONTRACT_KEYS:
            continue
        if not isinstance(value, str) or not value.strip():
            raise where.error(
                f'"{key}"', 'must be a type string such as "package.module:ClassName"'
            )
        declarations.append(ContractDeclaration(key, value.strip()))
    roots = _strings(table, "source_roots", where)
    source_roots = (
        tuple(project_dir / root for root in roots)
        if roots is not None
        else (project_dir, project_dir / "src")
    )
    return ContractSettings(
        declarations=tuple(declarations),
        globals=_globals(table.get("globals"), where),
        filters=frozenset(_strings(table, "filters", where) or ()),
        tests=frozenset(_strings(table, "tests", where) or ()),
        extensions=tuple(_strings(table, "extensions", where) or ()),
        source_roots=source_roots,
        modules=tuple(_strings(table, "modules", where) or ()),
        allow_import=_bool(table, "import", where),
    )


def _strings(table: Mapping[str, Any], key: str, where: _Where) -> list[str] | None:
    value = table.get(key)
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(item, str) and item for item in value):
        raise where.error(key, "must be a list of non-empty strings")
    return value


def _bool(table: Mapping[str, Any], key: str, where: _Where) -> bool:
    value = table.get(key, False)
    if not isinstance(value, bool):
        raise where.error(key, f"must be true or false, not {value!r}")
    return value


def _extensions(values: list[str], where: _Where) -> tuple[str, ...]:
    for value in values:
        if not value.startswith(".") or len(value) < 2 or "/" in value:
            raise where.error("extensions", f'{value!r} is not a file ending such as ".j2"')
    return tuple(values)


def _code(value: str, where: _Where) -> str:
    code = value.upper()
    if code in RULES:
        return code
    if value in _CODES_BY_NAME:
        return _CODES_BY_NAME[value]
    raise where.error("disable", f"unknown code {value!r} (codes run from PT001 to {max(RULES)})")


def _globals(value: object, where: _Where) -> tuple[tuple[str, str], ...]:
    if value is None:
        return ()
    if isinstance(value, list) and all(isinstance(item, str) and item for item in value):
        return tuple((name, "Any") for name in value)
    if isinstance(value, Mapping) and all(
        isinstance(item, str) and item for item in value.values()
    ):
        return tuple((str(name), str(item)) for name, item in value.items())
    raise where.error("globals", "must be a list of names, or a table of name = type expression")
