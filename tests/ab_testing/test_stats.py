"""The report's statistics against published values and hand computations (no SciPy needed).

Sources of the expected values:
- Wilson intervals and Newcombe's difference interval: R. G. Newcombe, "Two-sided
  confidence intervals for the single proportion" and "Interval estimation for the
  difference between independent proportions", Statistics in Medicine 17 (1998), the
  worked examples of tables I and II (four decimals as printed there).
- Fisher's exact test: the lady tasting tea (Fisher 1935), 3/1/1/3, whose two-sided p-value
  is (1 + 16 + 16 + 1) / 70 = 17/35 counted by hand; [[6, 2], [1, 4]] is the example of
  SciPy's `fisher_exact` documentation, p = 0.10256410256410256 (= 4/39).
- Student t and chi-square quantiles: the standard tables (e.g. NIST/SEMATECH e-Handbook
  of Statistical Methods, 1.3.6.7.2 and 1.3.6.7.4).
- Beta comparisons: closed forms integrated by hand (below), and a midpoint-rule
  integration of the two posterior densities written out in this file.
"""

from __future__ import annotations

import math

import pytest

from prompt_tool.ab_testing import stats
from prompt_tool.ab_testing.stats import VariantCounts


@pytest.mark.parametrize(
    ("successes", "trials", "low", "high"),
    [
        pytest.param(81, 263, 0.2553, 0.3662, id="newcombe-81-of-263"),
        pytest.param(15, 148, 0.0624, 0.1605, id="newcombe-15-of-148"),
        pytest.param(0, 20, 0.0, 0.1611, id="newcombe-0-of-20"),
        pytest.param(1, 29, 0.0061, 0.1718, id="newcombe-1-of-29"),
    ],
)
def test_wilson_interval_matches_newcombe(
    successes: int, trials: int, low: float, high: float
) -> None:
    found = stats.wilson_interval(successes, trials)
    assert found == pytest.approx((low, high), abs=5e-5)


@pytest.mark.parametrize(
    ("a", "m", "b", "n", "low", "high"),
    [
        pytest.param(56, 70, 48, 80, 0.0524, 0.3339, id="newcombe-56-70-vs-48-80"),
        pytest.param(9, 10, 3, 10, 0.1705, 0.8090, id="newcombe-9-10-vs-3-10"),
    ],
)
def test_difference_interval_matches_newcombe_method_10(
    a: int, m: int, b: int, n: int, low: float, high: float
) -> None:
    assert stats.difference_interval(a, m, b, n) == pytest.approx((low, high), abs=5e-5)


@pytest.mark.parametrize(
    ("table", "p_value"),
    [
        pytest.param((3, 1, 1, 3), 17 / 35, id="tea-tasting"),
        pytest.param((6, 2, 1, 4), 4 / 39, id="scipy-doc-example"),
        pytest.param((5, 0, 0, 5), 2 / 252, id="perfect-separation"),
        pytest.param((2, 2, 2, 2), 1.0, id="no-association"),
    ],
)
def test_fisher_exact_two_sided(table: tuple[int, int, int, int], p_value: float) -> None:
    assert stats.fisher_exact_p_value(*table) == pytest.approx(p_value, rel=1e-9)


def test_two_proportion_z_test_by_hand() -> None:
    # 60/100 against 45/100: pooled p = 0.525, se = sqrt(0.525 * 0.475 * 0.02) = 0.0706222,
    # z = 0.15 / 0.0706222 = 2.12398, two-sided p = erfc(2.12398 / sqrt 2) = 0.033672.
    assert stats.two_proportion_p_value(60, 100, 45, 100) == pytest.approx(0.033672, abs=1e-6)
    assert stats.two_proportion_p_value(50, 100, 50, 100) == pytest.approx(1.0)
    assert stats.two_proportion_p_value(0, 10, 0, 10) == 1.0


