"""Metrics snapshots: the figures of our own published posts, collected over time by the scheduler."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from campaigns.publishers.base import Publisher
from core.db import transaction
from core.errors import LaporError
from core.outreach import PostMetric, PostVariant

log = logging.getLogger(__name__)
CHUNK = 100  # X looks up at most 100 posts per call


def due_for_snapshot(
    session: Session, now: datetime, *, days: int, every: timedelta
) -> dict[str, dict[str, int]]:
    """Return {channel: {external id: version id}} of posts published in the last `days` days
    whose latest snapshot is older than `every` (or that have none)."""
    latest = (
        select(PostMetric.variant_id, func.max(PostMetric.collected_at).label("at"))
        .group_by(PostMetric.variant_id)
        .subquery()
    )
    rows = session.execute(
        select(PostVariant.id, PostVariant.channel, PostVariant.external_id, latest.c.at)
        .outerjoin(latest, latest.c.variant_id == PostVariant.id)
        .where(PostVariant.state == "published", PostVariant.external_id.is_not(None))
        .where(PostVariant.published_at >= now - timedelta(days=days))
    ).all()
    out: dict[str, dict[str, int]] = {}
    for variant_id, channel, external_id, at in rows:
        if at is None or at <= now - every:
            out.setdefault(channel, {})[external_id] = variant_id
    return out


def collect(
    factory: sessionmaker[Session],
    publisher_for: Callable[[str], Publisher],
    now: datetime,
    *,
    days: int = 30,
    every: timedelta = timedelta(minutes=30),
) -> int:
    """Store a snapshot for every recent post that is due one; return how many were stored.

    A channel whose call fails is skipped this round (logged); the others go on.
    """
    with factory() as session:
        wanted = due_for_snapshot(session, now, days=days, every=every)
    stored = 0
    for channel, ids in sorted(wanted.items()):
        publisher = publisher_for(channel)
        keys = sorted(ids)
        for start in range(0, len(keys), CHUNK):
            try:
                figures = publisher.metrics(keys[start : start + CHUNK])
            except LaporError as exc:
                log.warning("metrics of %s posts skipped this round: %s", channel, exc)
                break
            source = "console" if any(f.raw.get("demo") for f in figures.values()) else channel
            with transaction(factory) as session:
                for external_id, f in figures.items():
                    if external_id not in ids:
                        continue
                    session.add(PostMetric(variant_id=ids[external_id], collected_at=now,
                                           impressions=f.impressions, reach=f.reach,
                                           reactions=f.reactions, comments=f.comments,
                                           shares=f.shares, clicks=f.clicks, source=source,
                                           raw=f.raw))  # fmt: skip
                    stored += 1
    return stored
