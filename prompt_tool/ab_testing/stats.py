"""The statistics of an experiment report, in pure Python (the `math` module only).

Why no SciPy: the report runs in the CLI of a small tool, and the handful of functions it
needs (normal, Student t and chi-square tails, the hypergeometric and Beta distributions)
have short, well-known numerical forms: the continued fractions of Numerical Recipes
(Press et al., 3rd ed., §6.2 and §6.4) for the incomplete gamma and beta functions, and
Evan Miller's closed-form sum for comparing two Beta posteriors.

What is compared: per variant, the sessions with a recorded outcome (success or failure,
optionally a score). Each variant is compared with the control (the first variant): the
difference of success rates with Newcombe's hybrid score interval, a two-proportion z-test,
or Fisher's exact test when an expected cell count is below 5, and the posterior probability
that the variant's rate is higher (uniform Beta(1, 1) priors). With several variants the
significance level is divided among the comparisons (Bonferroni), so that adding arms does
not add false winners. The sample-ratio-mismatch check compares the assigned units with
the weights: a tiny p-value means assignment, not the strategies, made the groups differ.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

Z95 = 1.959963984540054  # the 97.5 % quantile of the standard normal
ALPHA = 0.05
SRM_ALPHA = 0.001  # the usual threshold for a sample-ratio mismatch: rare by chance
FISHER_BELOW = 5.0  # the smallest expected cell count for which the z-test is trusted
_EPSILON = 1e-15
_TINY = 1e-300
_MAX_ITERATIONS = 10_000

NOT_ENOUGH_DATA = "not enough data"
NO_DIFFERENCE = "no significant difference"


def normal_sf(z: float) -> float:
    """P(Z > z) for a standard normal Z."""
    return 0.5 * math.erfc(z / math.sqrt(2.0))


def log_beta(a: float, b: float) -> float:
    return math.lgamma(a) + math.lgamma(b) - math.lgamma(a + b)


def _beta_continued_fraction(x: float, a: float, b: float) -> float:
    """The continued fraction of the incomplete beta function (modified Lentz)."""
    c, d = 1.0, 1.0 - (a + b) * x / (a + 1.0)
    d = 1.0 / (d if abs(d) > _TINY else _TINY)
    result = d
    for m in range(1, _MAX_ITERATIONS):
        for numerator in (
            m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m)),
            -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1)),
        ):
            d = 1.0 + numerator * d
            d = 1.0 / (d if abs(d) > _TINY else _TINY)
            c = 1.0 + numerator / c
            c = c if abs(c) > _TINY else _TINY
            result *= c * d
        if abs(c * d - 1.0) < _EPSILON:
            break
    return result


def regularized_beta(x: float, a: float, b: float) -> float:
    """I_x(a, b), the Beta(a, b) distribution function at x."""
    if x <= 0.0:
        return 0.0
    if x >= 1.0:
        return 1.0
    front = math.exp(a * math.log(x) + b * math.log1p(-x) - log_beta(a, b))
    if x < (a + 1.0) / (a + b + 2.0):
        return front * _beta_continued_fraction(x, a, b) / a
    return 1.0 - front * _beta_continued_fraction(1.0 - x, b, a) / b


def student_t_sf(t: float, df: float) -> float:
    """P(T > t) for Student's t with `df` degrees of freedom."""
    tail = 0.5 * regularized_beta(df / (df + t * t), df / 2.0, 0.5)
    return tail if t >= 0 else 1.0 - tail


def student_t_quantile(p: float, df: float) -> float:
    """The t with P(T <= t) = p, by bisection on the distribution function (monotone)."""
    low, high = -1.0, 1.0
    while 1.0 - student_t_sf(low, df) > p:
        low *= 2.0
    while 1.0 - student_t_sf(high, df) < p:
        high *= 2.0
    for _ in range(200):
        middle = (low + high) / 2.0
        if 1.0 - student_t_sf(middle, df) < p:
            low = middle
        else:
            high = middle
        if high - low < 1e-12 * max(1.0, abs(middle)):
            break
    return (low + high) / 2.0


