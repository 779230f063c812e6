"""The statistics of A/B experiments, in pure Python (``math`` only).

The distributions: ``normal_sf`` and ``normal_quantile`` (the standard normal's upper tail and
inverse CDF) and ``chi2_sf`` (the chi-square distribution's upper tail). The tests on counts:

- ``proportion_difference``: a variant's conversion rate against the control's: the absolute
  and relative lift with a Wald interval (unpooled standard error) and the two-sided
  two-proportion z-test (pooled standard error);
- ``chi_square_independence``: Pearson's test that conversion is independent of the variant,
  over a table of ``(converted, not converted)`` per variant;
- ``sample_ratio_mismatch``: Pearson's goodness of fit of the exposures per variant against
  the traffic weights, ``flagged`` below ``SRM_ALPHA``.

Degenerate data (no exposures, every user converted or none) gives "no evidence": a statistic
of 0 and a p-value of 1, never a ``ZeroDivisionError``. Invalid input (negative counts, more
conversions than exposures, a confidence outside (0, 1)) raises ``ValueError``.
"""

import math
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = [
    "SRM_ALPHA",
    "ChiSquare",
    "Comparison",
    "SampleRatio",
    "chi2_sf",
    "chi_square_independence",
    "normal_quantile",
    "normal_sf",
    "proportion_difference",
    "sample_ratio_mismatch",
]

SRM_ALPHA = 0.001
"""A sample-ratio mismatch is flagged when its p-value is below this: strict, since the check
runs again and again while an experiment is live and a false alarm halts the analysis."""

_SQRT2 = math.sqrt(2.0)
_SQRT2PI = math.sqrt(2.0 * math.pi)

# Acklam's rational approximations of the normal quantile (relative error < 1.15e-9 before
# the refinement step): the central region, then the tails.
_A = (
    -3.969683028665376e01,
    2.209460984245205e02,
    -2.759285104469687e02,
    1.383577518672690e02,
    -3.066479806614716e01,
    2.506628277459239e00,
)
_B = (
    -5.447609879822406e01,
    1.615858368580409e02,
    -1.556989798598866e02,
    6.680131188771972e01,
    -1.328068155288572e01,
)
_C = (
    -7.784894002430293e-03,
    -3.223964580411365e-01,
    -2.400758277161838e00,
    -2.549732539343734e00,
    4.374664141464968e00,
    2.938163982698783e00,
)
_D = (
    7.784695709041462e-03,
    3.224671290700398e-01,
    2.445134137142996e00,
    3.754408661907416e00,
)
_P_LOW = 0.02425


def normal_sf(z: float) -> float:
    """P(Z > z) for a standard normal Z (accurate far into the upper tail)."""
    return 0.5 * math.erfc(z / _SQRT2)


def normal_quantile(p: float) -> float:
    """The z with P(Z <= z) = p, for 0 < p < 1 (``normal_quantile(0.975)`` = 1.959964).

    Acklam's algorithm (1.15e-9 relative), then one Halley step on the exact CDF: near
    machine precision. Symmetric: computed on the lower half, negated for the upper.
    """
    if not 0.0 < p < 1.0:
        raise ValueError(f"p must be in (0, 1), not {p!r}")
    if p > 0.5:
        return -normal_quantile(1.0 - p)
    if p < _P_LOW:
        q = math.sqrt(-2.0 * math.log(p))
        x = (((((_C[0] * q + _C[1]) * q + _C[2]) * q + _C[3]) * q + _C[4]) * q + _C[5]) / (
            (((_D[0] * q + _D[1]) * q + _D[2]) * q + _D[3]) * q + 1.0
        )
    else:
        q = p - 0.5
        r = q * q
        x = (
            (((((_A[0] * r + _A[1]) * r + _A[2]) * r + _A[3]) * r + _A[4]) * r + _A[5])
            * q
            / (((((_B[0] * r + _B[1]) * r + _B[2]) * r + _B[3]) * r + _B[4]) * r + 1.0)
        )
    # Halley: e is the CDF's error at x, u = e / pdf(x).
    e = 0.5 * math.erfc(-x / _SQRT2) - p
    u = e * _SQRT2PI * math.exp(x * x / 2.0)
    return x - u / (1.0 + x * u / 2.0)


