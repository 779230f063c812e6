"""The statistics of experiments against textbook and hand-computed values (the arithmetic is
in the comments), never against numbers the code produced. No database."""

import math

import pytest

from experiments.statistics import (
    SRM_ALPHA,
    ChiSquare,
    chi2_sf,
    chi_square_independence,
    normal_quantile,
    normal_sf,
    proportion_difference,
    sample_ratio_mismatch,
)

# --- the normal distribution ------------------------------------------------------------------


def test_normal_sf_at_textbook_points() -> None:
    assert normal_sf(1.959964) == pytest.approx(0.025, abs=1e-8)
    assert normal_sf(0.0) == 0.5
    assert normal_sf(1.0) == pytest.approx(0.158655253931457, rel=1e-12)  # 1 - Phi(1)
    assert normal_sf(-1.959964) == pytest.approx(0.975, abs=1e-8)
    assert normal_sf(30.0) == pytest.approx(4.906713927148187e-198, rel=1e-9)  # no 1 - cdf


@pytest.mark.parametrize(
    ("p", "z"),
    [
        (0.975, 1.959963984540054),
        (0.995, 2.575829303548901),
        (0.95, 1.644853626951472),
        (0.841344746068543, 1.0),  # Phi(1)
        (0.001, -3.090232306167813),  # Acklam's lower tail region (p < 0.02425)
        (1e-10, -6.361340902404056),
        (0.5, 0.0),
    ],
)
def test_normal_quantile_at_textbook_points(p: float, z: float) -> None:
    assert normal_quantile(p) == pytest.approx(z, abs=1e-9)


# 2**-40 rather than 1e-12: 1 - (1 - 1e-12) is 1e-12 only to 4 digits
@pytest.mark.parametrize("p", [2.0**-40, 0.001, 0.02425, 0.1, 0.3, 0.49])
def test_normal_quantile_is_symmetric(p: float) -> None:
    assert normal_quantile(1 - p) == pytest.approx(-normal_quantile(p), rel=1e-9)


@pytest.mark.parametrize("p", [0.0, 1.0, -0.1, 1.5])
def test_normal_quantile_refuses_p_outside_the_open_interval(p: float) -> None:
    with pytest.raises(ValueError):
        normal_quantile(p)


# --- the chi-square distribution ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("x", "dof", "p"),
    [  # critical values from the chi-square table
        (3.841459, 1, 0.05),
        (10.827566, 1, 0.001),
        (6.634897, 1, 0.01),
        (5.991465, 2, 0.05),
        (7.814728, 3, 0.05),
        (18.307038, 10, 0.05),
        (30.577914, 15, 0.01),
        (31.410433, 20, 0.05),
        (1.0, 1, 0.317310507862914),  # P(|Z| > 1)
    ],
)
def test_chi2_sf_at_table_values(x: float, dof: int, p: float) -> None:
    assert chi2_sf(x, dof) == pytest.approx(p, rel=1e-5)


def test_chi2_sf_with_two_dof_is_an_exponential() -> None:
    # Q(1, x/2) = exp(-x/2)
    assert chi2_sf(4.0, 2) == pytest.approx(math.exp(-2.0), rel=1e-12)


@pytest.mark.parametrize("dof", [1, 2, 3, 10, 20])
def test_chi2_sf_at_zero_is_one(dof: int) -> None:
    assert chi2_sf(0.0, dof) == 1.0


def test_chi2_sf_for_a_large_statistic_is_tiny_without_overflow() -> None:
    # dof 3: Q = erfc(sqrt(500)) + 2 * sqrt(500 / pi) * exp(-500) ~ 25.2 * 7.1e-218
    assert 0.0 < chi2_sf(1000.0, 3) < 1e-200
    assert 0.0 <= chi2_sf(1000.0, 20) < 1e-190
    assert chi2_sf(1e6, 7) == 0.0
    assert chi2_sf(math.inf, 2) == 0.0


def test_chi2_sf_refuses_zero_dof() -> None:
    with pytest.raises(ValueError):
        chi2_sf(1.0, 0)


