"""Read-only queries for the Campaigns and Calendar pages: list rows, calendar, trouble, console."""

from __future__ import annotations

import calendar
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from sqlalchemy import case, exists, func, or_, select
from sqlalchemy.orm import Session

from campaigns.posts import CANCELLABLE
from campaigns.publishers.registry import missing
from campaigns.service import phase
from core.clock import as_utc
from core.outreach import PUBLISH_CHANNELS, Campaign, ConsolePost, Post, PostVariant
from core.settings import Settings

Span = Literal["week", "month"]


@dataclass(frozen=True, slots=True, kw_only=True)
class CampaignListRow:
    """A campaign as the list shows it, with its region's name from step 1."""

    id: int
    name: str
    region_code: str | None
    region_name: str
    starts_on: date | None
    ends_on: date | None
    hashtags: tuple[str, ...]  # as the plan spells them, without '#'
    phase: str  # planned | running | ended | template
    posts: int
    published: int


@dataclass(frozen=True, slots=True, kw_only=True)
class ChannelVersion:
    """One channel version of a post and where its publication stands."""

    variant_id: int
    channel: str
    state: str
    last_error: str | None
    next_attempt_at: datetime | None  # a retry, or the system's next look at the channel
    published_at: datetime | None
    url: str | None


@dataclass(frozen=True, slots=True, kw_only=True)
class CalendarItem:
    """A post with a time, as a calendar day lists it."""

    post_id: int
    title: str
    campaign_id: int
    campaign_name: str
    scheduled_at: datetime
    state: str
    problem: str | None
    versions: tuple[ChannelVersion, ...]

    @property
    def in_trouble(self) -> bool:
        """True when the post failed or a channel's outcome is unknown."""
        return self.state == "failed" or any(v.state == "unknown" for v in self.versions)


@dataclass(frozen=True, slots=True, kw_only=True)
class AttentionItem:
    """A post that failed or has a version of unknown outcome, with the actions that fit it."""

    post_id: int
    title: str
    campaign_name: str
    scheduled_at: datetime | None
    state: str
    problem: str | None
    versions: tuple[ChannelVersion, ...]
    can_retry: bool  # failed, and no channel's outcome is unknown (a retry could double it)
    can_cancel: bool

    @property
    def unknown(self) -> tuple[ChannelVersion, ...]:
        """The versions a person (or the system's next look) must settle."""
        return tuple(v for v in self.versions if v.state == "unknown")


@dataclass(frozen=True, slots=True, kw_only=True)
class ConsoleItem:
    """One call of the console publisher: what it 'posted', and for which post."""

    id: int
    published_at: datetime
    channel: str
    text: str
    post_id: int | None
    post_title: str | None
    campaign_name: str | None
    media_path: str | None
    alt_text: str | None


@dataclass(frozen=True, slots=True, kw_only=True)
class ChannelRoute:
    """Where a channel's posts go: the platform, or the console and why."""

    channel: str
    live: bool
    reason: str | None


@dataclass(frozen=True, slots=True, kw_only=True)
class Window:
    """The days a calendar view shows, and the UTC instants that bound them (end exclusive)."""

    span: Span
    anchor: date
    first_day: date
    last_day: date
    start: datetime
    end: datetime

    @property
    def days(self) -> list[date]:
        """Every day shown, first to last."""
        return [
            self.first_day + timedelta(days=i)
            for i in range((self.last_day - self.first_day).days + 1)
        ]