def chi2_sf(x: float, dof: int) -> float:
    """P(X > x) for X chi-square with ``dof`` (an integer >= 1) degrees of freedom.

    The regularised upper incomplete gamma Q(dof/2, x/2) in closed form, with y = x/2:
    even dof, ``exp(-y) * sum(y**i / i!  for i < dof/2)``; odd dof, ``erfc(sqrt(y)) +
    exp(-y) * sum(y**(i+1/2) / Gamma(i+3/2)  for i < (dof-1)/2)``. Every term is positive
    (no cancellation) and computed in logarithms, so a large x underflows to 0 instead of
    overflowing.
    """
    if dof < 1:
        raise ValueError(f"dof must be an integer >= 1, not {dof!r}")
    if math.isnan(x):
        raise ValueError("x is NaN")
    if x <= 0.0:
        return 1.0
    if math.isinf(x):
        return 0.0
    y = x / 2.0
    log_y = math.log(y)
    if dof % 2 == 0:
        total = sum(math.exp(-y + i * log_y - math.lgamma(i + 1)) for i in range(dof // 2))
    else:
        total = math.erfc(math.sqrt(y)) + sum(
            math.exp(-y + (i + 0.5) * log_y - math.lgamma(i + 1.5)) for i in range(dof // 2)
        )
    return min(1.0, total)


@dataclass(frozen=True)
class Comparison:
    """A variant's conversion rate against the control's.

    ``absolute_ci`` is the Wald interval on ``rate - control_rate`` (unpooled standard
    error); ``relative_lift`` and ``relative_ci`` are the absolute ones divided by
    ``control_rate`` (the interval ignores the control rate's own uncertainty), None when
    there is no control rate to divide by. ``z`` and ``p_value`` are the two-sided
    two-proportion z-test, with the pooled standard error.
    """

    rate: float
    control_rate: float
    absolute_lift: float
    absolute_ci: tuple[float, float]
    relative_lift: float | None
    relative_ci: tuple[float, float] | None
    z: float
    p_value: float


@dataclass(frozen=True)
class ChiSquare:
    """A Pearson chi-square test: its statistic, degrees of freedom and p-value."""

    statistic: float
    dof: int
    p_value: float


@dataclass(frozen=True)
class SampleRatio(ChiSquare):
    """A sample-ratio check: a ``ChiSquare``, ``flagged`` when its p-value is below
    ``SRM_ALPHA`` (the traffic split is not the configured one: the results are suspect)."""

    flagged: bool


def _check_counts(*, successes: int, trials: int, name: str) -> None:
    if trials < 0 or successes < 0 or successes > trials:
        raise ValueError(f"{name}: need 0 <= conversions <= exposures, not {successes}/{trials}")


def proportion_difference(
    *,
    conversions: int,
    exposures: int,
    control_conversions: int,
    control_exposures: int,
    confidence: float = 0.95,
) -> Comparison:
    """Compare a variant's ``conversions / exposures`` with the control's.

    With no exposures on either side there is nothing to compare: that side's rate is 0, the
    lifts are 0 (absolute, its interval (0, 0)) and None (relative), z is 0 and p is 1. When
    every exposed user converted or none did (pooled rate 1 or 0), z is 0 and p is 1.
    """
    _check_counts(successes=conversions, trials=exposures, name="variant")
    _check_counts(successes=control_conversions, trials=control_exposures, name="control")
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must be in (0, 1), not {confidence!r}")
    rate = conversions / exposures if exposures else 0.0
    control_rate = control_conversions / control_exposures if control_exposures else 0.0
    if not exposures or not control_exposures:
        return Comparison(
            rate=rate,
            control_rate=control_rate,
            absolute_lift=0.0,
            absolute_ci=(0.0, 0.0),
            relative_lift=None,
            relative_ci=None,
            z=0.0,
            p_value=1.0,
        )

    lift = rate - control_rate
    se = math.sqrt(
        rate * (1.0 - rate) / exposures + control_rate * (1.0 - control_rate) / control_exposures
    )
    margin = normal_quantile(0.5 + confidence / 2.0) * se
    low, high = lift - margin, lift + margin

    pooled = (conversions + control_conversions) / (exposures + control_exposures)
    pooled_se = math.sqrt(pooled * (1.0 - pooled) * (1.0 / exposures + 1.0 / control_exposures))
    if pooled_se > 0.0:
        z = lift / pooled_se
        p_value = min(1.0, math.erfc(abs(z) / _SQRT2))  # = 2 * normal_sf(|z|)
    else:
        z, p_value = 0.0, 1.0

    return Comparison(
        rate=rate,
        control_rate=control_rate,
        absolute_lift=lift,
        absolute_ci=(low, high),
        relative_lift=lift / control_rate if control_rate else None,
        relative_ci=(low / control_rate, high / control_rate) if control_rate else None,
        z=z,
        p_value=p_value,
    )


def _pearson(*, observed: Sequence[float], expected: Sequence[float]) -> float:
    return sum((o - e) ** 2 / e for o, e in zip(observed, expected, strict=True))


def chi_square_independence(*, table: Sequence[tuple[int, int]]) -> ChiSquare:
    """Pearson's chi-square test of independence of variant and conversion.

    ``table`` has a row per variant, ``(converted, not converted)``. Rows without any user are
    dropped (they carry no information), and ``dof`` is the number of remaining rows minus 1.
    With fewer than two rows left, or a column empty (every user converted, or none did), the
    statistic is 0 and p is 1. No continuity correction.
    """
    for converted, not_converted in table:
        if converted < 0 or not_converted < 0:
            raise ValueError(f"negative count in row {(converted, not_converted)}")
    rows = [(c, n) for c, n in table if c + n > 0]
    dof = max(len(rows) - 1, 0)
    total = sum(c + n for c, n in rows)
    converted_total = sum(c for c, _ in rows)
    if dof == 0 or converted_total in (0, total):
        return ChiSquare(statistic=0.0, dof=dof, p_value=1.0)
    share = converted_total / total
    observed: list[float] = []
    expected: list[float] = []
    for c, n in rows:
        observed += [c, n]
        expected += [(c + n) * share, (c + n) * (1.0 - share)]
    statistic = _pearson(observed=observed, expected=expected)
    return ChiSquare(statistic=statistic, dof=dof, p_value=chi2_sf(statistic, dof))


def sample_ratio_mismatch(*, observed: Sequence[int], weights: Sequence[float]) -> SampleRatio:
    """Pearson's goodness of fit of the exposures per variant (``observed``) against the
    shares of the traffic ``weights`` (positive, normalised here: ``(90, 10)`` and
    ``(0.9, 0.1)`` are the same split); ``dof`` is the number of variants minus 1.

    No exposures at all (or a single variant): statistic 0, p 1, not flagged.
    """
    if len(observed) != len(weights) or not observed:
        raise ValueError("need one weight per variant, and at least one variant")
    if any(count < 0 for count in observed):
        raise ValueError(f"negative count in {list(observed)}")
    if any(not (math.isfinite(weight) and weight > 0.0) for weight in weights):
        raise ValueError(f"weights must be positive and finite, not {list(weights)}")
    dof = len(observed) - 1
    total = sum(observed)
    if dof == 0 or total == 0:
        return SampleRatio(statistic=0.0, dof=dof, p_value=1.0, flagged=False)
    weight_total = sum(weights)
    expected = [total * weight / weight_total for weight in weights]
    statistic = _pearson(observed=observed, expected=expected)
    p_value = chi2_sf(statistic, dof)
    return SampleRatio(statistic=statistic, dof=dof, p_value=p_value, flagged=p_value < SRM_ALPHA)