# --- two proportions ---------------------------------------------------------------------------


def test_proportion_difference_worked_example() -> None:
    # control 200/1000 = 0.20, variant 250/1000 = 0.25, lift 0.05.
    # pooled p = 450/2000 = 0.225; SE_pooled = sqrt(0.225 * 0.775 * (2/1000)) = 0.0186748
    # z = 0.05 / 0.0186748 = 2.67740; two-sided p = 2 * (1 - Phi(2.6774)) = 0.00742
    # unpooled SE = sqrt(0.2*0.8/1000 + 0.25*0.75/1000) = sqrt(0.0003475) = 0.0186414
    # 95 % CI = 0.05 -+ 1.959964 * 0.0186414 = 0.05 -+ 0.0365364 = (0.013464, 0.086536)
    # relative: 0.05 / 0.2 = 0.25, CI (0.013464 / 0.2, 0.086536 / 0.2) = (0.06732, 0.43268)
    result = proportion_difference(
        conversions=250, exposures=1000, control_conversions=200, control_exposures=1000
    )
    assert result.rate == 0.25
    assert result.control_rate == 0.2
    assert result.absolute_lift == pytest.approx(0.05, abs=1e-12)
    assert result.z == pytest.approx(2.6774, abs=1e-4)
    assert result.p_value == pytest.approx(0.00742, abs=1e-5)
    assert result.absolute_ci[0] == pytest.approx(0.013464, abs=1e-5)
    assert result.absolute_ci[1] == pytest.approx(0.086536, abs=1e-5)
    assert result.relative_lift == pytest.approx(0.25, abs=1e-12)
    assert result.relative_ci is not None
    assert result.relative_ci[0] == pytest.approx(0.06732, abs=1e-4)
    assert result.relative_ci[1] == pytest.approx(0.43268, abs=1e-4)


def test_proportion_difference_is_antisymmetric() -> None:
    # Swapping the sides negates the lift and z; the p-value stays.
    result = proportion_difference(
        conversions=200, exposures=1000, control_conversions=250, control_exposures=1000
    )
    assert result.absolute_lift == pytest.approx(-0.05, abs=1e-12)
    assert result.z == pytest.approx(-2.6774, abs=1e-4)
    assert result.p_value == pytest.approx(0.00742, abs=1e-5)
    assert result.relative_lift == pytest.approx(-0.2, abs=1e-12)  # -0.05 / 0.25


def test_proportion_difference_confidence_widens_the_interval() -> None:
    # 99 %: z* = 2.575829; margin = 2.575829 * 0.0186414 = 0.0480170
    result = proportion_difference(
        conversions=250,
        exposures=1000,
        control_conversions=200,
        control_exposures=1000,
        confidence=0.99,
    )
    assert result.absolute_ci[0] == pytest.approx(0.05 - 0.048017, abs=1e-5)
    assert result.absolute_ci[1] == pytest.approx(0.05 + 0.048017, abs=1e-5)


def test_proportion_difference_equal_rates_give_no_evidence() -> None:
    result = proportion_difference(
        conversions=30, exposures=300, control_conversions=10, control_exposures=100
    )
    assert result.z == 0.0
    assert result.p_value == 1.0


@pytest.mark.parametrize(
    ("conversions", "exposures", "control_conversions", "control_exposures"),
    [(0, 0, 0, 0), (0, 0, 20, 100), (20, 100, 0, 0)],
)
def test_proportion_difference_without_exposures_on_a_side(
    conversions: int, exposures: int, control_conversions: int, control_exposures: int
) -> None:
    result = proportion_difference(
        conversions=conversions,
        exposures=exposures,
        control_conversions=control_conversions,
        control_exposures=control_exposures,
    )
    assert result.p_value == 1.0
    assert result.z == 0.0
    assert result.absolute_lift == 0.0
    assert result.relative_lift is None
    assert result.relative_ci is None


