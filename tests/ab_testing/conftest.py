"""A project whose production analysis is version 1 of the shipped default, with a version 2
("deep") published beside it: the two strategies the experiments here compare."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from prompt_tool.ab_testing.experiment_manager import ExperimentManager, VariantSpec, parse_variant
from prompt_tool.db.db_utils import DatabaseManager
from prompt_tool.db.models import Experiment
from prompt_tool.orchestration.experiment_templates import ExperimentTemplates
from prompt_tool.orchestration.project_manager import ProjectManager
from prompt_tool.orchestration.template_manager import OrchestrationTemplateManager

PROJECT = "webshop"
ANALYSIS = "orchestration_analysis_default"
DEEP_MARKER = "Think twice about every file."
DEEP = f"analysis={ANALYSIS}@2"


@dataclass(frozen=True)
class Strategies:
    """The prompt ids of the two analysis versions."""

    production_id: int
    deep_id: int


@pytest.fixture
def strategies(db_manager: DatabaseManager) -> Strategies:
    with db_manager.session() as session:
        ProjectManager(session).create(PROJECT, "The storefront")
        ProjectManager(session).create("other", "Another project")
        templates = OrchestrationTemplateManager(session)
        templates.install_defaults(author="test")
        production = templates.set_label(ANALYSIS, "production", 1, author="test")
        assert production is not None and production.to_prompt_id is not None
        first = templates.get_version(ANALYSIS, 1)
        deep = templates.create_orchestration_template(
            ANALYSIS, "analysis", first.content + f"\n{DEEP_MARKER}\n", message="deep"
        )
        return Strategies(production.to_prompt_id, deep.id)


def create_experiment(
    db: DatabaseManager,
    name: str = "deep-analysis",
    variants: tuple[str, ...] = ("control:50", f"B:50:{DEEP}"),
    *,
    start: bool = True,
    feature_type: str | None = None,
    unit: str = "project+feature",
    min_sample: int = 30,
) -> Experiment:
    """Create (and by default start) an experiment of `webshop`."""
    specs: list[VariantSpec] = [parse_variant(text) for text in variants]
    with db.session() as session:
        manager = ExperimentManager(session, ExperimentTemplates(session))
        experiment = manager.create(
            name, PROJECT, specs, feature_type=feature_type, unit=unit, min_sample=min_sample
        )
        if start:
            manager.start(name)
        return experiment
