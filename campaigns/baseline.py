"""Step 1's baseline from our own data: mentions, hashtag uses, leads and reports per week."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from campaigns.figures import leads, reports, uptake
from campaigns.plan import Baseline
from campaigns.service import get_campaign, plan_of, update_plan
from campaigns.windows import Window
from core.clock import local
from core.errors import InputError
from core.models import Mention

WEEKS = 8


def measure(session: Session, *, region: str | None, tags: list[str], window: Window,
            now: datetime) -> Baseline:  # fmt: skip
    """Return the weekly averages over `window`: all mentions, uses of `tags`, complaint
    leads, and reports in `region` (every region when None)."""
    start, end = window.bounds()
    mentions = session.scalar(
        select(func.count()).select_from(Mention)
        .where(Mention.created_at >= start, Mention.created_at < end)
    ) or 0  # fmt: skip
    weeks = window.days / 7
    return Baseline(
        weeks=round(weeks),
        from_date=window.start,
        to_date=window.end,
        mentions_per_week=round(mentions / weeks, 1),
        hashtag_uses_per_week=round(uptake(session, window, tags).uses / weeks, 1),
        leads_per_week=round(leads(session, window).total / weeks, 1),
        reports_per_week=round(reports(session, window, region=region).total / weeks, 1),
        computed_at=now,
    )


def compute_baseline(
    factory: sessionmaker[Session], campaign_id: int, *, now: datetime, weeks: int = WEEKS,
    actor: str = "system",
) -> Baseline:  # fmt: skip
    """Measure the `weeks` before the campaign starts (up to yesterday), store it in step 1.

    Raises InputError when the campaign is missing or starts so soon that not a day of
    history lies before it.
    """
    today = local(now).date()
    with factory() as session:
        campaign = get_campaign(session, campaign_id)
        plan = plan_of(campaign)
        end = min(plan.timing.starts_on, today) - timedelta(days=1)
        window = Window(start=end - timedelta(days=7 * weeks - 1), end=end)
        found = measure(session, region=plan.analysis.region_code or None,
                        tags=list(campaign.hashtags), window=window, now=now)  # fmt: skip
    if found.mentions_per_week == 0 and found.reports_per_week == 0:
        raise InputError(
            f"There are no mentions or reports between {window.start} and {window.end} to "
            "measure a baseline from; import your history first (lapor-social import)."
        )
    analysis = plan.analysis.model_copy(update={"baseline": found})
    update_plan(factory, campaign_id, plan.model_copy(update={"analysis": analysis}),
                actor=actor, now=now)  # fmt: skip
    return found
