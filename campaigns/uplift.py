"""Did a campaign raise the number of reports? Rate ratios of Poisson counts, with a verdict."""

from __future__ import annotations

import math
from dataclasses import dataclass

from scipy import stats

RISE = "the rise is larger than chance"
FALL = "the fall is larger than chance"
NO_CHANGE = "the change is not larger than chance"
TOO_FEW = "too few reports to tell"
NOT_ENOUGH = "not enough data: a region has no reports in one of the windows"

# Below 10 events in both windows together one report more or less flips the verdict, and
# with equal windows the exact test cannot call any change at all below 6 (p = 2 * 0.5**n).
MIN_EVENTS = 10


@dataclass(frozen=True, slots=True, kw_only=True)
class RateRatio:
    """(a / t1) / (b / t0): events per day in the campaign window over those in the baseline.

    `estimate` is math.inf when b is 0 and a is not, None when both are 0; `low` may be 0 and
    `high` math.inf when the data bound only one side.
    """

    a: int
    t1: float
    b: int
    t0: float
    estimate: float | None
    low: float
    high: float
    p_value: float
    verdict: str


@dataclass(frozen=True, slots=True, kw_only=True)
class DidRatio:
    """(a1 / a0) / (b1 / b0): the campaign region's change over a comparison region's.

    a1, a0: campaign region in the campaign window and in the baseline; b1, b0: the comparison
    region in the same windows. Estimate, bounds and p are None when a count is 0.
    """

    a1: int
    a0: int
    b1: int
    b0: int
    estimate: float | None
    low: float | None
    high: float | None
    p_value: float | None
    verdict: str


def verdict(low: float, high: float, events: int) -> str:
    """Return the plain-English verdict for a rate-ratio interval [low, high] over `events`."""
    if events < MIN_EVENTS:
        return TOO_FEW
    if low > 1:
        return RISE
    if high < 1:
        return FALL
    return NO_CHANGE


def _odds_to_ratio(share: float, t1: float, t0: float) -> float:
    # Given a + b events, a's expected share is t1*R / (t1*R + t0); solved for R.
    if share >= 1:
        return math.inf
    return share / (1 - share) * (t0 / t1)


def rate_ratio(a: int, t1: float, b: int, t0: float, *, level: float = 0.95) -> RateRatio:
    """Return the rate ratio of `a` events over `t1` days against `b` events over `t0` days.

    Exact and conditional on n = a + b (a ~ Binomial(n, t1*R / (t1*R + t0))): the interval is
    Clopper-Pearson on a / n mapped to R, and the two-sided p-value is twice the smaller tail
    of the binomial test of R = 1 (capped at 1). That p-value is the one the central interval
    inverts, so p < 1 - level exactly when the interval leaves out 1 and the verdict agrees.
    Raises ValueError on negative counts or days that are not positive.
    """
    if a < 0 or b < 0:
        raise ValueError(f"counts must not be negative, got {a} and {b}")
    if t1 <= 0 or t0 <= 0:
        raise ValueError(f"windows must last more than 0 days, got {t1} and {t0}")
    n, alpha = a + b, 1 - level
    share_low = 0.0 if a == 0 else float(stats.beta.ppf(alpha / 2, a, b + 1))
    share_high = 1.0 if b == 0 else float(stats.beta.ppf(1 - alpha / 2, a + 1, b))
    low, high = _odds_to_ratio(share_low, t1, t0), _odds_to_ratio(share_high, t1, t0)
    if n == 0:
        estimate, p = None, 1.0
    else:
        estimate = math.inf if b == 0 else (a / t1) / (b / t0)
        null = t1 / (t1 + t0)
        tail = min(stats.binom.cdf(a, n, null), stats.binom.sf(a - 1, n, null))
        p = min(1.0, 2 * float(tail))
    return RateRatio(a=a, t1=t1, b=b, t0=t0, estimate=estimate, low=low, high=high, p_value=p,
                     verdict=verdict(low, high, n))  # fmt: skip


def did_ratio(a1: int, a0: int, b1: int, b0: int, *, level: float = 0.95) -> DidRatio:
    """Return the difference-in-differences rate ratio (a1 / a0) / (b1 / b0).

    Both regions are counted over the same two windows, so the days cancel. The interval is
    Wald on the log scale, var(log) = 1/a1 + 1/a0 + 1/b1 + 1/b0, with its two-sided z-test p.
    A count of 0 gives no estimate and the verdict NOT_ENOUGH; fewer than MIN_EVENTS in either
    region gives TOO_FEW. Raises ValueError on negative counts.
    """
    counts = (a1, a0, b1, b0)
    if min(counts) < 0:
        raise ValueError(f"counts must not be negative, got {counts}")
    if min(counts) == 0:
        return DidRatio(a1=a1, a0=a0, b1=b1, b0=b0, estimate=None, low=None, high=None,
                        p_value=None, verdict=NOT_ENOUGH)  # fmt: skip
    log_ratio = math.log(a1 / a0) - math.log(b1 / b0)
    se = math.sqrt(sum(1 / c for c in counts))
    z = float(stats.norm.ppf(1 - (1 - level) / 2))
    low, high = math.exp(log_ratio - z * se), math.exp(log_ratio + z * se)
    p = 2 * float(stats.norm.sf(abs(log_ratio) / se))
    events = min(a1 + a0, b1 + b0)
    return DidRatio(a1=a1, a0=a0, b1=b1, b0=b0, estimate=math.exp(log_ratio), low=low,
                    high=high, p_value=p, verdict=verdict(low, high, events))  # fmt: skip