@pytest.mark.parametrize(("converted", "control_converted"), [(0, 0), (100, 200)])
def test_proportion_difference_none_or_all_converted(
    converted: int, control_converted: int
) -> None:
    result = proportion_difference(
        conversions=converted,
        exposures=100,
        control_conversions=control_converted,
        control_exposures=200,
    )
    assert result.z == 0.0
    assert result.p_value == 1.0
    assert result.absolute_lift == 0.0
    assert result.absolute_ci == (0.0, 0.0)


def test_proportion_difference_with_a_control_rate_of_zero() -> None:
    # control 0/100, variant 5/100: pooled 5/200 = 0.025;
    # SE_pooled = sqrt(0.025 * 0.975 * 0.02) = 0.0220794; z = 0.05 / 0.0220794 = 2.26455
    result = proportion_difference(
        conversions=5, exposures=100, control_conversions=0, control_exposures=100
    )
    assert result.relative_lift is None
    assert result.relative_ci is None
    assert result.absolute_lift == pytest.approx(0.05)
    assert result.z == pytest.approx(2.26455, abs=1e-4)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"conversions": 5, "exposures": 4, "control_conversions": 0, "control_exposures": 1},
        {"conversions": -1, "exposures": 4, "control_conversions": 0, "control_exposures": 1},
        {"conversions": 1, "exposures": 4, "control_conversions": 0, "control_exposures": -1},
        {
            "conversions": 1,
            "exposures": 4,
            "control_conversions": 0,
            "control_exposures": 1,
            "confidence": 1.0,
        },
    ],
)
def test_proportion_difference_refuses_impossible_counts(kwargs: dict[str, int]) -> None:
    with pytest.raises(ValueError):
        proportion_difference(**kwargs)


# --- chi-square independence -------------------------------------------------------------------


def test_chi_square_with_two_variants_is_the_pooled_z_test_squared() -> None:
    # 2x2: the Pearson statistic (no continuity correction) equals z^2 of the pooled z-test:
    # 2.677398^2 = 7.168459; chi2_sf(z^2, 1) = 2 * (1 - Phi(|z|)), the same p-value.
    comparison = proportion_difference(
        conversions=250, exposures=1000, control_conversions=200, control_exposures=1000
    )
    result = chi_square_independence(table=[(200, 800), (250, 750)])
    assert result.dof == 1
    assert result.statistic == pytest.approx(comparison.z**2, rel=1e-12)
    assert result.statistic == pytest.approx(7.16846, abs=1e-4)
    assert result.p_value == pytest.approx(comparison.p_value, rel=1e-9)


def test_chi_square_three_variants_by_hand() -> None:
    # rows (converted, not): (100, 900), (120, 880), (150, 850); 1000 users each, N = 3000.
    # converted total 370 -> expected per row 370/3 = 123.333; not converted 2630 -> 876.667.
    # (O - E)^2 for converted: 23.333^2 = 544.44, 3.333^2 = 11.11, 26.667^2 = 711.11
    # (the same for the not-converted column); sum = 1266.67.
    # chi2 = 1266.67 / 123.333 + 1266.67 / 876.667 = 10.2703 + 1.4449 = 11.7151, dof 2;
    # with 2 dof p = exp(-chi2 / 2) = exp(-5.85757) = 0.0028582
    result = chi_square_independence(table=[(100, 900), (120, 880), (150, 850)])
    assert result.dof == 2
    assert result.statistic == pytest.approx(11.7151, abs=1e-4)
    assert result.p_value == pytest.approx(0.0028582, abs=1e-6)


def test_chi_square_drops_empty_rows() -> None:
    # An empty variant carries no information: the same as the 3-variant example.
    result = chi_square_independence(table=[(100, 900), (0, 0), (120, 880), (150, 850)])
    assert result.dof == 2
    assert result.statistic == pytest.approx(11.7151, abs=1e-4)


@pytest.mark.parametrize(
    "table",
    [
        [],
        [(0, 0), (0, 0)],
        [(10, 90)],  # one variant: nothing to compare
        [(10, 90), (0, 0)],
        [(0, 100), (0, 50), (0, 10)],  # nobody converted
        [(100, 0), (50, 0)],  # everybody converted
    ],
)
def test_chi_square_degenerate_tables_give_no_evidence(table: list[tuple[int, int]]) -> None:
    result = chi_square_independence(table=table)
    assert result.statistic == 0.0
    assert result.p_value == 1.0


