"""Fixtures for the template store: template trees on disk and a project to publish into."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

import pytest

from prompt_tool.db.db_utils import DatabaseManager
from prompt_tool.orchestration.defaults import read_default_templates
from prompt_tool.orchestration.template_files import TemplateSpec
from prompt_tool.orchestration.template_manager import OrchestrationTemplateManager

DEFAULT_FILES = {
    "orchestrator.j2": 'Plan {{ feature.name }} for {{ project.name }}.\n{% include "partials/context.j2" %}\n',
    "analysis.j2": "Analyse {{ feature.name }}.\n",
    "implementation.j2": "Implement {{ feature.name }}.\n",
    "partials/context.j2": "Context: {{ project.description }}\n",
}


def write_tree(root: Path, files: dict[str, str]) -> Path:
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content, encoding="utf-8")
    return root


@pytest.fixture(name="write_tree")
def write_tree_fixture() -> Callable[[Path, dict[str, str]], Path]:
    """`write_tree(root, {relative name: content})` writes real template files."""
    return write_tree


@pytest.fixture
def default_specs(tmp_path: Path) -> list[TemplateSpec]:
    """Built-in defaults read from a real folder laid out as `prompt_tool/defaults/` is."""
    return read_default_templates(write_tree(tmp_path / "defaults", DEFAULT_FILES))


@pytest.fixture
def store(
    db_manager: DatabaseManager, default_specs: list[TemplateSpec]
) -> Callable[[], AbstractContextManager[OrchestrationTemplateManager]]:
    """`with store() as manager:` — a manager in one committed transaction."""

    @contextmanager
    def open_store() -> Iterator[OrchestrationTemplateManager]:
        with db_manager.session() as session:
            yield OrchestrationTemplateManager(session, default_specs)

    return open_store


@pytest.fixture
def project(db_manager: DatabaseManager) -> str:
    from prompt_tool.orchestration.project_manager import ProjectManager

    with db_manager.session() as session:
        ProjectManager(session).create("webshop", "The storefront")
        ProjectManager(session).create("other", "Another project")
    return "webshop"
