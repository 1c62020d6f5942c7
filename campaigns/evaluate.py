"""A campaign's evaluation: its KPIs against their targets with a traffic light, and a verdict.

The evaluation fills step 9 of the plan. Pure functions over `CampaignFigures`, apart from
`evaluate` (reads the store) and `save` (writes step 9).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal

from sqlalchemy.orm import Session, sessionmaker

from campaigns.figures import CampaignFigures, UpliftRow, campaign_figures
from campaigns.plan import KPI_METRICS, Evaluation, Kpi, KpiResult
from campaigns.service import get_campaign, plan_of, save_evaluation
from campaigns.uplift import RISE, RateRatio

Light = Literal["green", "amber", "red", "grey"]
AMBER_FROM = 0.7  # of the target (or of where the target should be by now)
UPLIFT = {"reports_uplift_pct": "reports", "leads_uplift_pct": "leads"}


@dataclass(frozen=True, slots=True, kw_only=True)
class KpiStatus:
    """One objective: its target, what the figures say, a traffic light and why."""

    metric: str
    label: str
    unit: str
    target: float
    actual: float | None
    light: Light
    note: str


@dataclass(frozen=True, slots=True, kw_only=True)
class CampaignEvaluation:
    """What the Evaluation page, the export and step 9 show for one campaign on one day."""

    campaign_id: int
    name: str
    today: date
    elapsed: float  # share of the campaign's days behind us, 1.0 once it ended
    figures: CampaignFigures
    kpis: tuple[KpiStatus, ...]
    verdict: str


def overall(figures: CampaignFigures, measure: str, window: str = "campaign") -> RateRatio:
    """Return the ratio of all leads or reports in `window` (campaign or after) to the baseline."""
    row: UpliftRow = next(
        r for r in figures.uplift if (r.measure, r.group, r.window) == (measure, "all", window)
    )
    return row.ratio


def _pct(ratio: RateRatio) -> float | None:
    if ratio.estimate is None or math.isinf(ratio.estimate):
        return None
    return (ratio.estimate - 1) * 100


def actuals(figures: CampaignFigures) -> dict[str, float | None]:
    """Return each KPI metric's value from the figures (None when the figures cannot tell)."""
    perf = figures.performance
    rate = perf.engagement_rate
    return {
        "reports_uplift_pct": _pct(overall(figures, "reports")),
        "leads_uplift_pct": _pct(overall(figures, "leads")),
        "hashtag_uses": figures.campaign.uptake.uses,
        "unique_authors": figures.campaign.uptake.authors,
        "impressions": perf.totals.get("impressions"),
        "reach": perf.totals.get("reach"),
        "engagement_rate_pct": rate * 100 if rate is not None else None,
        "posts_published": len({p.post_id for p in perf.posts}),
    }


def judge(kpi: Kpi, actual: float | None, elapsed: float, ratio: RateRatio | None) -> KpiStatus:
    """Return the KPI's traffic light.

    A rise in leads or reports is green when it reaches the target and is larger than chance;
    amber when only one of the two holds; red otherwise. Counts (uses, impressions…) are
    judged against where the target should be by now while the campaign runs; a rate
    (engagement) against the target itself. Grey: no figures yet.
    """
    label, unit = KPI_METRICS[kpi.metric]
    light: Light
    if actual is None:
        light, note = "grey", "no figures yet"
    elif kpi.metric in UPLIFT and ratio is not None:
        reached, real = actual >= kpi.target, ratio.verdict == RISE
        light = "green" if reached and real else "amber" if reached or real else "red"
        note = ratio.verdict
    else:
        pace = 1.0 if kpi.metric == "engagement_rate_pct" else max(elapsed, 1e-9)
        expected = kpi.target * pace
        share = actual / expected if expected else 0.0
        light = "green" if share >= 1 else "amber" if share >= AMBER_FROM else "red"
        note = f"{share:.0%} of the target" + (" so far" if pace < 1 else "")
    return KpiStatus(metric=kpi.metric, label=label, unit=unit, target=kpi.target,
                     actual=actual, light=light, note=note)  # fmt: skip


