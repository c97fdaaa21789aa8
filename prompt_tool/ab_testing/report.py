"""An experiment report as plain data (`--json`) and as text: a table and a small chart.

The chart draws each variant's success rate (●) inside its 95 % Wilson interval (├─┤) on
one 0-100 % axis, so overlapping intervals — no clear winner — are visible at a glance.
"""

from __future__ import annotations

from typing import Any

from prompt_tool.ab_testing.stats import ExperimentStats, VariantStats
from prompt_tool.db.models import Experiment

CHART_WIDTH = 40


def report_data(experiment: Experiment, stats: ExperimentStats) -> dict[str, Any]:
    return {
        "experiment": experiment.name,
        "project": experiment.project.name,
        "feature_type": experiment.feature_type,
        "status": experiment.status,
        "winner": experiment.winner,
        "min_sample": stats.min_sample,
        "alpha": stats.alpha,
        "variants": [_variant_data(row) for row in stats.variants],
        "sample_ratio": {
            "statistic": stats.sample_ratio.statistic,
            "degrees_of_freedom": stats.sample_ratio.degrees_of_freedom,
            "p_value": stats.sample_ratio.p_value,
            "is_mismatch": stats.sample_ratio.is_mismatch,
        },
        "warnings": list(stats.warnings),
        "verdict": stats.verdict,
    }


def _variant_data(row: VariantStats) -> dict[str, Any]:
    counts, comparison = row.counts, row.comparison
    return {
        "name": counts.name,
        "weight": counts.weight,
        "expected_share": row.expected_share,
        "units": counts.units,
        "outcomes": counts.outcomes,
        "successes": counts.successes,
        "failures": counts.failures,
        "success_rate": row.success_rate,
        "success_rate_low": row.rate_low,
        "success_rate_high": row.rate_high,
        "score": {
            "count": row.score.count,
            "mean": row.score.mean,
            "low": row.score.low,
            "high": row.score.high,
        },
        "vs_control": None
        if comparison is None
        else {
            "difference": comparison.difference,
            "difference_low": comparison.difference_low,
            "difference_high": comparison.difference_high,
            "p_value": comparison.p_value,
            "test": comparison.test,
            "probability_better": comparison.probability_better,
            "verdict": comparison.verdict,
        },
    }


def _percent(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.1f}%"


def _points(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:+.1f}"


def _rate_cell(row: VariantStats) -> str:
    if row.success_rate is None:
        return "-"
    return f"{_percent(row.success_rate)} [{_percent(row.rate_low)}, {_percent(row.rate_high)}]"


def _score_cell(row: VariantStats) -> str:
    score = row.score
    if score.mean is None:
        return "-"
    if score.low is None or score.high is None:
        return f"{score.mean:.2f} (n={score.count})"
    return f"{score.mean:.2f} [{score.low:.2f}, {score.high:.2f}]"


def _comparison_cells(row: VariantStats) -> list[str]:
    comparison = row.comparison
    if comparison is None:
        return ["(control)", "", "", ""]
    if comparison.difference is None:
        return ["-", "-", "-", comparison.verdict]
    difference = (
        f"{_points(comparison.difference)} pp"
        f" [{_points(comparison.difference_low)}, {_points(comparison.difference_high)}]"
    )
    p_value = f"{comparison.p_value:.3g} ({comparison.test})"
    probability = _percent(comparison.probability_better)
    return [difference, p_value, probability, comparison.verdict]


def chart_line(row: VariantStats, width: int = CHART_WIDTH) -> str:
    """`|    ├──●──┤        |` on a 0-100 % axis; empty when the variant has no outcome."""
    cells = [" "] * width
    if row.success_rate is not None and row.rate_low is not None and row.rate_high is not None:

        def column(value: float) -> int:
            # `width` equal buckets of the 0-100 % axis; 100 % falls in the last one.
            return min(width - 1, max(0, int(value * width)))

        low, high, rate = column(row.rate_low), column(row.rate_high), column(row.success_rate)
        for index in range(low, high + 1):
            cells[index] = "─"
        cells[low], cells[high] = "├", "┤"
        cells[rate] = "●"
    return f"|{''.join(cells)}|"


def report_text(experiment: Experiment, stats: ExperimentStats) -> str:
    scope = f"project {experiment.project.name}" + (
        f", feature type {experiment.feature_type}" if experiment.feature_type else ""
    )
    lines = [
        f"Experiment {experiment.name} ({scope}): {experiment.status}"
        + (f", winner {experiment.winner}" if experiment.winner else ""),
        f"unit {experiment.unit}; verdicts need {stats.min_sample} outcomes per variant;"
        f" significance level {stats.alpha:.3g} per comparison",
        "",
    ]
    header = [
        "variant",
        "traffic",
        "units",
        "outcomes",
        "success rate [95% CI]",
        "mean score [95% CI]",
        "vs control [95% CI]",
        "p-value",
        "P(better)",
        "verdict",
    ]
    table = [header]
    for row in stats.variants:
        counts = row.counts
        table.append(
            [
                counts.name,
                f"{100 * row.expected_share:.0f}%",
                str(counts.units),
                str(counts.outcomes),
                _rate_cell(row),
                _score_cell(row),
                *_comparison_cells(row),
            ]
        )
    widths = [max(len(line[i]) for line in table) for i in range(len(header))]
    lines.extend(
        "  ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)).rstrip() for line in table
    )
    name_width = max(len(row.counts.name) for row in stats.variants)
    lines += ["", "success rate with 95% interval, 0% to 100%:"]
    lines.extend(
        f"{row.counts.name.ljust(name_width)} {chart_line(row)} {_percent(row.success_rate)}"
        for row in stats.variants
    )
    check = stats.sample_ratio
    lines.append("")
    if check.degrees_of_freedom:
        state = "MISMATCH" if check.is_mismatch else "ok"
        lines.append(
            f"sample ratio: chi-square {check.statistic:.2f}, df {check.degrees_of_freedom},"
            f" p = {check.p_value:.3g} ({state})"
        )
    lines.extend(f"warning: {warning}" for warning in stats.warnings)
    lines.append(f"verdict: {stats.verdict}")
    return "\n".join(lines)