def regularized_gamma_q(a: float, x: float) -> float:
    """Q(a, x) = Γ(a, x) / Γ(a): a series below a + 1, a continued fraction above."""
    if x <= 0.0:
        return 1.0
    log_front = a * math.log(x) - x - math.lgamma(a)
    if x < a + 1.0:
        term = total = 1.0 / a
        denominator = a
        for _ in range(_MAX_ITERATIONS):
            denominator += 1.0
            term *= x / denominator
            total += term
            if abs(term) < abs(total) * _EPSILON:
                break
        return 1.0 - total * math.exp(log_front)
    b = x + 1.0 - a
    c, d = 1.0 / _TINY, 1.0 / b
    result = d
    for i in range(1, _MAX_ITERATIONS):
        numerator = -i * (i - a)
        b += 2.0
        d = numerator * d + b
        d = 1.0 / (d if abs(d) > _TINY else _TINY)
        c = b + numerator / c
        c = c if abs(c) > _TINY else _TINY
        result *= d * c
        if abs(d * c - 1.0) < _EPSILON:
            break
    return math.exp(log_front) * result


def chi_square_sf(statistic: float, df: int) -> float:
    """P(X > statistic) for a chi-square distribution with `df` degrees of freedom."""
    return regularized_gamma_q(df / 2.0, statistic / 2.0)


def wilson_interval(successes: int, trials: int, z: float = Z95) -> tuple[float, float]:
    """Wilson's score interval: right near 0 % and 100 % and for small samples, unlike Wald's."""
    if trials == 0:
        return 0.0, 1.0
    rate = successes / trials
    spread = z * z / trials
    centre = (rate + spread / 2.0) / (1.0 + spread)
    half = z * math.sqrt(rate * (1.0 - rate) / trials + spread / (4.0 * trials)) / (1.0 + spread)
    return max(0.0, centre - half), min(1.0, centre + half)


def difference_interval(
    successes: int, trials: int, control_successes: int, control_trials: int
) -> tuple[float, float]:
    """Newcombe's hybrid score interval for rate - control rate (his method 10, 1998)."""
    rate, control = successes / trials, control_successes / control_trials
    low, high = wilson_interval(successes, trials)
    control_low, control_high = wilson_interval(control_successes, control_trials)
    difference = rate - control
    return (
        difference - math.sqrt((rate - low) ** 2 + (control_high - control) ** 2),
        difference + math.sqrt((high - rate) ** 2 + (control - control_low) ** 2),
    )


def two_proportion_p_value(
    successes: int, trials: int, control_successes: int, control_trials: int
) -> float:
    """Two-sided p-value of the pooled two-proportion z-test."""
    pooled = (successes + control_successes) / (trials + control_trials)
    variance = pooled * (1.0 - pooled) * (1.0 / trials + 1.0 / control_trials)
    if variance == 0.0:
        return 1.0
    z = (successes / trials - control_successes / control_trials) / math.sqrt(variance)
    return min(1.0, 2.0 * normal_sf(abs(z)))


def fisher_exact_p_value(a: int, b: int, c: int, d: int) -> float:
    """Two-sided Fisher's exact test of the table [[a, b], [c, d]].

    Sums the hypergeometric probabilities of every table with the same margins that is no
    more likely than the observed one (the convention of R and SciPy), with a relative
    tolerance so that ties computed with rounding errors count as ties.
    """
    row, column, total = a + b, a + c, a + b + c + d
    low, high = max(0, column - (total - row)), min(row, column)

    def log_probability(x: int) -> float:
        return (
            _log_choose(row, x) + _log_choose(total - row, column - x) - _log_choose(total, column)
        )

    observed = log_probability(a)
    threshold = observed + math.log1p(1e-7)
    p_value = sum(
        math.exp(log_probability(x))
        for x in range(low, high + 1)
        if log_probability(x) <= threshold
    )
    return min(1.0, p_value)


