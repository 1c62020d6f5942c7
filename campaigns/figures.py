"""The figures behind a campaign's evaluation: hashtag uptake, leads, reports and their uplift."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from campaigns.performance import Performance, performance
from campaigns.uplift import DidRatio, RateRatio, did_ratio, rate_ratio
from campaigns.windows import (
    DayCount,
    Window,
    as_date,
    campaign_windows,
    filled,
    jakarta_day,
    within,
)
from core.casework import Lead, Report
from core.errors import InputError
from core.models import Mention, MentionHashtag
from core.outreach import Campaign

UNKNOWN = "unknown"  # a lead without a sector, a report without a region
Cell = tuple[date, str, str | None, int]  # day, sector, region (None for leads), count


@dataclass(frozen=True, slots=True, kw_only=True)
class Uptake:
    """Uses of the campaign's hashtags in a window; a use is one tag on one mention.

    Authors are (channel, handle) pairs: the same handle on two channels counts twice.
    """

    window: Window
    tags: tuple[str, ...]
    uses: int
    authors: int
    uses_per_day: tuple[DayCount, ...]
    authors_per_day: tuple[DayCount, ...]
    per_channel: Mapping[str, int]
    per_tag: Mapping[str, int]


@dataclass(frozen=True, slots=True, kw_only=True)
class Series:
    """Leads or reports in a window: per day (every day present), by sector and by region."""

    window: Window
    total: int
    per_day: tuple[DayCount, ...]
    by_sector: Mapping[str, int]
    by_region: Mapping[str, int]  # empty for leads: a mention has no region


@dataclass(frozen=True, slots=True, kw_only=True)
class UpliftRow:
    """A window against the baseline for leads or reports, overall or for one group."""

    measure: str  # leads | reports
    group: str  # all | sector | region
    key: str  # "" for all, else the sector or region code
    ratio: RateRatio
    window: str = "campaign"  # campaign | after (the as-long stretch after the end)


@dataclass(frozen=True, slots=True, kw_only=True)
class WindowFigures:
    """Uptake, leads and reports (in the campaign's region) in one window."""

    window: Window
    uptake: Uptake
    leads: Series
    reports: Series


@dataclass(frozen=True, slots=True, kw_only=True)
class CampaignFigures:
    """Everything the evaluation shows for one campaign on one day."""

    campaign_id: int
    region: str | None
    baseline: WindowFigures
    campaign: WindowFigures
    after: WindowFigures | None
    uplift: tuple[UpliftRow, ...]
    comparison_region: str | None
    comparison: DidRatio | None
    performance: Performance


def _ranked(counts: Counter[str]) -> dict[str, int]:
    return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


def _clean_tags(tags: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(t.strip().lstrip("#").lower() for t in tags if t.strip("# ")))


def _clean_region(region: str | None) -> str | None:
    if region is not None and not region.isdigit():
        raise InputError(f"'{region}' is not a region code; use Kemendagri digits like 3578.")
    return region or None


def _uptakes(session: Session, windows: Sequence[Window], tags: Iterable[str]) -> list[Uptake]:
    # One pass over the uses in all windows, counted here: grouping by day, channel, tag and
    # author in SQL costs more than sending the rows and counting them in Python.
    clean = _clean_tags(tags)
    span = Window(start=min(w.start for w in windows), end=max(w.end for w in windows))
    author = MentionHashtag.platform + ":" + MentionHashtag.author_handle  # NULL without handle
    rows = session.connection().execute(
        select(jakarta_day(session, MentionHashtag.created_at), MentionHashtag.platform,
               MentionHashtag.tag, author)
        .where(MentionHashtag.tag.in_(clean), within(MentionHashtag.created_at, span))
    ).all()  # fmt: skip
    cells = Counter((d, platform, tag) for d, platform, tag, _ in rows)
    people: dict[Any, set[str]] = {}
    for d, _, _, who in rows:
        if who is not None:
            people.setdefault(d, set()).add(who)
    days = {d: as_date(d) for d in people.keys() | {d for d, _, _ in cells}}
    people = {days[d]: p for d, p in people.items()}
    out = []
    for w in windows:
        uses, channels, used = Counter[date](), Counter[str](), Counter[str]()
        for (raw, platform, tag), n in cells.items():
            if w.start <= (d := days[raw]) <= w.end:
                uses[d] += n
                channels[platform] += n
                used[tag] += n
        daily = {d: len(people.get(d, ())) for d in w.dates()}
        everyone = set().union(*(people.get(d, set()) for d in w.dates()))
        out.append(Uptake(window=w, tags=clean, uses=uses.total(), authors=len(everyone),
                          uses_per_day=filled(w, uses), authors_per_day=filled(w, daily),
                          per_channel=_ranked(channels), per_tag=_ranked(used)))  # fmt: skip
    return out


def uptake(session: Session, window: Window, tags: Iterable[str]) -> Uptake:
    """Return the uses of `tags` (any case, '#' optional) in `window`, per day and channel."""
    return _uptakes(session, [window], tags)[0]


def _lead_cells(session: Session, window: Window, min_score: float) -> list[Cell]:
    day = jakarta_day(session, Mention.created_at).label("day")
    stmt = (
        select(day, Lead.sector, func.count())
        .select_from(Lead).join(Mention, Mention.id == Lead.mention_id)
        .where(within(Mention.created_at, window), Lead.complaint_score >= min_score)
        .group_by(day, Lead.sector)
    )  # fmt: skip
    return [(as_date(d), s or UNKNOWN, None, n) for d, s, n in session.execute(stmt)]


def _report_cells(session: Session, window: Window, region: str | None) -> list[Cell]:
    day = jakarta_day(session, Report.created_at).label("day")
    sub = func.substr(Report.region_code, 1, len(region or "") + 2).label("sub")
    stmt = (
        select(day, Report.sector, sub, func.count())
        .where(within(Report.created_at, window)).group_by(day, Report.sector, sub)
    )  # fmt: skip
    if region:
        stmt = stmt.where(Report.region_code.startswith(region, autoescape=True))
    return [(as_date(d), s, r or UNKNOWN, n) for d, s, r, n in session.execute(stmt)]


def _region_totals(session: Session, windows: Sequence[Window], region: str) -> list[int]:
    # Totals only: without grouping by day a comparison region costs one cheap pass.
    span = Window(start=min(w.start for w in windows), end=max(w.end for w in windows))
    sums = [func.count(case((within(Report.created_at, w), 1))) for w in windows]
    row = session.execute(
        select(*sums).where(within(Report.created_at, span),
                            Report.region_code.startswith(region, autoescape=True))
    ).one()  # fmt: skip
    return [int(n) for n in row]


def _series(window: Window, cells: Iterable[Cell]) -> Series:
    per_day, sectors, regions = Counter[date](), Counter[str](), Counter[str]()
    for day, sector, region, n in cells:
        if window.start <= day <= window.end:
            per_day[day] += n
            sectors[sector] += n
            if region is not None:
                regions[region] += n
    return Series(window=window, total=per_day.total(), per_day=filled(window, per_day),
                  by_sector=_ranked(sectors), by_region=_ranked(regions))  # fmt: skip


def leads(session: Session, window: Window, *, min_score: float = 0.5) -> Series:
    """Return leads with complaint_score >= `min_score`, counted on their mention's day."""
    return _series(window, _lead_cells(session, window, min_score))


def reports(session: Session, window: Window, *, region: str | None = None) -> Series:
    """Return reports created in `window`, within region prefix `region` when given.

    by_region groups one level down: the prefix's length + 2 digits ("35" -> "3578").
    Raises InputError when `region` is not digits.
    """
    return _series(window, _report_cells(session, window, _clean_region(region)))


def uplift_rows(
    measure: str, current: Series, baseline: Series, window: str = "campaign"
) -> tuple[UpliftRow, ...]:
    """Return rate-ratio rows of `current` against `baseline`: overall, per sector, per region.

    Groups come in order of their counts in both windows, most first. With a dozen sectors,
    about one row in twenty reads "larger than chance" by chance alone.
    """
    t1, t0 = current.window.days, baseline.window.days
    rows = [UpliftRow(measure=measure, group="all", key="", window=window,
                      ratio=rate_ratio(current.total, t1, baseline.total, t0))]  # fmt: skip
    for group, now, before in (
        ("sector", current.by_sector, baseline.by_sector),
        ("region", current.by_region, baseline.by_region),
    ):
        both = Counter(now) + Counter(before)
        for key in sorted(both, key=lambda k: (-both[k], k)):
            ratio = rate_ratio(now.get(key, 0), t1, before.get(key, 0), t0)
            rows.append(
                UpliftRow(measure=measure, group=group, key=key, ratio=ratio, window=window)
            )
    return tuple(rows)


def campaign_figures(
    session: Session,
    campaign_id: int,
    *,
    today: date,
    comparison_region: str | None = None,
    min_score: float = 0.5,
) -> CampaignFigures:
    """Return the campaign's evaluation on `today`: each window's figures, uplift, posts.

    Reports are those of the campaign's region (all when it has none); `comparison_region`
    adds the difference-in-differences ratio against a region the campaign did not reach.
    Raises InputError when the campaign is missing, has no dates or has not started, or the
    comparison region is not a region code or overlaps the campaign's.
    """
    campaign = session.get(Campaign, campaign_id)
    if campaign is None:
        raise InputError(f"There is no campaign {campaign_id}.")
    if campaign.starts_on is None or campaign.ends_on is None:
        raise InputError(f"Campaign '{campaign.name}' has no dates yet; set its timing first.")
    region, other = _clean_region(campaign.region_code), _clean_region(comparison_region)
    if other and not region:
        raise InputError("The campaign covers every region: there is none outside to compare.")
    if other and region and (other.startswith(region) or region.startswith(other)):
        raise InputError(f"Compare with a region outside the campaign's ({region}).")
    windows = campaign_windows(campaign.starts_on, campaign.ends_on, today)
    parts = [windows.baseline, windows.campaign, *([windows.after] if windows.after else [])]
    span = Window(start=parts[0].start, end=parts[-1].end)
    lead_cells = _lead_cells(session, span, min_score)
    report_cells = _report_cells(session, span, region)
    per = [
        WindowFigures(window=w, uptake=u, leads=_series(w, lead_cells),
                      reports=_series(w, report_cells))
        for w, u in zip(parts, _uptakes(session, parts, campaign.hashtags), strict=True)
    ]  # fmt: skip
    before, during = per[0], per[1]
    comparison = None
    if other:
        b1, b0 = _region_totals(session, [windows.campaign, windows.baseline], other)
        comparison = did_ratio(during.reports.total, before.reports.total, b1, b0)
    uplift = uplift_rows("leads", during.leads, before.leads)
    uplift += uplift_rows("reports", during.reports, before.reports)
    if windows.after:  # did the rise last once the campaign ended?
        after = per[2]
        uplift += uplift_rows("leads", after.leads, before.leads, "after")
        uplift += uplift_rows("reports", after.reports, before.reports, "after")
    return CampaignFigures(
        campaign_id=campaign_id, region=region, baseline=before, campaign=during,
        after=per[2] if windows.after else None, uplift=uplift, comparison_region=other,
        comparison=comparison,
        performance=performance(session, campaign_id, Window(start=during.window.start, end=span.end)),
    )  # fmt: skip
