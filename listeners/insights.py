"""Listening queries for the console: volume, latest mentions, top lists, totals."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

from sqlalchemy import BigInteger, ColumnElement, case, cast, exists, func, select
from sqlalchemy.orm import Session

from core.clock import as_utc
from core.models import Mention, MentionHashtag

Bucket = Literal["hour", "day"]
_QUARTER = 900  # seconds; every real zone offset is a multiple of 15 minutes


@dataclass(frozen=True, slots=True, kw_only=True)
class VolumePoint:
    """Mentions in one time bucket (its start, in the display zone) for one channel or tag."""

    bucket: datetime
    key: str
    count: int


@dataclass(frozen=True, slots=True, kw_only=True)
class MentionRow:
    """One stored mention as the console lists it (times aware UTC)."""

    id: int
    platform: str
    external_id: str
    kind: str
    created_at: datetime
    author_handle: str | None
    author_name: str | None
    text: str
    url: str | None
    hashtags: tuple[str, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class AuthorCount:
    """How many mentions one author wrote on one channel."""

    platform: str
    handle: str
    name: str | None
    count: int


@dataclass(frozen=True, slots=True, kw_only=True)
class HashtagCount:
    """How many mentions carried one hashtag (lower-cased, without '#')."""

    tag: str
    count: int


@dataclass(frozen=True, slots=True, kw_only=True)
class Totals:
    """Headline counts: all mentions, the last 24 hours, the last hour, and per channel."""

    total: int
    last_24h: int
    last_hour: int
    per_platform: Mapping[str, int] = field(default_factory=dict)


def _epoch_quarter(session: Session, column: Any) -> ColumnElement[int]:
    if session.get_bind().dialect.name == "sqlite":
        # Stored as naive UTC text; cut the fraction so strftime floors instead of rounding.
        seconds = cast(func.strftime("%s", func.substr(column, 1, 19)), BigInteger)
        return seconds // _QUARTER
    return cast(func.floor(func.extract("epoch", column) / _QUARTER), BigInteger)


def _bucket_start(instant: datetime, bucket: Bucket, zone: ZoneInfo) -> datetime:
    local = instant.astimezone(zone)
    if bucket == "day":
        return datetime(local.year, local.month, local.day, tzinfo=zone)
    return local.replace(minute=0, second=0, microsecond=0)


def volume(
    session: Session,
    *,
    start: datetime,
    end: datetime,
    bucket: Bucket,
    by: Literal["platform", "hashtag"],
    tz: str = "Asia/Jakarta",
    hashtags: Sequence[str] | None = None,
) -> list[VolumePoint]:
    """Return mention counts per `bucket` (hour or day in zone `tz`) and per channel or hashtag.

    Counts mentions created in [start, end); buckets without mentions are left out (see
    `buckets`). `hashtags` limits a per-hashtag count to those tags. Sorted by bucket, key.
    """
    if by == "hashtag":
        col, key = MentionHashtag.created_at, MentionHashtag.tag
    else:
        col, key = Mention.created_at, Mention.platform
    quarter = _epoch_quarter(session, col).label("q")
    stmt = select(quarter, key, func.count()).where(col >= start, col < end).group_by(quarter, key)
    if by == "hashtag" and hashtags is not None:
        stmt = stmt.where(MentionHashtag.tag.in_(_tags(hashtags)))
    zone = ZoneInfo(tz)
    counts: Counter[tuple[datetime, str]] = Counter()
    for q, name, n in session.execute(stmt):
        instant = datetime.fromtimestamp(int(q) * _QUARTER, UTC)
        counts[(_bucket_start(instant, bucket, zone), name)] += n
    return [VolumePoint(bucket=b, key=k, count=n) for (b, k), n in sorted(counts.items())]


def chart_window(
    now: datetime, *, bucket: Bucket, tz: str = "Asia/Jakarta"
) -> tuple[datetime, datetime]:
    """Return (start, end) of the chart: the last 48 hours or the last 30 days up to `now`.

    The start is a bucket start in zone `tz`, so the first bar is a whole hour or day.
    """
    zone = ZoneInfo(tz)
    current = _bucket_start(as_utc(now), bucket, zone)
    if bucket == "day":
        first = (current.date() - timedelta(days=29)).timetuple()[:3]
        return as_utc(datetime(*first, tzinfo=zone)), as_utc(now)
    return as_utc(current) - timedelta(hours=47), as_utc(now)


def buckets(
    start: datetime, end: datetime, *, bucket: Bucket, tz: str = "Asia/Jakarta"
) -> list[datetime]:
    """Return every bucket start (in zone `tz`) of the buckets that overlap [start, end)."""
    zone = ZoneInfo(tz)
    current = _bucket_start(as_utc(start), bucket, zone)
    out: list[datetime] = []
    while as_utc(current) < as_utc(end):
        out.append(current)
        if bucket == "day":
            nxt = current.date() + timedelta(days=1)
            current = datetime(nxt.year, nxt.month, nxt.day, tzinfo=zone)
        else:
            current = (as_utc(current) + timedelta(hours=1)).astimezone(zone)
    return out


def _tags(hashtags: Sequence[str]) -> list[str]:
    return [tag.strip().lstrip("#").lower() for tag in hashtags if tag.strip().lstrip("#")]


def _like_pattern(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def latest(
    session: Session,
    *,
    platforms: Sequence[str] | None = None,
    hashtag: str | None = None,
    text: str | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    limit: int = 100,
    offset: int = 0,
) -> list[MentionRow]:
    """Return the newest mentions first, filtered by channel, hashtag, text and [start, end).

    The text search is case-insensitive and takes the words literally (no wildcards).
    """
    stmt = select(Mention.id).order_by(Mention.created_at.desc(), Mention.id.desc())
    if platforms is not None:
        stmt = stmt.where(Mention.platform.in_(list(platforms)))
    if hashtag and _tags([hashtag]):
        stmt = stmt.where(
            exists().where(
                MentionHashtag.platform == Mention.platform,
                MentionHashtag.external_id == Mention.external_id,
                MentionHashtag.tag == _tags([hashtag])[0],
            )
        )
    if text and text.strip():
        stmt = stmt.where(Mention.text.ilike(_like_pattern(text.strip()), escape="\\"))
    if start is not None:
        stmt = stmt.where(Mention.created_at >= start)
    if end is not None:
        stmt = stmt.where(Mention.created_at < end)
    columns = [getattr(Mention, f.name) for f in fields(MentionRow)]
    rows = session.execute(stmt.with_only_columns(*columns).limit(limit).offset(offset))
    return [MentionRow(**{**r._mapping, "hashtags": tuple(r.hashtags or ())}) for r in rows]


def top_authors(
    session: Session, *, start: datetime, end: datetime, limit: int = 10
) -> list[AuthorCount]:
    """Return the authors with the most mentions created in [start, end), most first."""
    n = func.count().label("n")
    stmt = (
        select(Mention.platform, Mention.author_handle, func.max(Mention.author_name), n)
        .where(Mention.created_at >= start, Mention.created_at < end)
        .where(Mention.author_handle.is_not(None))
        .group_by(Mention.platform, Mention.author_handle)
        .order_by(n.desc(), Mention.author_handle, Mention.platform)
        .limit(limit)
    )
    return [
        AuthorCount(platform=p, handle=h, name=name, count=c)
        for p, h, name, c in session.execute(stmt)
    ]


def top_hashtags(
    session: Session, *, start: datetime, end: datetime, limit: int = 10
) -> list[HashtagCount]:
    """Return the hashtags carried by most mentions created in [start, end), most first."""
    n = func.count().label("n")
    stmt = (
        select(MentionHashtag.tag, n)
        .where(MentionHashtag.created_at >= start, MentionHashtag.created_at < end)
        .group_by(MentionHashtag.tag)
        .order_by(n.desc(), MentionHashtag.tag)
        .limit(limit)
    )
    return [HashtagCount(tag=tag, count=c) for tag, c in session.execute(stmt)]


def totals(session: Session, *, now: datetime) -> Totals:
    """Return all stored mentions, those created in the last 24 hours and hour, and per channel."""
    day = func.sum(case((Mention.created_at >= now - timedelta(hours=24), 1), else_=0))
    hour = func.sum(case((Mention.created_at >= now - timedelta(hours=1), 1), else_=0))
    stmt = select(Mention.platform, func.count(), day, hour).group_by(Mention.platform)
    rows = [(p, int(n), int(d or 0), int(h or 0)) for p, n, d, h in session.execute(stmt)]
    return Totals(
        total=sum(r[1] for r in rows),
        last_24h=sum(r[2] for r in rows),
        last_hour=sum(r[3] for r in rows),
        per_platform={p: n for p, n, _, _ in sorted(rows, key=lambda r: (-r[1], r[0]))},
    )