@pytest.mark.parametrize(
    ("counts", "expected"),
    [
        # B ~ Beta(2, 1) (one success), A ~ Beta(1, 1): P(B > A) = E[p_B] = 2/3.
        pytest.param((1, 0, 0, 0), 2 / 3, id="one-success-vs-nothing"),
        pytest.param((0, 0, 1, 0), 1 / 3, id="nothing-vs-one-success"),
        # B ~ Beta(2, 1), A ~ Beta(1, 2): ∫ 2x (2x - x²) dx over [0, 1] = 4/3 - 1/2 = 5/6.
        pytest.param((1, 0, 0, 1), 5 / 6, id="success-vs-failure"),
        pytest.param((7, 3, 7, 3), 0.5, id="identical-data"),
    ],
)
def test_probability_beats_closed_forms(counts: tuple[int, int, int, int], expected: float) -> None:
    assert stats.probability_beats(*counts) == pytest.approx(expected, abs=1e-12)


def beta_density(x: float, a: float, b: float) -> float:
    return math.exp((a - 1) * math.log(x) + (b - 1) * math.log1p(-x) - stats.log_beta(a, b))


def midpoint_probability(successes: int, failures: int, c_successes: int, c_failures: int) -> float:
    """P(p_B > p_A) = ∫ f_B(x) F_A(x) dx, with F_A accumulated on the same midpoint grid."""
    steps = 20_000
    width = 1.0 / steps
    grid = [(i + 0.5) * width for i in range(steps)]
    density_a = [beta_density(x, 1 + c_successes, 1 + c_failures) * width for x in grid]
    total, below = 0.0, 0.0
    for x, mass_a in zip(grid, density_a, strict=True):
        total += beta_density(x, 1 + successes, 1 + failures) * width * (below + mass_a / 2)
        below += mass_a
    return total


@pytest.mark.parametrize(
    "counts",
    [
        pytest.param((30, 70, 20, 80), id="30-vs-20-of-100"),
        pytest.param((55, 45, 60, 40), id="55-vs-60-of-100"),
        pytest.param((3, 2, 1, 6), id="small"),
    ],
)
def test_probability_beats_agrees_with_numerical_integration(
    counts: tuple[int, int, int, int],
) -> None:
    assert stats.probability_beats(*counts) == pytest.approx(
        midpoint_probability(*counts), abs=1e-5
    )


@pytest.mark.parametrize(
    ("df", "quantile"),
    [
        pytest.param(1, 12.706205, id="df1"),
        pytest.param(9, 2.262157, id="df9"),
        pytest.param(29, 2.045230, id="df29"),
        pytest.param(1000, 1.962339, id="df1000"),
    ],
)
def test_student_t_quantile_matches_tables(df: int, quantile: float) -> None:
    assert stats.student_t_quantile(0.975, df) == pytest.approx(quantile, abs=1e-6)


@pytest.mark.parametrize(
    ("statistic", "df", "p_value"),
    [
        pytest.param(3.841459, 1, 0.05, id="df1-5pc"),
        pytest.param(5.991465, 2, 0.05, id="df2-5pc"),
        pytest.param(7.814728, 3, 0.05, id="df3-5pc"),
        pytest.param(10.827566, 1, 0.001, id="df1-0.1pc"),
        pytest.param(0.0, 2, 1.0, id="zero"),
    ],
)
def test_chi_square_tail_matches_tables(statistic: float, df: int, p_value: float) -> None:
    assert stats.chi_square_sf(statistic, df) == pytest.approx(p_value, rel=1e-5)


def test_mean_interval_uses_student_t() -> None:
    # Scores 1..10: mean 5.5, sd = sqrt(82.5 / 9) = 3.02765, se = 0.957427,
    # half width = 2.262157 * 0.957427 = 2.165852.
    estimate = stats.mean_interval([float(v) for v in range(1, 11)])
    assert estimate.count == 10 and estimate.mean == pytest.approx(5.5)
    assert (estimate.low, estimate.high) == pytest.approx((3.334148, 7.665852), abs=1e-5)
    assert stats.mean_interval([4.0]) == stats.MeanEstimate(1, 4.0, None, None)
    assert stats.mean_interval([]) == stats.MeanEstimate(0, None, None, None)


