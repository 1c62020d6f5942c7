"""When to publish: every due version, now, on a few threads; late posts are not posted.

`run_due` is what the scheduler's publish job calls every `publish_poll_seconds`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, sessionmaker

from campaigns.publish import claim, due, publish_claim, settle_post, worker_id
from campaigns.publishers.base import Publisher
from campaigns.reconcile import reconcile
from core.db import transaction
from core.outreach import Post, PostVariant
from core.settings import Settings


@dataclass(slots=True)
class RunResult:
    """What one publishing run did."""

    published: int = 0
    retry: int = 0
    failed: int = 0
    unknown: int = 0
    missed: int = 0
    reconciled: int = 0
    outcomes: list[str] = field(default_factory=list)


def miss_late(factory: sessionmaker[Session], now: datetime, settings: Settings) -> int:
    """Fail scheduled posts whose time passed longer ago than the grace (the tool was down).

    An outreach post about Sunday's Car Free Day is wrong on Tuesday: it is not posted, and
    the champion sees why. Returns how many posts were failed.
    """
    grace = timedelta(minutes=settings.publish_misfire_grace_minutes)
    with transaction(factory) as session:
        late = list(
            session.scalars(
                select(Post)
                .where(Post.state == "scheduled", Post.scheduled_at < now - grace)
                .with_for_update(skip_locked=True)
            )
        )
        for post in late:
            assert post.scheduled_at is not None
            hours = (now - post.scheduled_at).total_seconds() / 3600
            reason = f"missed its time by {hours:.1f} h (the scheduler was not running); not posted"
            session.execute(
                update(PostVariant)
                .where(PostVariant.post_id == post.id, PostVariant.state == "pending")
                .values(state="failed", last_error=reason)
            )
            settle_post(session, post.id, now)
    return len(late)


def next_due(session: Session, after: datetime) -> datetime | None:
    """Return the time of the next scheduled post after `after`, or None."""
    return session.scalar(
        select(func.min(Post.scheduled_at)).where(
            Post.state == "scheduled", Post.scheduled_at > after
        )
    )


def run_due(
    factory: sessionmaker[Session],
    publisher_for: Callable[[str], Publisher],
    settings: Settings,
    clock: Callable[[], datetime],
    *,
    worker: str | None = None,
    horizon: timedelta | None = None,
) -> RunResult:
    """Publish every version that is due now, each exactly once; return what happened.

    Calls run on `settings.publish_workers` threads; a run that fires while another is still
    calling claims only what the other has not. With a `horizon` (the scheduler passes its
    poll interval) the run also waits for posts due within it, so a post goes out at its
    second rather than at the next poll.
    """
    worker = worker or worker_id()
    result = RunResult()
    result.missed = miss_late(factory, clock(), settings)
    result.reconciled = reconcile(factory, publisher_for, settings, clock(), worker=worker)
    deadline = clock() + horizon if horizon else None
    with ThreadPoolExecutor(max_workers=max(1, settings.publish_workers)) as pool:
        while True:
            _publish_now(factory, publisher_for, settings, clock, worker, pool, result)
            if deadline is None:
                return result
            with factory() as session:
                upcoming = next_due(session, clock())
            if upcoming is None or upcoming >= deadline:
                return result
            time.sleep(max((upcoming - clock()).total_seconds(), 0))


def _publish_now(
    factory: sessionmaker[Session],
    publisher_for: Callable[[str], Publisher],
    settings: Settings,
    clock: Callable[[], datetime],
    worker: str,
    pool: ThreadPoolExecutor,
    result: RunResult,
) -> None:
    with factory() as session:
        pending = due(session, clock())

    def one(item: tuple[int, int]) -> str | None:
        won = claim(factory, item[0], item[1], clock(), settings, worker)
        if won is None:  # another run has it
            return None
        return publish_claim(factory, won, publisher_for(won.request.channel), settings, clock)

    for outcome in pool.map(one, pending):
        if outcome is not None:
            result.outcomes.append(outcome)
            setattr(result, outcome, getattr(result, outcome) + 1)