def campaign_rows(
    session: Session,
    today: date,
    *,
    phases: Sequence[str] | None = None,
    search: str | None = None,
) -> list[CampaignListRow]:
    """Return campaigns newest start first (templates last), with post counts and phase on `today`.

    `phases` keeps only those phases; `search` keeps campaigns whose name, region or a
    hashtag contains it (case-insensitive, '#' ignored).
    """
    counts = {
        cid: (total, done or 0)
        for cid, total, done in session.execute(
            select(
                Post.campaign_id,
                func.count(),
                func.sum(case((Post.state == "published", 1), else_=0)),
            ).group_by(Post.campaign_id)
        )
    }
    needle = (search or "").strip().lstrip("#").lower()
    out = []
    stmt = select(Campaign).order_by(Campaign.is_template, Campaign.starts_on.desc(), Campaign.id)
    for c in session.scalars(stmt):
        region_name = str((c.plan.get("analysis") or {}).get("region_name") or "")
        # The plan keeps the champion's spelling (#BeraniLAPOR); the column is for matching.
        tags = (c.plan.get("messages") or {}).get("hashtags") or c.hashtags
        row = CampaignListRow(
            id=c.id,
            name=c.name,
            region_code=c.region_code,
            region_name=region_name,
            starts_on=c.starts_on,
            ends_on=c.ends_on,
            hashtags=tuple(tags),
            phase=phase(c, today),
            posts=int(counts.get(c.id, (0, 0))[0]),
            published=int(counts.get(c.id, (0, 0))[1]),
        )
        if phases and row.phase not in phases:
            continue
        haystack = " ".join([c.name, c.region_code or "", region_name, *tags]).lower()
        if needle and needle not in haystack:
            continue
        out.append(row)
    return out


def _versions(session: Session, post_ids: Iterable[int]) -> dict[int, tuple[ChannelVersion, ...]]:
    """Return each post's versions in channel order (x, facebook, telegram)."""
    ids = list(post_ids)
    found: dict[int, list[ChannelVersion]] = defaultdict(list)
    if not ids:
        return {}
    for v in session.scalars(select(PostVariant).where(PostVariant.post_id.in_(ids))):
        found[v.post_id].append(
            ChannelVersion(
                variant_id=v.id,
                channel=v.channel,
                state=v.state,
                last_error=v.last_error,
                next_attempt_at=v.next_attempt_at,
                published_at=v.published_at,
                url=v.url,
            )
        )
    order = {ch: i for i, ch in enumerate(PUBLISH_CHANNELS)}
    return {
        pid: tuple(sorted(vs, key=lambda v: order.get(v.channel, len(order))))
        for pid, vs in found.items()
    }


def calendar_items(
    session: Session,
    start: datetime,
    end: datetime,
    *,
    campaign_id: int | None = None,
    channels: Sequence[str] | None = None,
    states: Sequence[str] | None = None,
) -> list[CalendarItem]:
    """Return posts timed in [start, end), earliest first, with their channel versions.

    Templates' posts are left out. `channels` keeps posts with a version on any of them; `states` keeps posts in those states.
    """
    stmt = (
        select(Post, Campaign.name)
        .join(Campaign, Campaign.id == Post.campaign_id)
        .where(Post.scheduled_at >= as_utc(start), Post.scheduled_at < as_utc(end))
        .where(Campaign.is_template.is_(False))  # a template's drafts are not on anyone's calendar
        .order_by(Post.scheduled_at, Post.id)
    )
    if campaign_id is not None:
        stmt = stmt.where(Post.campaign_id == campaign_id)
    if states:
        stmt = stmt.where(Post.state.in_(list(states)))
    if channels:
        stmt = stmt.where(
            exists().where(PostVariant.post_id == Post.id, PostVariant.channel.in_(list(channels)))
        )
    rows = session.execute(stmt).all()
    versions = _versions(session, (p.id for p, _ in rows))
    out = []
    for p, name in rows:
        assert p.scheduled_at is not None  # the query keeps timed posts only
        out.append(
            CalendarItem(
                post_id=p.id,
                title=p.title,
                campaign_id=p.campaign_id,
                campaign_name=name,
                scheduled_at=as_utc(p.scheduled_at),
                state=p.state,
                problem=p.problem,
                versions=versions.get(p.id, ()),
            )
        )
    return out


def needs_attention(session: Session, *, campaign_id: int | None = None) -> list[AttentionItem]:
    """Return posts that failed or carry a version of unknown outcome, earliest time first."""
    unknown = exists().where(PostVariant.post_id == Post.id, PostVariant.state == "unknown")
    stmt = (
        select(Post, Campaign.name)
        .join(Campaign, Campaign.id == Post.campaign_id)
        .where(Post.state != "cancelled", or_(Post.state == "failed", unknown))
        .order_by(Post.scheduled_at, Post.id)
    )
    if campaign_id is not None:
        stmt = stmt.where(Post.campaign_id == campaign_id)
    rows = session.execute(stmt).all()
    versions = _versions(session, (p.id for p, _ in rows))
    out = []
    for p, name in rows:
        vs = versions.get(p.id, ())
        open_question = any(v.state == "unknown" for v in vs)
        out.append(
            AttentionItem(
                post_id=p.id,
                title=p.title,
                campaign_name=name,
                scheduled_at=as_utc(p.scheduled_at) if p.scheduled_at else None,
                state=p.state,
                problem=p.problem,
                versions=vs,
                can_retry=p.state == "failed" and not open_question,
                can_cancel=p.state in CANCELLABLE,
            )
        )
    return out


