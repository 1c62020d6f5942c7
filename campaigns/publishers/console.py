"""The console publisher: without a channel's keys, posts go to the console's own timeline."""

from __future__ import annotations

import hashlib
import logging
import math
import time
from collections.abc import Callable, Sequence
from datetime import datetime

from sqlalchemy import insert, select
from sqlalchemy.orm import Session, sessionmaker

from campaigns.publishers.base import Figures, Published, PublishRequest
from core.clock import utcnow
from core.db import transaction
from core.outreach import ConsolePost

log = logging.getLogger(__name__)


class ConsolePublisher:
    """Stand-in used when a channel has no keys (and by the demo and the publish bench).

    Each call writes a ConsolePost row in its own transaction: that row is the 'platform'.
    Repeats are kept, never merged, so a double post would show. `latency_ms` simulates a
    platform's round trip (LAPOR_CONSOLE_PUBLISH_LATENCY_MS). `metrics` returns demo figures,
    a fixed function of the post and its age, labelled source "console".
    """

    def __init__(
        self,
        channel: str,
        factory: sessionmaker[Session],
        *,
        latency_ms: int = 0,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.channel = channel
        self._factory = factory
        self._latency = latency_ms / 1000
        self._clock = clock

    def publish(self, request: PublishRequest) -> Published:
        """Record the post on the console timeline; return its id "console-<row id>"."""
        if self._latency:
            time.sleep(self._latency)
        with transaction(self._factory) as session:
            row_id = session.execute(
                insert(ConsolePost)
                .values(key=request.key, variant_key=request.variant_key, channel=self.channel,
                        text=request.text, alt_text=request.alt_text, published_at=self._clock(),
                        media_path=str(request.media_path) if request.media_path else None)
                .returning(ConsolePost.id)
            ).scalar_one()  # fmt: skip
            external = f"console-{row_id}"
        log.info("console post on %s (%s): %s", self.channel, request.key, request.text[:80])
        return Published(external_id=external, url=None)

    def lookup(self, request: PublishRequest) -> Published | None:
        """Return the earliest console post of this version since `request.since`, or None."""
        with self._factory() as session:
            row = session.scalars(
                select(ConsolePost)
                .where(ConsolePost.variant_key == request.variant_key)
                .where(ConsolePost.published_at >= request.since)
                .order_by(ConsolePost.id)
                .limit(1)
            ).first()
        return Published(external_id=f"console-{row.id}") if row else None

    def metrics(self, external_ids: Sequence[str]) -> dict[str, Figures]:
        """Return demo figures for console posts: they grow with the post's age, then level off."""
        ids = {int(e.removeprefix("console-")): e for e in external_ids if e.startswith("console-")}
        with self._factory() as session:
            rows = session.execute(
                select(ConsolePost.id, ConsolePost.key, ConsolePost.published_at).where(
                    ConsolePost.id.in_(ids)
                )
            ).all()
        now = self._clock()
        out = {}
        for row_id, key, published_at in rows:
            scale = 400 + int(hashlib.sha256(key.encode()).hexdigest()[:6], 16) % 4600
            hours = max((now - published_at).total_seconds() / 3600, 0)
            impressions = int(scale * (1 - math.exp(-hours / 8)))
            out[ids[row_id]] = Figures(
                impressions=impressions,
                reach=int(impressions * 0.72),
                reactions=impressions // 25,
                comments=impressions // 140,
                shares=impressions // 90,
                clicks=impressions // 60,
                raw={"demo": True},
            )
        return out
