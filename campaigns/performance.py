"""How a campaign's own posts did: each version's latest figures, totals, impressions per day."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, Date, func, literal, select, true, union_all
from sqlalchemy.orm import Session

from campaigns.windows import DayCount, Window, as_date, filled
from core.models import UtcDateTime
from core.outreach import Post, PostMetric, PostVariant


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
        impressions.update((as_date(d), int(n or 0)) for d, n in rows)
    rated = [p for p in posts if p.impressions]
    seen = sum(p.impressions or 0 for p in rated)
    return Performance(
        totals={f: _sum(getattr(p, f) for p in posts) for f in FIGURES},
        engagements=sum(p.engagements for p in posts),
        engagement_rate=sum(p.engagements for p in rated) / seen if seen else None,
        posts=tuple(posts),
        impressions_per_day=filled(window, impressions),
    )
