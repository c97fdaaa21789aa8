"""The command groups the root app mounts, in the order `--help` lists them."""

from __future__ import annotations

import typer


def groups() -> list[tuple[typer.Typer, str, str]]:
    from prompt_tool.commands import (
        db_cmds,
        experiment_cmds,
        lsp_cmds,
        orchestrate_cmds,
        preview_cmds,
        project_cmds,
        template_store_cmds,
        templates_cmds,
    )

    template_store_cmds.register(templates_cmds.app)
    preview_cmds.register(templates_cmds.app)
    return [
        (db_cmds.app, "db", "Apply and inspect database migrations."),
        (project_cmds.app, "projects", "Projects and their template variables."),
        (templates_cmds.app, "templates", "Lint, publish, version and resolve prompt templates."),
        (
            orchestrate_cmds.app,
            "orchestrate",
            "Run features through plan, analysis, implementation.",
        ),
        (
            experiment_cmds.app,
            "experiments",
            "A/B-test orchestration strategies and promote the winner.",
        ),
        (lsp_cmds.app, "lsp", "Start the language server (stdio; --tcp for debugging)."),
    ]