def _log_choose(n: int, k: int) -> float:
    return math.lgamma(n + 1) - math.lgamma(k + 1) - math.lgamma(n - k + 1)


def probability_beats(
    successes: int, failures: int, control_successes: int, control_failures: int
) -> float:
    """P(rate > control rate) under Beta(1 + successes, 1 + failures) posteriors.

    Exact, as a finite sum (Evan Miller, "Formulas for Bayesian A/B Testing", 2015):
    P(p_B > p_A) = sum for i in 0 .. a_B - 1 of
    B(a_A + i, b_A + b_B) / ((b_B + i) B(1 + i, b_B) B(a_A, b_A)), where B is the Beta function.
    """
    alpha_a, beta_a = 1 + control_successes, 1 + control_failures
    alpha_b, beta_b = 1 + successes, 1 + failures
    base = log_beta(alpha_a, beta_a)
    total = math.fsum(
        math.exp(
            log_beta(alpha_a + i, beta_a + beta_b)
            - math.log(beta_b + i)
            - log_beta(1 + i, beta_b)
            - base
        )
        for i in range(alpha_b)
    )
    return min(1.0, max(0.0, total))


@dataclass(frozen=True)
class MeanEstimate:
    """The mean of some scores with its Student-t 95 % interval (None below two scores)."""

    count: int
    mean: float | None
    low: float | None
    high: float | None


def mean_interval(values: Sequence[float]) -> MeanEstimate:
    count = len(values)
    if count == 0:
        return MeanEstimate(0, None, None, None)
    mean = math.fsum(values) / count
    if count < 2:
        return MeanEstimate(count, mean, None, None)
    variance = math.fsum((value - mean) ** 2 for value in values) / (count - 1)
    half = student_t_quantile(0.975, count - 1) * math.sqrt(variance / count)
    return MeanEstimate(count, mean, mean - half, mean + half)


@dataclass(frozen=True)
class SampleRatioCheck:
    """Chi-square test of the assigned units against the weights."""

    statistic: float
    degrees_of_freedom: int
    p_value: float

    @property
    def is_mismatch(self) -> bool:
        return self.p_value < SRM_ALPHA


def sample_ratio_check(units: Sequence[int], weights: Sequence[float]) -> SampleRatioCheck:
    """Observed units per variant against the shares the weights promise."""
    total_units, total_weight = sum(units), math.fsum(weights)
    if total_units == 0 or total_weight <= 0:
        return SampleRatioCheck(0.0, 0, 1.0)
    statistic, cells = 0.0, 0
    for observed, weight in zip(units, weights, strict=True):
        expected = total_units * weight / total_weight
        if expected == 0.0:
            if observed:
                return SampleRatioCheck(math.inf, max(cells, 1), 0.0)
            continue
        statistic += (observed - expected) ** 2 / expected
        cells += 1
    if cells < 2:
        return SampleRatioCheck(0.0, 0, 1.0)
    return SampleRatioCheck(statistic, cells - 1, chi_square_sf(statistic, cells - 1))


@dataclass(frozen=True)
class VariantCounts:
    """What the database knows about one variant: the input of `analyse`."""

    name: str
    weight: float
    units: int
    successes: int
    failures: int
    scores: tuple[float, ...] = ()

    @property
    def outcomes(self) -> int:
        return self.successes + self.failures


@dataclass(frozen=True)
class Comparison:
    """One variant against the control; the numbers are None while either has no outcome."""

    difference: float | None
    difference_low: float | None
    difference_high: float | None
    p_value: float | None
    test: str | None
    probability_better: float | None
    verdict: str


