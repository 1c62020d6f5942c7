"""When to publish: every due version, at its second, on a few threads; late posts are not posted.

The scheduler keeps one Dispatcher and ticks it every `publish_poll_seconds`; `run_due` is the
one-off form (the `publish` command, the demo, tests).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, sessionmaker

from campaigns.publish import Claim, Outcome, call, claim_post, due, settle, settle_post, worker_id
from campaigns.publishers.base import Publisher
from campaigns.reconcile import reconcile
from core.db import transaction
from core.outreach import PUBLISH_CHANNELS, Post, PostVariant
from core.settings import Settings

log = logging.getLogger(__name__)


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
    late = select(Post).where(Post.state == "scheduled", Post.scheduled_at < now - grace)
    with factory() as session:  # read first: most ticks find nothing, and write nothing
        if session.scalar(select(late.exists())) is not True:
            return 0
    with transaction(factory) as session:
        posts = list(session.scalars(late.with_for_update(skip_locked=True)))
        for post in posts:
            assert post.scheduled_at is not None
            hours = (now - post.scheduled_at).total_seconds() / 3600
            reason = f"missed its time by {hours:.1f} h (the scheduler was not running); not posted"
            session.execute(
                update(PostVariant)
                .where(PostVariant.post_id == post.id, PostVariant.state == "pending")
                .values(state="failed", last_error=reason)
            )
            settle_post(session, post.id, now)
    return len(posts)


def next_due(session: Session, after: datetime) -> datetime | None:
    """Return the time of the next scheduled post after `after`, or None."""
    return session.scalar(
        select(func.min(Post.scheduled_at)).where(
            Post.state == "scheduled", Post.scheduled_at > after
        )
    )


class Dispatcher:
    """Hands due posts to a pool of publishing threads, each post to one thread at a time.

    The scheduler keeps one for the life of its process and calls `tick` every poll: a tick
    only submits (a slow platform call never holds up the next tick) and skips versions still
    in hand, so ticks never race each other for the same post. Claims in the store still
    decide, should another process publish too.
    """

    def __init__(
        self,
        factory: sessionmaker[Session],
        publisher_for: Callable[[str], Publisher],
        settings: Settings,
        clock: Callable[[], datetime],
        *,
        worker: str | None = None,
    ) -> None:
        self._factory, self._publisher_for = factory, publisher_for
        self._settings, self._clock = settings, clock
        self._worker = worker or worker_id()
        workers = max(1, settings.publish_workers)
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="publish")
        # a post's channels are called at once, on threads of their own (no pool waits on itself)
        self._calls = ThreadPoolExecutor(max_workers=workers * len(PUBLISH_CHANNELS),
                                         thread_name_prefix="publish-call")  # fmt: skip
        self._lock = threading.Lock()
        self._in_hand: set[int] = set()
        self._futures: list[Future[list[str]]] = []
        self.result = RunResult()

    def tick(self, horizon: timedelta | None = None) -> int:
        """Fail missed posts, settle unknown ones, submit what is due; return how many submitted.

        With a `horizon` it also waits for posts due within it, so a post goes out at its
        second rather than at the next poll.
        """
        r = self.result
        r.missed += miss_late(self._factory, self._clock(), self._settings)
        r.reconciled += reconcile(self._factory, self._publisher_for, self._settings,
                                  self._clock(), worker=self._worker)  # fmt: skip
        deadline = self._clock() + horizon if horizon else None
        submitted = 0
        while True:
            submitted += self._submit_due()
            if deadline is None:
                return submitted
            with self._factory() as session:
                upcoming = next_due(session, self._clock())
            if upcoming is None or upcoming >= deadline:
                return submitted
            time.sleep(max((upcoming - self._clock()).total_seconds(), 0))

    def _submit_due(self) -> int:
        with self._factory() as session:
            pending = due(session, self._clock())
        count = 0
        for post_id in dict.fromkeys(p for _, p in pending):  # each post once, oldest first
            with self._lock:
                if post_id in self._in_hand:
                    continue
                self._in_hand.add(post_id)
            future = self._pool.submit(self._publish, post_id)
            future.add_done_callback(self._count)
            self._futures.append(future)
            count += 1
        self._futures = [f for f in self._futures if not f.done()]
        return count

    def _publish(self, post_id: int) -> list[str]:
        """Claim the post's due versions together, call their platforms at once, settle them
        together: one lock of the post and two commits however many channels it goes to."""
        try:
            claims = claim_post(self._factory, post_id, self._clock(), self._settings,
                                self._worker)  # fmt: skip
            outcomes = list(self._calls.map(self._call, claims))
            if outcomes:
                settle(self._factory, post_id, outcomes, self._clock())
            return [o.outcome for o in outcomes]
        finally:
            with self._lock:
                self._in_hand.discard(post_id)

    def _call(self, claim: Claim) -> Outcome:
        publisher = self._publisher_for(claim.request.channel)
        return call(claim, publisher, self._settings, self._clock)

    def _count(self, future: Future[list[str]]) -> None:
        if future.cancelled():
            return
        if future.exception() is not None:
            log.error("publishing failed unexpectedly", exc_info=future.exception())
            return
        with self._lock:
            for outcome in future.result():
                self.result.outcomes.append(outcome)
                setattr(self.result, outcome, getattr(self.result, outcome) + 1)

    def take_result(self) -> RunResult:
        """Return what happened since the last call, and start counting afresh."""
        with self._lock:
            result, self.result = self.result, RunResult()
        return result

    def wait(self) -> None:
        """Wait until every submitted version is settled."""
        for future in list(self._futures):
            future.exception()

    def close(self) -> None:
        """Finish the calls in hand and stop the threads."""
        self._pool.shutdown(wait=True)
        self._calls.shutdown(wait=True)


def run_due(
    factory: sessionmaker[Session],
    publisher_for: Callable[[str], Publisher],
    settings: Settings,
    clock: Callable[[], datetime],
    *,
    worker: str | None = None,
) -> RunResult:
    """Publish every version that is due now, each exactly once, and wait; return what happened.

    For one-off runs (the `publish` command, tests, the demo); the scheduler keeps a Dispatcher.
    """
    dispatcher = Dispatcher(factory, publisher_for, settings, clock, worker=worker)
    try:
        dispatcher.tick()
        dispatcher.wait()
    finally:
        dispatcher.close()
    return dispatcher.take_result()