@pytest.mark.parametrize(
    ("units", "weights", "is_mismatch"),
    [
        pytest.param([500, 500], [1, 1], False, id="even"),
        pytest.param([520, 480], [1, 1], False, id="chance"),
        pytest.param([600, 400], [1, 1], True, id="broken"),
        pytest.param([750, 250], [3, 1], False, id="weighted"),
        pytest.param([10, 5], [1, 0], True, id="units-in-a-zero-weight-variant"),
    ],
)
def test_sample_ratio_check(units: list[int], weights: list[float], is_mismatch: bool) -> None:
    assert stats.sample_ratio_check(units, weights).is_mismatch is is_mismatch


def test_sample_ratio_statistic_by_hand() -> None:
    # 520/480 against 500/500: (20² + 20²) / 500 = 1.6, df 1, p = erfc(sqrt(0.8)) = 0.205903.
    check = stats.sample_ratio_check([520, 480], [50, 50])
    assert (check.statistic, check.degrees_of_freedom) == (pytest.approx(1.6), 1)
    assert check.p_value == pytest.approx(math.erfc(math.sqrt(0.8)), rel=1e-9)


def counts(name: str, successes: int, failures: int, units: int | None = None) -> VariantCounts:
    return VariantCounts(
        name, 1.0, successes + failures if units is None else units, successes, failures
    )


@pytest.mark.parametrize(
    ("variant", "control", "test", "verdict"),
    [
        pytest.param(counts("B", 75, 25), counts("A", 50, 50), "z-test", "B better", id="better"),
        pytest.param(counts("B", 30, 70), counts("A", 50, 50), "z-test", "B worse", id="worse"),
        pytest.param(
            counts("B", 52, 48),
            counts("A", 50, 50),
            "z-test",
            "no significant difference",
            id="same",
        ),
        pytest.param(counts("B", 9, 1), counts("A", 3, 7), "fisher", "not enough data", id="small"),
        pytest.param(counts("B", 0, 0), counts("A", 3, 7), None, "not enough data", id="empty"),
    ],
)
def test_verdicts(
    variant: VariantCounts, control: VariantCounts, test: str | None, verdict: str
) -> None:
    result = stats.analyse([control, variant], min_sample=30)
    comparison = result.variants[1].comparison
    assert comparison is not None
    assert (comparison.test, comparison.verdict) == (test, verdict)
    assert result.variants[0].comparison is None
    assert result.verdict == f"B: {verdict}"


def test_fisher_is_used_when_an_expected_cell_is_small() -> None:
    # 38/40 against 30/40: expected failures = 40 * 12 / 80 = 6 each → z-test; 39/40 against
    # 35/40: expected failures = 40 * 6 / 80 = 3 → Fisher.
    z = stats.compare(counts("B", 38, 2), counts("A", 30, 10), 30, 0.05)
    fisher = stats.compare(counts("B", 39, 1), counts("A", 35, 5), 30, 0.05)
    assert (z.test, fisher.test) == ("z-test", "fisher")
    assert fisher.p_value == pytest.approx(stats.fisher_exact_p_value(39, 1, 35, 5))


def test_several_variants_share_the_significance_level() -> None:
    result = stats.analyse(
        [counts("A", 50, 50), counts("B", 60, 40), counts("C", 50, 50)], min_sample=30
    )
    assert result.alpha == pytest.approx(0.025)
    b = result.variants[1].comparison
    assert b is not None and b.p_value is not None
    # p = 0.155 either way; the halved level is what a third arm costs.
    assert b.verdict == "no significant difference"


def test_mismatch_is_a_warning_in_the_report() -> None:
    result = stats.analyse([counts("A", 50, 50, units=700), counts("B", 50, 50, units=300)], 30)
    assert result.sample_ratio.is_mismatch
    assert len(result.warnings) == 1 and "sample ratio mismatch" in result.warnings[0]
