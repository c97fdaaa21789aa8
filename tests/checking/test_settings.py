"""Parsing `[tool.prompt-tool.lint]` and `[tool.prompt-tool.contracts]`, good values and bad."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from prompt_tool.checking.settings import (
    DEFAULT_EXTENSIONS,
    ContractDeclaration,
    load_settings,
    parse_settings,
)
from prompt_tool.core.errors import ConfigError

PYPROJECT = Path("/project/pyproject.toml")
PROJECT = Path("/project")


def test_defaults_without_configuration() -> None:
    settings = parse_settings({}, None, PROJECT)
    assert settings.lint.roots == ()
    assert settings.lint.extensions == DEFAULT_EXTENSIONS
    assert settings.lint.disabled_codes == frozenset()
    assert settings.lint.strict is False
    assert settings.contracts.declarations == ()
    assert settings.contracts.source_roots == (PROJECT, PROJECT / "src")
    assert settings.contracts.allow_import is False


def test_full_configuration() -> None:
    section = {
        "database_url": "sqlite://",
        "lint": {
            "roots": ["prompts", "shared"],
            "extensions": [".j2", ".txt"],
            "disable": ["PT003", "pt008", "loop-scoped-assignment"],
            "strict": True,
        },
        "contracts": {
            "prompts/issue/*.j2": "myapp.models:IssueContext",
            "prompts/**/review.j2": " myapp.models:Review ",
            "globals": {"raise_exception": "Any", "today": "str"},
            "filters": ["markdown"],
            "tests": ["prime"],
            "extensions": ["jinja2.ext.loopcontrols"],
            "source_roots": ["lib"],
            "modules": ["myapp.models"],
            "import": True,
        },
    }
    settings = parse_settings(section, PYPROJECT, PROJECT)
    assert settings.lint.roots == (PROJECT / "prompts", PROJECT / "shared")
    assert settings.lint.extensions == (".j2", ".txt")
    assert settings.lint.disabled_codes == {"PT003", "PT008", "PT011"}
    assert settings.lint.strict is True
    contracts = settings.contracts
    assert contracts.declarations == (
        ContractDeclaration("prompts/issue/*.j2", "myapp.models:IssueContext"),
        ContractDeclaration("prompts/**/review.j2", "myapp.models:Review"),
    )
    assert contracts.globals == (("raise_exception", "Any"), ("today", "str"))
    assert contracts.filters == {"markdown"}
    assert contracts.tests == {"prime"}
    assert contracts.extensions == ("jinja2.ext.loopcontrols",)
    assert contracts.source_roots == (PROJECT / "lib",)
    assert contracts.modules == ("myapp.models",)
    assert contracts.allow_import is True


def test_globals_as_a_list_of_names_are_untyped() -> None:
    settings = parse_settings({"contracts": {"globals": ["strftime_now"]}}, PYPROJECT, PROJECT)
    assert settings.contracts.globals == (("strftime_now", "Any"),)


@pytest.mark.parametrize(
    ("section", "message"),
    [
        pytest.param(
            {"lint": []}, r"\[tool.prompt-tool\] lint: must be a table", id="lint-not-table"
        ),
        pytest.param(
            {"lint": {"root": ["x"]}}, r"\[tool.prompt-tool.lint\] root: unknown key", id="typo-key"
        ),
        pytest.param(
            {"template_roots": ["templates"]},
            r"\[tool.prompt-tool\] template_roots: unknown key \(template roots are `roots` in "
            r"\[tool.prompt-tool.lint\]\); expected one of contracts, database_url",
            id="top-level-typo",
        ),
        pytest.param({"databse_url": "x"}, r"databse_url: unknown key; expected", id="typo"),
        pytest.param({"lint": {"roots": "prompts"}}, r"roots: must be a list", id="roots-string"),
        pytest.param({"lint": {"extensions": ["j2"]}}, r"extensions: 'j2' is not", id="no-dot"),
        pytest.param({"lint": {"disable": ["PT999"]}}, r"disable: unknown code 'PT999'", id="code"),
        pytest.param({"lint": {"strict": "yes"}}, r"strict: must be true or false", id="strict"),
        pytest.param(
            {"contracts": {"prompts/*.j2": 3}},
            r'\[tool.prompt-tool.contracts\] "prompts/\*.j2": must be a type string',
            id="glob-not-string",
        ),
        pytest.param({"contracts": {"globals": "x"}}, r"globals: must be a list", id="globals"),
        pytest.param({"contracts": {"filters": [1]}}, r"filters: must be a list", id="filters"),
        pytest.param({"contracts": {"import": 1}}, r"import: must be true or false", id="import"),
        pytest.param(
            {"preview": {"sample": ["x.json"]}},
            r"\[tool.prompt-tool.preview\] sample: unknown key \(expected one of samples, token_counter\)",
            id="preview-typo",
        ),
        pytest.param(
            {"preview": {"samples": "x.json"}}, r"samples: must be a list", id="samples-string"
        ),
    ],
)
def test_bad_values_name_the_file_and_key(section: dict[str, Any], message: str) -> None:
    """Every key prompt-tool reads is accepted; each bad one is named with its file."""
    with pytest.raises(ConfigError, match=message) as raised:
        parse_settings(section, PYPROJECT, PROJECT)
    assert str(raised.value).startswith(f"{PYPROJECT}: ")


def test_load_settings_finds_the_nearest_pyproject(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[tool.prompt-tool.lint]\nroots = ["prompts"]\n'
        '[tool.prompt-tool.contracts]\n"prompts/*.j2" = "app:Ctx"\n'
    )
    nested = tmp_path / "prompts" / "deep"
    nested.mkdir(parents=True)
    settings = load_settings(nested)
    assert settings.pyproject == tmp_path / "pyproject.toml"
    assert settings.project_dir == tmp_path
    assert settings.lint.roots == (tmp_path / "prompts",)
    assert settings.contracts.declarations == (ContractDeclaration("prompts/*.j2", "app:Ctx"),)


def test_every_key_any_part_of_prompt_tool_reads_is_accepted() -> None:
    section = {
        "database_url": "sqlite:///x.db",
        "project": "p",
        "feature_type": "f",
        "runner": "echo",
        "runner_timeout": 5,
        "lint": {},
        "contracts": {},
        "preview": {"samples": ["fixtures/*.json"]},
        "render": {"max_seconds": 5},
    }
    parsed = parse_settings(section, PYPROJECT, PROJECT)
    assert parsed.pyproject == PYPROJECT
    assert parsed.preview.samples == ("fixtures/*.json",)
