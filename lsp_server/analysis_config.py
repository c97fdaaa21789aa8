"""The analyser's configuration for a workspace folder, from the checking service.

The same `Checker` as `templates lint` and `publish` (contracts by glob, extra globals,
filters, tests, Jinja extensions, the type resolver, the renderer's environment, the
configured project's variables) with the server's roots, extensions and disabled codes, so
that a template gets the same findings in the editor as in CI.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lsp_server.settings import Settings
from prompt_tool.analysis.diagnostics import Diagnostic
from prompt_tool.analysis.workspace import AnalysisConfig
from prompt_tool.checking.lint import plan_lint
from prompt_tool.checking.settings import ProjectSettings, load_settings
from prompt_tool.core.budget import RenderBudget
from prompt_tool.core.errors import PromptToolError
from prompt_tool.core.token_count import (
    DEFAULT_COUNTER,
    DEFAULT_COUNTER_NAME,
    TokenCounter,
    load_token_counter,
)


@dataclass(frozen=True)
class FolderAnalysis:
    """What the analyser needs for one folder, and what went wrong building it."""

    config: AnalysisConfig
    config_diagnostics: tuple[Diagnostic, ...] = ()
    problems: tuple[str, ...] = ()
    project_variables: Mapping[str, Any] | None = None
    """The configured project's variables, for previews' generated contexts."""
    sample_globs: tuple[str, ...] = ()
    """`[tool.prompt-tool.preview] samples`: sample files beyond the `samples/` folders."""
    render_budget: RenderBudget | None = None
    """`[tool.prompt-tool.render]`: the budget previews render under (None: the default)."""
    token_counter: TokenCounter = DEFAULT_COUNTER
    """`[tool.prompt-tool.preview] token_counter`: the installed counter previews use."""


def folder_analysis(
    folder: Path | None, settings: Settings, roots: tuple[Path, ...]
) -> FolderAnalysis:
    """The lint plan's configuration for `roots`; plain settings when there is no plan."""
    fallback = AnalysisConfig(disabled_codes=settings.disabled_codes)
    existing = [root for root in roots if root.is_dir()]
    if folder is None or not existing:
        return FolderAnalysis(fallback)
    variables, problems = project_variables(settings)
    try:
        project = _with_server_settings(load_settings(folder), settings, tuple(existing))
        plan = plan_lint(existing, project, project_variables=variables)
        counter = load_token_counter(project.preview.token_counter or DEFAULT_COUNTER_NAME)
    except PromptToolError as error:
        return FolderAnalysis(fallback, problems=(*problems, str(error)))
    return FolderAnalysis(
        plan.config,
        plan.config_diagnostics,
        problems,
        variables,
        project.preview.samples,
        project.render,
        counter,
    )


def project_variables(settings: Settings) -> tuple[Mapping[str, Any] | None, tuple[str, ...]]:
    """The configured project's stored variables (read once per settings change), so that
    `vars.*` is checked as in `lint` and `publish`; None without a project or database."""
    if settings.database_url is None or settings.project is None:
        return None, ()
    from prompt_tool.checking.published import open_published

    try:
        with open_published(settings.database_url, settings.project, None) as view:
            return view.project_variables, ()
    except PromptToolError as error:
        return None, (f"project variables not checked: {error}",)
    except Exception as error:
        return None, (f"project variables not checked: cannot read the database: {error}",)


def _with_server_settings(
    project: ProjectSettings, settings: Settings, roots: tuple[Path, ...]
) -> ProjectSettings:
    lint = dataclasses.replace(
        project.lint,
        roots=roots,
        extensions=settings.extensions,
        disabled_codes=settings.disabled_codes,
    )
    return dataclasses.replace(project, lint=lint)