def test_chi_square_refuses_negative_counts() -> None:
    with pytest.raises(ValueError):
        chi_square_independence(table=[(1, 2), (-1, 5)])


# --- sample ratio mismatch ---------------------------------------------------------------------


def test_srm_exact_split_is_not_flagged() -> None:
    result = sample_ratio_mismatch(observed=[5000, 5000], weights=[50, 50])
    assert result.statistic == 0.0
    assert result.p_value == 1.0
    assert not result.flagged


def test_srm_small_imbalance_is_not_flagged() -> None:
    # expected 5150 each; chi2 = (150^2 + 150^2) / 5150 = 45000 / 5150 = 8.73786, dof 1
    # p = P(|Z| > sqrt(8.73786) = 2.95599) = 0.003117 > 0.001
    result = sample_ratio_mismatch(observed=[5000, 5300], weights=[0.5, 0.5])
    assert result.dof == 1
    assert result.statistic == pytest.approx(8.73786, abs=1e-4)
    assert result.p_value == pytest.approx(0.003117, abs=1e-5)
    assert not result.flagged


def test_srm_large_imbalance_is_flagged() -> None:
    # expected 5250 each; chi2 = 2 * 250^2 / 5250 = 23.8095, dof 1
    # p = P(|Z| > 4.87950) = 1.0635e-6 < 0.001
    result = sample_ratio_mismatch(observed=[5000, 5500], weights=[1, 1])
    assert result.statistic == pytest.approx(23.8095, abs=1e-4)
    assert result.p_value == pytest.approx(1.0635e-6, rel=1e-3)
    assert result.p_value < SRM_ALPHA
    assert result.flagged
    assert isinstance(result, ChiSquare)


def test_srm_unequal_weights() -> None:
    # 90/10 of 10000 -> expected 9000 and 1000; an exact match is not flagged.
    assert not sample_ratio_mismatch(observed=[9000, 1000], weights=[90, 10]).flagged
    # (9030, 970): chi2 = 30^2/9000 + 30^2/1000 = 0.1 + 0.9 = 1.0; p = P(|Z| > 1) = 0.31731
    result = sample_ratio_mismatch(observed=[9030, 970], weights=[0.9, 0.1])
    assert result.statistic == pytest.approx(1.0, rel=1e-12)
    assert result.p_value == pytest.approx(0.317311, abs=1e-6)
    assert not result.flagged
    # The same counts against a 50/50 split are a glaring mismatch.
    assert sample_ratio_mismatch(observed=[9030, 970], weights=[1, 1]).flagged


def test_srm_three_variants() -> None:
    # expected 10000/3 = 3333.33 each; deviations 66.67, -33.33, -33.33
    # chi2 = (4444.44 + 1111.11 + 1111.11) / 3333.33 = 2.0, dof 2; p = exp(-1) = 0.367879
    result = sample_ratio_mismatch(observed=[3400, 3300, 3300], weights=[1, 1, 1])
    assert result.dof == 2
    assert result.statistic == pytest.approx(2.0, rel=1e-12)
    assert result.p_value == pytest.approx(math.exp(-1.0), rel=1e-9)


def test_srm_without_exposures() -> None:
    result = sample_ratio_mismatch(observed=[0, 0], weights=[1, 1])
    assert result.statistic == 0.0
    assert result.p_value == 1.0
    assert not result.flagged


@pytest.mark.parametrize(
    ("observed", "weights"),
    [([1, 2], [1]), ([], []), ([1, 2], [1, 0]), ([1, 2], [1, -1]), ([-1, 2], [1, 1])],
)
def test_srm_refuses_bad_input(observed: list[int], weights: list[float]) -> None:
    with pytest.raises(ValueError):
        sample_ratio_mismatch(observed=observed, weights=weights)