def _post_of(variant_key: str) -> int | None:
    """Return the post id in a variant key "post:<id>:<channel>", or None."""
    parts = variant_key.split(":")
    return int(parts[1]) if len(parts) == 3 and parts[0] == "post" and parts[1].isdigit() else None


def console_timeline(session: Session, *, limit: int = 20) -> list[ConsoleItem]:
    """Return the console publisher's latest posts, newest first, with their post and campaign."""
    rows = list(
        session.scalars(
            select(ConsolePost)
            .order_by(ConsolePost.published_at.desc(), ConsolePost.id.desc())
            .limit(limit)
        )
    )
    ids = {pid for r in rows if (pid := _post_of(r.variant_key)) is not None}
    names = {
        pid: (title, campaign)
        for pid, title, campaign in session.execute(
            select(Post.id, Post.title, Campaign.name)
            .join(Campaign, Campaign.id == Post.campaign_id)
            .where(Post.id.in_(ids))
        )
    }
    out = []
    for r in rows:
        pid = _post_of(r.variant_key)
        title, campaign = names.get(pid, (None, None)) if pid is not None else (None, None)
        out.append(
            ConsoleItem(
                id=r.id,
                published_at=as_utc(r.published_at),
                channel=r.channel,
                text=r.text,
                post_id=pid,
                post_title=title,
                campaign_name=campaign,
                media_path=r.media_path,
                alt_text=r.alt_text,
            )
        )
    return out


def channel_routes(settings: Settings) -> list[ChannelRoute]:
    """Return, per publishing channel, whether posts go to the platform or to the console and why."""
    out = []
    for channel in PUBLISH_CHANNELS:
        reason = missing(channel, settings)
        out.append(ChannelRoute(channel=channel, live=reason is None, reason=reason))
    return out


def calendar_window(anchor: date, span: Span, zone: str = "Asia/Jakarta") -> Window:
    """Return the week (Monday to Sunday) or the month grid (whole weeks) around `anchor`.

    Days are calendar days in `zone`; `start` and `end` are their bounds in UTC.
    """
    if span == "week":
        first = anchor - timedelta(days=anchor.weekday())
        last = first + timedelta(days=6)
    else:
        month_first = anchor.replace(day=1)
        month_last = anchor.replace(day=calendar.monthrange(anchor.year, anchor.month)[1])
        first = month_first - timedelta(days=month_first.weekday())
        last = month_last + timedelta(days=6 - month_last.weekday())
    tz = ZoneInfo(zone)
    start = as_utc(datetime.combine(first, time(0), tzinfo=tz))
    end = as_utc(datetime.combine(last + timedelta(days=1), time(0), tzinfo=tz))
    return Window(span=span, anchor=anchor, first_day=first, last_day=last, start=start, end=end)


def step(anchor: date, span: Span, steps: int) -> date:
    """Return `anchor` moved by `steps` weeks or months (a month's day is kept where it exists)."""
    if span == "week":
        return anchor + timedelta(weeks=steps)
    months = anchor.year * 12 + anchor.month - 1 + steps
    year, month = divmod(months, 12)
    day = min(anchor.day, calendar.monthrange(year, month + 1)[1])
    return date(year, month + 1, day)


def by_day(
    items: Iterable[CalendarItem], zone: str = "Asia/Jakarta"
) -> dict[date, list[CalendarItem]]:
    """Return the items grouped by their calendar day in `zone`, each day's in time order."""
    tz = ZoneInfo(zone)
    days: dict[date, list[CalendarItem]] = defaultdict(list)
    for item in sorted(items, key=lambda i: (i.scheduled_at, i.post_id)):
        days[item.scheduled_at.astimezone(tz).date()].append(item)
    return dict(days)
