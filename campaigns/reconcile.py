"""Settling versions of unknown outcome: a call that got no answer, or a process that died mid-call.

Nothing is posted again until the platform has been asked. Found there → published. Shown
absent → back in the queue. The platform cannot be asked (Telegram), or asking keeps failing
→ the post fails loudly and a person checks the channel and marks it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from campaigns.publish import (
    LOOKUP_DELAY,
    LOOKUP_GIVE_UP,
    PERSON,
    STALE_ATTEMPT,
    build_request,
    is_dead,
    lock_post,
    settle_post,
)
from campaigns.publishers.base import CannotTellError, Publisher
from core.db import transaction
from core.errors import LaporError
from core.outreach import Post, PostVariant, PublishAttempt
from core.settings import Settings

log = logging.getLogger(__name__)


def expire_stale(factory: sessionmaker[Session], now: datetime, worker: str) -> int:
    """Mark attempts left 'pending' by a dead process (or for too long) unknown; return how many.

    An attempt of another process on this host whose pid is gone is stale at once; any other
    attempt after STALE_ATTEMPT. Its version is looked up LOOKUP_DELAY after the attempt began.
    """
    with factory() as session:  # read first: most ticks find nothing, and write nothing
        rows = session.execute(
            select(PublishAttempt.id, PublishAttempt.worker, PublishAttempt.started_at)
            .join(PostVariant, PostVariant.id == PublishAttempt.variant_id)
            .where(PublishAttempt.outcome == "pending", PostVariant.state == "publishing")
        ).all()
    stale = [
        attempt_id
        for attempt_id, who, started in rows
        if who != worker and is_dead(who) or started < now - STALE_ATTEMPT
    ]
    expired = 0
    for attempt_id in stale:
        with transaction(factory) as session:
            attempt = session.get(PublishAttempt, attempt_id)
            variant = session.get(PostVariant, attempt.variant_id) if attempt else None
            if attempt is None or variant is None:
                continue
            lock_post(session, variant.post_id)
            session.refresh(variant)
            session.refresh(attempt)
            if variant.state != "publishing" or attempt.outcome != "pending":
                continue  # settled meanwhile by the call that was in flight
            attempt.outcome, attempt.finished_at = "unknown", now
            attempt.error = "the publishing process stopped during the call"
            variant.state, variant.last_error = "unknown", attempt.error
            variant.next_attempt_at = max(attempt.started_at + LOOKUP_DELAY, now)
            settle_post(session, variant.post_id, now)
            expired += 1
    return expired


def look_up(
    factory: sessionmaker[Session],
    publisher_for: Callable[[str], Publisher],
    settings: Settings,
    now: datetime,
) -> int:
    """Ask the platform about every version of unknown outcome whose lookup is due; return count."""
    with factory() as session:
        rows = session.execute(
            select(PostVariant, Post)
            .join(Post, Post.id == PostVariant.post_id)
            .where(PostVariant.state == "unknown", PostVariant.next_attempt_at <= now)
        ).all()
        requests = [
            (
                v.id,
                p.id,
                build_request(
                    session,
                    post_id=p.id,
                    variant_id=v.id,
                    channel=v.channel,
                    text=v.text,
                    number=v.attempts,
                    media_id=p.media_id,
                    settings=settings,
                ),
            )  # fmt: skip
            for v, p in rows
        ]
    for variant_id, post_id, request in requests:
        values: dict[str, object]
        try:
            found = publisher_for(request.channel).lookup(request)
        except CannotTellError as exc:
            values = {"last_error": f"{exc}; {PERSON}", "next_attempt_at": None}
        except LaporError as exc:
            if now - request.since > LOOKUP_GIVE_UP:
                values = {"last_error": f"could not ask {request.channel}: {exc}; {PERSON}",
                          "next_attempt_at": None}  # fmt: skip
            else:
                values = {"next_attempt_at": now + 2 * LOOKUP_DELAY}
        else:
            if found is not None:
                values = {"state": "published", "external_id": found.external_id,
                          "url": found.url, "published_at": now, "last_error": None,
                          "next_attempt_at": None}  # fmt: skip
            else:  # the platform shows it is not there: posting again cannot double it
                values = {"state": "pending", "next_attempt_at": None,
                          "last_error": "no answer before; not on the channel, posting again"}  # fmt: skip
        with transaction(factory) as session:
            lock_post(session, post_id)
            session.execute(
                update(PostVariant)
                .where(PostVariant.id == variant_id, PostVariant.state == "unknown")
                .values(**values)
            )
            post = session.get(Post, post_id)
            if post is not None and post.state == "failed" and values.get("state"):
                post.state = "publishing"
            settle_post(session, post_id, now)
        log.info("lookup of %s on %s: %s", request.variant_key, request.channel,
                 values.get("state", "still unknown"))  # fmt: skip
    return len(requests)


def reconcile(
    factory: sessionmaker[Session],
    publisher_for: Callable[[str], Publisher],
    settings: Settings,
    now: datetime,
    *,
    worker: str,
) -> int:
    """Expire stale attempts, then look up what is due; return how many versions were asked."""
    expire_stale(factory, now, worker)
    return look_up(factory, publisher_for, settings, now)