@dataclass(frozen=True)
class VariantStats:
    """One row of the report."""

    counts: VariantCounts
    expected_share: float
    success_rate: float | None
    rate_low: float | None
    rate_high: float | None
    score: MeanEstimate
    comparison: Comparison | None = None


@dataclass(frozen=True)
class ExperimentStats:
    """The whole report: a row per variant (the control first) and the assignment check."""

    variants: list[VariantStats]
    sample_ratio: SampleRatioCheck
    min_sample: int
    alpha: float
    warnings: list[str] = field(default_factory=list)

    @property
    def verdict(self) -> str:
        """One line: each variant's verdict against the control."""
        compared = [v for v in self.variants if v.comparison is not None]
        return "; ".join(
            f"{v.counts.name}: {v.comparison.verdict}" for v in compared if v.comparison
        )


def compare(
    variant: VariantCounts, control: VariantCounts, min_sample: int, alpha: float
) -> Comparison:
    """The variant against the control; the verdict needs `min_sample` outcomes in each."""
    if variant.outcomes == 0 or control.outcomes == 0:
        return Comparison(None, None, None, None, None, None, NOT_ENOUGH_DATA)
    rate = variant.successes / variant.outcomes
    control_rate = control.successes / control.outcomes
    low, high = difference_interval(
        variant.successes, variant.outcomes, control.successes, control.outcomes
    )
    if _smallest_expected_cell(variant, control) < FISHER_BELOW:
        test = "fisher"
        p_value = fisher_exact_p_value(
            variant.successes, variant.failures, control.successes, control.failures
        )
    else:
        test = "z-test"
        p_value = two_proportion_p_value(
            variant.successes, variant.outcomes, control.successes, control.outcomes
        )
    probability = probability_beats(
        variant.successes, variant.failures, control.successes, control.failures
    )
    if min(variant.outcomes, control.outcomes) < min_sample:
        verdict = NOT_ENOUGH_DATA
    elif p_value < alpha:
        verdict = f"{variant.name} {'better' if rate > control_rate else 'worse'}"
    else:
        verdict = NO_DIFFERENCE
    return Comparison(rate - control_rate, low, high, p_value, test, probability, verdict)


def _smallest_expected_cell(variant: VariantCounts, control: VariantCounts) -> float:
    total = variant.outcomes + control.outcomes
    successes = variant.successes + control.successes
    return min(
        row * column / total
        for row in (variant.outcomes, control.outcomes)
        for column in (successes, total - successes)
    )


def analyse(
    variants: Sequence[VariantCounts], min_sample: int, alpha: float = ALPHA
) -> ExperimentStats:
    """The report of an experiment whose first variant is the control."""
    if not variants:
        raise ValueError("an experiment has at least one variant")
    control = variants[0]
    per_comparison = alpha / max(1, len(variants) - 1)
    total_weight = math.fsum(v.weight for v in variants)
    rows = []
    for index, counts in enumerate(variants):
        interval: tuple[float | None, float | None] = (None, None)
        rate = None
        if counts.outcomes:
            rate = counts.successes / counts.outcomes
            interval = wilson_interval(counts.successes, counts.outcomes)
        rows.append(
            VariantStats(
                counts=counts,
                expected_share=counts.weight / total_weight if total_weight > 0 else 0.0,
                success_rate=rate,
                rate_low=interval[0],
                rate_high=interval[1],
                score=mean_interval(counts.scores),
                comparison=None
                if index == 0
                else compare(counts, control, min_sample, per_comparison),
            )
        )
    check = sample_ratio_check([v.units for v in variants], [v.weight for v in variants])
    warnings = []
    if check.is_mismatch:
        warnings.append(
            f"sample ratio mismatch: the units per variant do not follow the weights"
            f" (chi-square {check.statistic:.1f}, p = {check.p_value:.2g}); assignment may be"
            " broken, so the comparison cannot be trusted"
        )
    return ExperimentStats(rows, check, min_sample, per_comparison, warnings)
