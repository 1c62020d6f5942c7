"""Rate ratios with exact intervals and p-values, against hand-worked and published examples."""

from __future__ import annotations

import math

import pytest

from campaigns.uplift import (
    FALL,
    NO_CHANGE,
    NOT_ENOUGH,
    RISE,
    TOO_FEW,
    did_ratio,
    rate_ratio,
)


def test_published_example_fay_rateratio_test_vignette():
    # M. P. Fay, "Testing the Ratio of Two Poisson Rates" (R package rateratio.test, vignette):
    # rateratio.test(c(2, 9), c(17877, 16660)) prints p-value = 0.05011, 95 percent CI
    # 0.02177406 1.00054910, rate ratio 0.2070941557. Same method: Clopper-Pearson on 2/11,
    # two-sided p = twice the smaller binomial tail.
    r = rate_ratio(2, 17877, 9, 16660)
    assert r.estimate == pytest.approx(0.2070941557, rel=1e-9)
    assert r.low == pytest.approx(0.02177406, rel=1e-6)
    assert r.high == pytest.approx(1.00054910, rel=1e-7)
    assert r.p_value == pytest.approx(0.05011, abs=5e-6)
    # The interval just takes in 1: a coordinator is not told there was a fall.
    assert r.verdict == NO_CHANGE


def test_published_example_r_poisson_test():
    # R's ?poisson.test example (eba1977, Fredericia against three other cities, ages 55-59):
    # poisson.test(c(11, 6+8+7), c(800, 1083+1050+878)) gives rate ratio 1.971488 and
    # 95 percent CI 0.8584264 4.2772659 (both from binom.test, conditional on 32 events).
    r = rate_ratio(11, 800, 21, 3011)
    assert r.estimate == pytest.approx(1.971488, rel=1e-6)
    assert r.low == pytest.approx(0.8584264, rel=1e-6)
    assert r.high == pytest.approx(4.2772659, rel=1e-7)
    assert r.verdict == NO_CHANGE


def test_all_reports_in_the_campaign_window():
    # a = 12, b = 0, 28 days each. Clopper-Pearson lower bound on a/n with a = n is
    # (alpha/2)^(1/n) = 0.025^(1/12) = 0.735362; R_low = 0.735362 / 0.264638 = 2.778597.
    # p = 2 * P(X >= 12 | n = 12, pi0 = 1/2) = 2 * 0.5^12 = 0.00048828125.
    r = rate_ratio(12, 28, 0, 28)
    assert r.estimate == math.inf
    assert r.low == pytest.approx(2.778597, rel=1e-6)
    assert r.high == math.inf
    assert r.p_value == pytest.approx(0.00048828125, rel=1e-9)
    assert r.verdict == RISE


def test_no_reports_in_the_campaign_window():
    # The mirror image: R_high = 1 / 2.778597 = 0.359894, estimate 0, same p.
    r = rate_ratio(0, 28, 12, 28)
    assert r.estimate == 0.0
    assert r.low == 0.0
    assert r.high == pytest.approx(1 / 2.778597, rel=1e-6)
    assert r.p_value == pytest.approx(0.00048828125, rel=1e-9)
    assert r.verdict == FALL


def test_no_reports_at_all_is_undefined_not_a_crash():
    r = rate_ratio(0, 56, 0, 56)
    assert r.estimate is None
    assert (r.low, r.high, r.p_value) == (0.0, math.inf, 1.0)
    assert r.verdict == TOO_FEW


def test_nine_against_one_in_equal_windows():
    # n = 10: p = 2 * P(X >= 9) = 2 * (C(10,9) + C(10,10)) / 2^10 = 2 * 11 / 1024 = 0.021484375,
    # below 0.05, so the interval (which that p inverts) must lie above 1.
    r = rate_ratio(9, 7, 1, 7)
    assert r.estimate == pytest.approx(9.0)
    assert r.p_value == pytest.approx(0.021484375, rel=1e-9)
    assert r.low > 1
    assert r.verdict == RISE


def test_five_reports_are_too_few_even_all_on_one_side():
    # R_low = 0.025^(1/5) / (1 - 0.025^(1/5)) = 0.478176 / 0.521824 = 0.916356: 1 is inside;
    # p = 2 * 0.5^5 = 0.0625.
    r = rate_ratio(5, 7, 0, 7)
    assert r.low == pytest.approx(0.916356, rel=1e-5)
    assert r.p_value == pytest.approx(0.0625)
    assert r.verdict == TOO_FEW


def test_same_rate_over_unequal_windows_is_no_change():
    # 20 reports in 10 days against 40 in 20 days: 2 a day both times, R = 1.
    # Unequal windows shift pi0 to 10/30: P(X <= 20) and P(X >= 20) both exceed 1/2, so p = 1.
    r = rate_ratio(20, 10, 40, 20)
    assert r.estimate == pytest.approx(1.0)
    assert r.low < 1 < r.high
    assert r.p_value == 1.0
    assert r.verdict == NO_CHANGE


def test_days_scale_the_ratio():
    # The same 20 against 20 reports: over 7 days against 14 days the daily rate doubled.
    assert rate_ratio(20, 7, 20, 14).estimate == pytest.approx(2.0)
    assert rate_ratio(20, 14, 20, 7).estimate == pytest.approx(0.5)


@pytest.mark.parametrize("a", range(0, 40, 3))
@pytest.mark.parametrize("b", [0, 4, 11, 25])
def test_verdict_and_p_value_never_disagree(a, b):
    r = rate_ratio(a, 56, b, 56)
    if a + b >= 10:
        beyond_chance = r.verdict in (RISE, FALL)
        assert beyond_chance == (r.p_value < 0.05)


def test_bad_input_is_refused():
    with pytest.raises(ValueError):
        rate_ratio(-1, 7, 3, 7)
    with pytest.raises(ValueError):
        rate_ratio(1, 0, 3, 7)


def test_difference_in_differences():
    # (40/20) / (30/30) = 2. var(log) = 1/40 + 1/20 + 1/30 + 1/30 = 0.1416667, se = 0.3763863;
    # 1.959964 * se = 0.7377042, bounds 2 * exp(-+0.7377042) = 0.956422 .. 4.182256;
    # z = ln 2 / se = 1.841590, p = 2 * (1 - Phi(z)) = 0.065536.
    d = did_ratio(40, 20, 30, 30)
    assert d.estimate == pytest.approx(2.0)
    assert d.low == pytest.approx(0.956422, rel=1e-5)
    assert d.high == pytest.approx(4.182256, rel=1e-6)
    assert d.p_value == pytest.approx(0.065536, abs=1e-6)
    assert d.verdict == NO_CHANGE


def test_difference_in_differences_rise():
    # (100/50) / (50/50) = 2, se = sqrt(0.01 + 0.02 + 0.02 + 0.02) = 0.2645751;
    # bounds 2 * exp(-+0.518557) = 1.190757 .. 3.359207.
    d = did_ratio(100, 50, 50, 50)
    assert (d.low, d.high) == (pytest.approx(1.190757, rel=1e-6), pytest.approx(3.359207, rel=1e-6))
    assert d.verdict == RISE


def test_difference_in_differences_with_an_empty_window():
    d = did_ratio(5, 0, 30, 30)
    assert (d.estimate, d.low, d.high, d.p_value) == (None, None, None, None)
    assert d.verdict == NOT_ENOUGH


def test_difference_in_differences_with_a_small_region():
    # 7 reports in the campaign region in all: one more or less would change the picture.
    assert did_ratio(5, 2, 30, 30).verdict == TOO_FEW
