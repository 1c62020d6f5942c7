"""The figures behind a campaign's evaluation: uptake, leads, reports, uplift, post performance."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Date, and_, case, cast, func, literal, select, true, union_all
from sqlalchemy.orm import Session

from campaigns.uplift import DidRatio, RateRatio, did_ratio, rate_ratio
from core.casework import Lead, Report
from core.clock import JAKARTA
from core.errors import InputError
from core.models import Mention, MentionHashtag, UtcDateTime
from core.outreach import Campaign, Post, PostMetric, PostVariant

UNKNOWN = "unknown"  # a lead without a sector, a report without a region
Cell = tuple[date, str, str | None, int]  # day, sector, region (None for leads), count


@dataclass(frozen=True, slots=True, kw_only=True)
class Window:
    """Asia/Jakarta dates from `start` to `end`, both included."""

    start: date
    end: date

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError(f"a window cannot end ({self.end}) before it starts ({self.start})")

    @property
    def days(self) -> int:
        """Return how many days the window holds."""
        return (self.end - self.start).days + 1

    def dates(self) -> list[date]:
        """Return every date of the window in order."""
        return [self.start + timedelta(days=i) for i in range(self.days)]

    def bounds(self) -> tuple[datetime, datetime]:
        """Return [first instant, instant after the last day) in aware UTC."""
        first = datetime.combine(self.start, time(), JAKARTA)
        after = datetime.combine(self.end + timedelta(days=1), time(), JAKARTA)
        return first.astimezone(UTC), after.astimezone(UTC)


@dataclass(frozen=True, slots=True, kw_only=True)
class CampaignWindows:
    """The campaign so far, the as-long baseline just before it, and the after window."""

    campaign: Window
    baseline: Window
    after: Window | None  # None while the campaign runs


def campaign_windows(starts_on: date, ends_on: date, today: date) -> CampaignWindows:
    """Return the windows of a campaign on `today` (Asia/Jakarta dates, today included).

    Campaign: start .. min(end, today). Baseline: as many days just before the start.
    After: end + 1 .. at most the campaign's length, clipped to today; None until the end has
    passed. Raises InputError when the dates are reversed or the campaign has not started.
    """
    if ends_on < starts_on:
        raise InputError(f"The campaign ends on {ends_on}, before it starts ({starts_on}).")
    if today < starts_on:
        raise InputError(f"The campaign starts on {starts_on}; there is nothing to evaluate yet.")
    campaign = Window(start=starts_on, end=min(ends_on, today))
    baseline = Window(start=starts_on - timedelta(days=campaign.days), end=starts_on - timedelta(1))
    after = None
    if today > ends_on:
        length = (ends_on - starts_on).days + 1
        after = Window(start=ends_on + timedelta(1), end=min(ends_on + timedelta(length), today))
    return CampaignWindows(campaign=campaign, baseline=baseline, after=after)


@dataclass(frozen=True, slots=True, kw_only=True)
class DayCount:
    """A count on one Asia/Jakarta date."""

    day: date
    count: int


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
    """Campaign window against baseline for leads or reports, overall or for one group."""

    measure: str  # leads | reports
    group: str  # all | sector | region
    key: str  # "" for all, else the sector or region code
    ratio: RateRatio


@dataclass(frozen=True, slots=True, kw_only=True)
class PostFigures:
    """One published channel version and its latest snapshot (figures None when unknown)."""

    post_id: int
    variant_id: int
    title: str
    channel: str
    url: str | None
    collected_at: datetime | None
    impressions: int | None
    reach: int | None
    reactions: int | None
    comments: int | None
    shares: int | None
    clicks: int | None
    engagements: int  # reactions + comments + shares + clicks, unknown taken as 0
    engagement_rate: float | None  # engagements / impressions; None without impressions


@dataclass(frozen=True, slots=True, kw_only=True)
class Performance:
    """A campaign's published posts: totals of their latest snapshots, best first, per day.

    Reach is summed per post, so a person reached by two posts counts twice. The engagement
    rate counts only versions whose impressions are known (Telegram reports none).
    """

    totals: Mapping[str, int | None]  # impressions, reach, reactions, comments, shares, clicks
    engagements: int
    engagement_rate: float | None
    posts: tuple[PostFigures, ...]  # most engagements first
    impressions_per_day: tuple[DayCount, ...]  # each version's latest snapshot by that day


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


def jakarta_day(session: Session, column: Any) -> ColumnElement[Any]:
    """Return the SQL for the Asia/Jakarta date of a UTC timestamp column on this back end."""
    if session.get_bind().dialect.name == "sqlite":
        # Naive UTC text; date() rounds .9995 s up into the next second, so cut the fraction.
        # Jakarta has kept +07:00 with no daylight saving since 1964.
        return func.date(func.substr(column, 1, 19), "+7 hours")
    return cast(func.timezone("Asia/Jakarta", column), Date)


def _as_date(value: date | str) -> date:
    return value if isinstance(value, date) else date.fromisoformat(value)


def _in(column: Any, window: Window) -> ColumnElement[bool]:
    first, after = window.bounds()
    return and_(column >= first, column < after)


def _filled(window: Window, counts: Mapping[date, int]) -> tuple[DayCount, ...]:
    return tuple(DayCount(day=d, count=counts.get(d, 0)) for d in window.dates())


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
        .where(MentionHashtag.tag.in_(clean), _in(MentionHashtag.created_at, span))
    ).all()  # fmt: skip
    cells = Counter((d, platform, tag) for d, platform, tag, _ in rows)
    people: dict[Any, set[str]] = {}
    for d, _, _, who in rows:
        if who is not None:
            people.setdefault(d, set()).add(who)
    days = {d: _as_date(d) for d in people.keys() | {d for d, _, _ in cells}}
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
                          uses_per_day=_filled(w, uses), authors_per_day=_filled(w, daily),
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
        .where(_in(Mention.created_at, window), Lead.complaint_score >= min_score)
        .group_by(day, Lead.sector)
    )  # fmt: skip
    return [(_as_date(d), s or UNKNOWN, None, n) for d, s, n in session.execute(stmt)]


def _report_cells(session: Session, window: Window, region: str | None) -> list[Cell]:
    day = jakarta_day(session, Report.created_at).label("day")
    sub = func.substr(Report.region_code, 1, len(region or "") + 2).label("sub")
    stmt = (
        select(day, Report.sector, sub, func.count())
        .where(_in(Report.created_at, window)).group_by(day, Report.sector, sub)
    )  # fmt: skip
    if region:
        stmt = stmt.where(Report.region_code.startswith(region, autoescape=True))
    return [(_as_date(d), s, r or UNKNOWN, n) for d, s, r, n in session.execute(stmt)]


def _region_totals(session: Session, windows: Sequence[Window], region: str) -> list[int]:
    # Totals only: without grouping by day a comparison region costs one cheap pass.
    span = Window(start=min(w.start for w in windows), end=max(w.end for w in windows))
    sums = [func.count(case((_in(Report.created_at, w), 1))) for w in windows]
    row = session.execute(
        select(*sums).where(_in(Report.created_at, span),
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
    return Series(window=window, total=per_day.total(), per_day=_filled(window, per_day),
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


def uplift_rows(measure: str, current: Series, baseline: Series) -> tuple[UpliftRow, ...]:
    """Return rate-ratio rows of `current` against `baseline`: overall, per sector, per region.

    Groups come in order of their counts in both windows, most first. With a dozen sectors,
    about one row in twenty reads "larger than chance" by chance alone.
    """
    t1, t0 = current.window.days, baseline.window.days
    rows = [UpliftRow(measure=measure, group="all", key="",
                      ratio=rate_ratio(current.total, t1, baseline.total, t0))]  # fmt: skip
    for group, now, before in (
        ("sector", current.by_sector, baseline.by_sector),
        ("region", current.by_region, baseline.by_region),
    ):
        both = Counter(now) + Counter(before)
        for key in sorted(both, key=lambda k: (-both[k], k)):
            ratio = rate_ratio(now.get(key, 0), t1, before.get(key, 0), t0)
            rows.append(UpliftRow(measure=measure, group=group, key=key, ratio=ratio))
    return tuple(rows)


FIGURES = ("impressions", "reach", "reactions", "comments", "shares", "clicks")
ENGAGEMENTS = ("reactions", "comments", "shares", "clicks")


def _newest(column: Any, *where: ColumnElement[bool]) -> Any:
    # The outer version's newest snapshot: one index seek on (variant_id, collected_at).
    return (
        select(column).where(PostMetric.variant_id == PostVariant.id, *where)
        .order_by(PostMetric.collected_at.desc(), PostMetric.id.desc()).limit(1)
        .correlate_except(PostMetric).scalar_subquery()
    )  # fmt: skip


def _post(row: Any, latest: PostMetric | None) -> PostFigures:
    values = {f: getattr(latest, f) if latest else None for f in FIGURES}
    engaged = sum(values[f] or 0 for f in ENGAGEMENTS)
    seen = values["impressions"]
    return PostFigures(post_id=row.post_id, variant_id=row.id, title=row.title,
                       channel=row.channel, url=row.url,
                       collected_at=latest.collected_at if latest else None, engagements=engaged,
                       engagement_rate=engaged / seen if seen else None, **values)  # fmt: skip


def _sum(values: Iterable[int | None]) -> int | None:
    known = [v for v in values if v is not None]
    return sum(known) if known else None


def performance(session: Session, campaign_id: int, window: Window) -> Performance:
    """Return the figures of the campaign's published posts, with impressions per day of `window`.

    A day's impressions sum each version's newest snapshot collected by the end of that day.
    """
    published = (Post.campaign_id == campaign_id, PostVariant.state == "published")
    versions = session.execute(
        select(PostVariant.id, PostVariant.channel, PostVariant.url, Post.title,
               Post.id.label("post_id"), _newest(PostMetric.id).label("metric_id"))
        .join(Post, Post.id == PostVariant.post_id).where(*published)
    ).all()  # fmt: skip
    ids = [v.metric_id for v in versions if v.metric_id is not None]
    newest = {m.id: m for m in session.scalars(select(PostMetric).where(PostMetric.id.in_(ids)))}
    posts = sorted(
        (_post(v, newest.get(v.metric_id)) for v in versions),
        key=lambda p: (-p.engagements, -(p.impressions or 0), p.post_id, p.variant_id),
    )
    impressions: dict[date, int] = {}
    days = window.dates()
    # SQLite allows 500 terms in a compound SELECT, so long windows go in slices.
    for first in range(0, len(days), 400):
        ends = union_all(*(
            select(literal(d, Date).label("day"),
                   literal(Window(start=d, end=d).bounds()[1], UtcDateTime()).label("until"))
            for d in days[first : first + 400]
        )).subquery("ends")  # fmt: skip
        seen_by = _newest(PostMetric.impressions, PostMetric.collected_at < ends.c.until)
        rows = session.execute(
            select(ends.c.day, func.sum(seen_by)).select_from(ends).join(Post, true())
            .join(PostVariant, Post.id == PostVariant.post_id).where(*published)
            .group_by(ends.c.day)
        )  # fmt: skip
        impressions.update((_as_date(d), int(n or 0)) for d, n in rows)
    rated = [p for p in posts if p.impressions]
    seen = sum(p.impressions or 0 for p in rated)
    return Performance(
        totals={f: _sum(getattr(p, f) for p in posts) for f in FIGURES},
        engagements=sum(p.engagements for p in posts),
        engagement_rate=sum(p.engagements for p in rated) / seen if seen else None,
        posts=tuple(posts),
        impressions_per_day=_filled(window, impressions),
    )


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
    return CampaignFigures(
        campaign_id=campaign_id, region=region, baseline=before, campaign=during,
        after=per[2] if windows.after else None, uplift=uplift, comparison_region=other,
        comparison=comparison,
        performance=performance(session, campaign_id, Window(start=during.window.start, end=span.end)),
    )  # fmt: skip
