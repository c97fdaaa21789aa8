"""The report's text: the chart's geometry and a report with no outcomes yet."""

from __future__ import annotations

import pytest

from prompt_tool.ab_testing.report import chart_line, report_data, report_text
from prompt_tool.ab_testing.stats import MeanEstimate, VariantCounts, VariantStats, analyse
from prompt_tool.db.models import Experiment, Project


def row(rate: float | None, low: float | None, high: float | None) -> VariantStats:
    counts = VariantCounts("B", 1.0, 0, 0, 0)
    return VariantStats(counts, 0.5, rate, low, high, MeanEstimate(0, None, None, None))


@pytest.mark.parametrize(
    ("stats", "line"),
    [
        pytest.param(row(0.5, 0.25, 0.75), "|  ├──●─┤  |", id="middle"),
        pytest.param(row(0.0, 0.0, 0.2), "|●─┤       |", id="bottom"),
        pytest.param(row(1.0, 0.8, 1.0), "|        ├●|", id="top"),
        pytest.param(row(None, None, None), "|          |", id="no-outcomes"),
    ],
)
def test_chart_line(stats: VariantStats, line: str) -> None:
    assert chart_line(stats, width=10) == line


def test_a_report_without_outcomes_says_so() -> None:
    experiment = Experiment(
        name="e", project=Project(name="shop"), status="running", unit="project"
    )
    stats = analyse([VariantCounts("control", 1, 3, 0, 0), VariantCounts("B", 1, 2, 0, 0)], 30)
    text = report_text(experiment, stats)
    lines = text.splitlines()
    assert lines[0] == "Experiment e (project shop): running"
    assert lines[4].split() == ["control", "50%", "3", "0", "-", "-", "(control)"]
    assert lines[5].split() == [
        "B",
        "50%",
        "2",
        "0",
        "-",
        "-",
        "-",
        "-",
        "-",
        "not",
        "enough",
        "data",
    ]
    assert lines[-1] == "verdict: B: not enough data"
    data = report_data(experiment, stats)
    assert data["variants"][1]["vs_control"]["p_value"] is None
    assert data["variants"][0]["success_rate"] is None