def _rate_sentence(what: str, ratio: RateRatio, window: str = "campaign") -> str:
    before, during = ratio.b / ratio.t0, ratio.a / ratio.t1
    when = "during the campaign" if window == "campaign" else "after it ended"
    said = f"{what}: {before:.1f} a day before, {during:.1f} a day {when}"
    if ratio.estimate is not None and not math.isinf(ratio.estimate):
        said += f" (×{ratio.estimate:.2f}, 95% CI {ratio.low:.2f}–{ratio.high:.2f})"
    return f"{said}: {ratio.verdict}."


def verdict(figures: CampaignFigures) -> str:
    """Return the plain-language verdict on reports and leads, and the comparison region's."""
    where = f"in region {figures.region}" if figures.region else "in every region"
    parts = [
        _rate_sentence(f"Reports {where}", overall(figures, "reports")),
        _rate_sentence("Complaint leads on social media", overall(figures, "leads")),
    ]
    if figures.after is not None:
        parts.append(_rate_sentence(f"Reports {where}", overall(figures, "reports", "after"),
                                    "after"))  # fmt: skip
    if figures.comparison is not None and figures.comparison_region:
        c = figures.comparison
        against = f"Against region {figures.comparison_region} in the same weeks"
        if c.estimate is None:
            parts.append(f"{against}: {c.verdict}.")
        else:
            parts.append(f"{against}: ×{c.estimate:.2f} (95% CI {c.low:.2f}–{c.high:.2f}): "
                         f"{c.verdict}.")  # fmt: skip
    return " ".join(parts)


def evaluate(
    session: Session, campaign_id: int, today: date, *, comparison_region: str | None = None
) -> CampaignEvaluation:
    """Return the campaign's evaluation on `today` (an Asia/Jakarta date).

    Raises InputError when the campaign is missing, has not started or the comparison
    region cannot be compared.
    """
    campaign = get_campaign(session, campaign_id)
    plan = plan_of(campaign)
    figures = campaign_figures(session, campaign_id, today=today,
                               comparison_region=comparison_region)  # fmt: skip
    length = (plan.timing.ends_on - plan.timing.starts_on).days + 1
    elapsed = min(figures.campaign.window.days / length, 1.0)
    values = actuals(figures)
    kpis = tuple(
        judge(k, values[k.metric], elapsed,
              overall(figures, UPLIFT[k.metric]) if k.metric in UPLIFT else None)
        for k in plan.objectives.kpis
    )  # fmt: skip
    return CampaignEvaluation(campaign_id=campaign_id, name=campaign.name, today=today,
                              elapsed=elapsed, figures=figures, kpis=kpis,
                              verdict=verdict(figures))  # fmt: skip


def save(factory: sessionmaker[Session], evaluation: CampaignEvaluation, now: datetime) -> None:
    """Write the evaluation into step 9 of the campaign's plan."""
    perf = evaluation.figures.performance
    step9 = Evaluation(
        evaluated_at=now,
        kpis=[
            KpiResult(metric=k.metric, target=k.target, actual=k.actual, light=k.light, note=k.note)
            for k in evaluation.kpis
        ],  # fmt: skip
        verdict=evaluation.verdict,
        summary={
            "as_of": evaluation.today.isoformat(),
            "campaign_window": [
                str(evaluation.figures.campaign.window.start),
                str(evaluation.figures.campaign.window.end),
            ],
            "hashtag_uses": evaluation.figures.campaign.uptake.uses,
            "reports": evaluation.figures.campaign.reports.total,
            "reports_baseline": evaluation.figures.baseline.reports.total,
            "leads": evaluation.figures.campaign.leads.total,
            "leads_baseline": evaluation.figures.baseline.leads.total,
            "impressions": perf.totals.get("impressions"),
        },  # fmt: skip
    )
    save_evaluation(factory, evaluation.campaign_id, step9.model_dump(mode="json"), now)
