"""Settings parsing: precedence of client, pyproject.toml and environment; bad values."""

from __future__ import annotations

import re
from dataclasses import fields
from pathlib import Path

import pytest

from lsp_server.settings import (
    DEFAULT_EXTENSIONS,
    ENVIRONMENT_NAMES,
    Settings,
    SettingsLayer,
    client_layer,
    environment_layer,
    load_settings,
    parse_settings,
)


def test_no_source_gives_the_defaults() -> None:
    parsed = parse_settings([])

    assert parsed.settings == Settings()
    assert parsed.settings.extensions == DEFAULT_EXTENSIONS
    assert parsed.problems == ()


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        pytest.param(
            {"promptTool": {"databaseUrl": "sqlite:///x.db"}},
            Settings(database_url="sqlite:///x.db"),
            id="wrapped-section",
        ),
        pytest.param({"templateRoots": ["t", "u"]}, Settings(template_roots=("t", "u")), id="flat"),
        pytest.param(
            {"extensions": ["j2", ".txt"]}, Settings(extensions=(".j2", ".txt")), id="dot"
        ),
        pytest.param(
            {"disabledCodes": ["pt002", "PT005"]},
            Settings(disabled_codes=frozenset({"PT002", "PT005"})),
            id="codes-upper-cased",
        ),
        pytest.param(
            {"project": "web", "featureType": "bugfix"},
            Settings(project="web", feature_type="bugfix"),
            id="project-and-feature-type",
        ),
        pytest.param({"project": ""}, Settings(), id="empty-string-means-unset"),
        pytest.param(
            {"maxDocumentSize": 1000}, Settings(max_document_size=1000), id="max-document-size"
        ),
    ],
)
def test_client_values_are_read(options: object, expected: Settings) -> None:
    parsed = parse_settings([client_layer(options, "client")])

    assert parsed.settings == expected
    assert parsed.problems == ()


@pytest.mark.parametrize(
    ("options", "problem"),
    [
        pytest.param(
            {"templateRoots": 3}, "template_roots: expected a list of strings", id="roots"
        ),
        pytest.param({"templateRoots": []}, "template_roots: expected at least one", id="no-roots"),
        pytest.param({"disabledCodes": ["PT999"]}, "unknown check code(s) PT999", id="codes"),
        pytest.param({"databaseUrl": 42}, "database_url: expected a non-empty string", id="url"),
        pytest.param({"extensions": [1]}, "extensions: expected a list of strings", id="ext"),
        pytest.param({"maxDocumentSize": 0}, "expected a positive whole number", id="size-zero"),
        pytest.param({"maxDocumentSize": "4MB"}, "expected a number of characters", id="size-unit"),
    ],
)
def test_an_invalid_value_is_reported_and_the_default_used(options: object, problem: str) -> None:
    parsed = parse_settings([client_layer(options, "initializationOptions")])

    assert parsed.settings == Settings()
    assert len(parsed.problems) == 1
    assert parsed.problems[0].startswith("initializationOptions: ")
    assert problem in parsed.problems[0]


def test_an_invalid_value_falls_through_to_the_next_source() -> None:
    parsed = parse_settings(
        [
            client_layer({"templateRoots": 3}, "client"),
            SettingsLayer("pyproject.toml", {"template_roots": ["templates"]}),
        ]
    )

    assert parsed.settings.template_roots == ("templates",)
    assert len(parsed.problems) == 1


def test_precedence_is_client_then_environment_then_pyproject(tmp_path: Path) -> None:
    """The CLI's order (flag > environment > pyproject > default); the client is the flag."""
    (tmp_path / "pyproject.toml").write_text(
        '[tool.prompt-tool]\nproject = "from-pyproject"\nfeature_type = "from-pyproject"\n'
        '[tool.prompt-tool.lint]\nroots = ["templates"]\n',
        encoding="utf-8",
    )
    environ = {
        "PROMPT_TOOL_PROJECT": "from-env",
        "PROMPT_TOOL_FEATURE_TYPE": "from-env",
        "PROMPT_TOOL_DATABASE_URL": "sqlite:///env.db",
        "PROMPT_TOOL_DISABLE": "PT003, PT011",
    }

    parsed = load_settings([("client", {"project": "from-client"})], tmp_path, environ)

    assert parsed.settings == Settings(
        database_url="sqlite:///env.db",
        template_roots=(str(tmp_path / "templates"),),
        project="from-client",
        feature_type="from-env",
        disabled_codes=frozenset({"PT003", "PT011"}),
    )


def test_an_unreadable_pyproject_is_a_problem_not_a_crash(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.prompt-tool\n", encoding="utf-8")

    parsed = load_settings([], tmp_path, {})

    assert parsed.settings == Settings()
    assert len(parsed.problems) == 1 and "cannot read configuration" in parsed.problems[0]


def test_environment_lists_are_split() -> None:
    layer = environment_layer(
        {"PROMPT_TOOL_TEMPLATE_ROOTS": "a:b", "PROMPT_TOOL_EXTENSIONS": ".j2, .txt"}
    )

    assert layer.values == {"template_roots": ["a", "b"], "extensions": [".j2", ".txt"]}


def test_the_linters_keys_are_read_with_rule_names_allowed(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[tool.prompt-tool.lint]\ndisable = ["undefined-variable", "PT008"]\nextensions = [".txt"]\n',
        encoding="utf-8",
    )

    parsed = load_settings([], tmp_path, {})
    overridden = load_settings([], tmp_path, {"PROMPT_TOOL_EXTENSIONS": ".j2"})

    assert parsed.settings.disabled_codes == frozenset({"PT002", "PT008"})
    assert parsed.settings.extensions == (".txt",)
    assert parsed.problems == ()
    assert overridden.settings.extensions == (".j2",)  # the environment comes before pyproject


def test_lint_settings_left_unset_let_the_environment_apply(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.prompt-tool.lint]\nstrict = true\n")

    parsed = load_settings([], tmp_path, {"PROMPT_TOOL_EXTENSIONS": ".j2"})

    assert parsed.settings.extensions == (".j2",)


def test_a_bad_lint_key_is_one_problem_naming_the_file_and_key(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.prompt-tool.lint]\nroots = "prompts"\n')

    parsed = load_settings([], tmp_path, {})

    assert parsed.settings == Settings()
    assert parsed.problems == (
        f"{tmp_path / 'pyproject.toml'}: [tool.prompt-tool.lint] roots: "
        "must be a list of non-empty strings",
    )


def test_null_values_from_an_editor_leave_the_next_source_in_charge() -> None:
    parsed = parse_settings(
        [
            client_layer({"templateRoots": None, "disabledCodes": None}, "client"),
            SettingsLayer("pyproject.toml", {"template_roots": ["prompts"]}),
        ]
    )

    assert parsed.settings.template_roots == ("prompts",)
    assert parsed.problems == ()


@pytest.mark.parametrize("setting", [f.name for f in fields(Settings)])
def test_every_setting_has_a_row_in_the_readme_table(setting: str) -> None:
    """A setting added to `Settings` must be documented: editor key, environment variable."""
    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    camel = re.sub(r"_(\w)", lambda match: match.group(1).upper(), setting)
    rows = [line for line in readme.splitlines() if line.startswith(f"| `{camel}` |")]

    assert len(rows) == 1, f"no README settings row for {camel}"
    assert f"`{ENVIRONMENT_NAMES[setting]}`" in rows[0]
    assert rows[0].count("|") == 6, "a row needs pyproject, environment, default and meaning"
