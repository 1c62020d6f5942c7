"""Publishing exactly once: claim a due version, write its attempt, call the platform, settle.

The rule: a channel version moves `pending → publishing` by a conditional UPDATE that only one
run can win, and in the same transaction a PublishAttempt row (unique per version and number)
is written and committed before the platform is called. After the call the attempt and the
version are settled: published, retry later, failed, or unknown. Unknown (no answer, or a
process that died mid-call) is never posted again blindly: the publisher looks on the
platform; found → published, shown absent → posted again, cannot tell → a person decides.
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import cast

from sqlalchemy import Integer, Table, bindparam, func, insert, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from campaigns.publishers.base import Published, Publisher, PublishRequest
from core import audit
from core.db import transaction
from core.errors import (
    FatalSourceError,
    InputError,
    RetriableSourceError,
    UncertainDeliveryError,
)
from core.models import UtcDateTime
from core.outreach import MediaAsset, Post, PostVariant, PublishAttempt
from core.settings import Settings

log = logging.getLogger(__name__)

ACTOR = "scheduler"
STALE_ATTEMPT = timedelta(minutes=2)  # longer than any platform call with its timeout
LOOKUP_DELAY = timedelta(seconds=30)  # a platform may take a moment to show a new post
LOOKUP_GIVE_UP = timedelta(hours=1)  # then a person checks the channel
BATCH = 500  # versions claimed per run at most
PERSON = "check the channel, then mark it posted or not posted"


@dataclass(frozen=True, slots=True, kw_only=True)
class Claim:
    """A version this run may publish: its attempt row is committed, the call not yet made."""

    attempt_id: int
    variant_id: int
    post_id: int
    round_attempts: int
    request: PublishRequest


def worker_id() -> str:
    """Return this process's name in attempt rows: "<host>:<pid>"."""
    return f"{socket.gethostname()}:{os.getpid()}"


def is_dead(worker: str) -> bool:
    """True when `worker` ran on this host and its process is gone."""
    host, _, pid = worker.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit() or int(pid) == os.getpid():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def backoff(settings: Settings, round_attempts: int) -> timedelta:
    """Return the wait before try `round_attempts` + 1: base × 2^(n-1), capped."""
    seconds = settings.publish_retry_base_seconds * 2 ** max(round_attempts - 1, 0)
    return timedelta(seconds=min(seconds, settings.retry_max_seconds))


# The hot path runs these for every version published: built once, run with parameters, so a
# burst of posts due at the same minute costs database time rather than statement building.
_P, _V, _A = (cast(Table, m.__table__) for m in (Post, PostVariant, PublishAttempt))
_NOW = bindparam("now", type_=UtcDateTime())
_POST_STATE = select(_P.c.state, _P.c.problem).where(_P.c.id == bindparam("post_id"))
_LOCK_POST = select(_P.c.id).where(_P.c.id == bindparam("post_id")).with_for_update()
_VERSION_STATES = select(_V.c.channel, _V.c.state, _V.c.next_attempt_at, _V.c.last_error).where(
    _V.c.post_id == bindparam("post_id")
)
_SET_POST = (
    update(_P)
    .where(_P.c.id == bindparam("post_id"))
    .values(state=bindparam("to"), problem=bindparam("why"), updated_at=_NOW)
)
_SETTLE_ATTEMPT = (
    update(_A)
    .where(_A.c.id == bindparam("attempt_id"), _A.c.outcome.in_(("pending", "unknown")))
    .values(outcome=bindparam("to"), finished_at=_NOW, error=bindparam("why"),
            external_id=bindparam("ext"))
)  # fmt: skip
_SETTLE_VERSION = (
    update(_V)
    .where(_V.c.id == bindparam("variant_id"), _V.c.state.in_(("publishing", "unknown")))
    .values(state=bindparam("to"), last_error=bindparam("why"),
            next_attempt_at=bindparam("next_at", type_=UtcDateTime()))
)  # fmt: skip
_PUBLISHED_VERSION = (
    update(_V)
    .where(_V.c.id == bindparam("variant_id"), _V.c.state.in_(("publishing", "unknown")))
    .values(state="published", last_error=None, next_attempt_at=None, published_at=_NOW,
            external_id=bindparam("ext"), url=bindparam("link"))
)  # fmt: skip
_CLAIM_POST = (
    select(_P.c.state, _P.c.media_id)
    .where(_P.c.id == bindparam("post_id"), _P.c.state.in_(("scheduled", "publishing")))
    .where(_P.c.scheduled_at <= _NOW)
    .with_for_update()
)
_START_POST = (
    update(_P).where(_P.c.id == bindparam("post_id")).values(state="publishing", updated_at=_NOW)
)
_CLAIM_VERSIONS = (
    update(_V)
    .where(_V.c.post_id == bindparam("of_post"), _V.c.state == "pending")
    .where(or_(bindparam("only", type_=Integer()).is_(None), _V.c.id == bindparam("only")))
    .where(or_(_V.c.next_attempt_at.is_(None), _V.c.next_attempt_at <= _NOW))
    .values(state="publishing", attempts=_V.c.attempts + 1,
            round_attempts=_V.c.round_attempts + 1, next_attempt_at=None)
    .returning(_V.c.id, _V.c.attempts, _V.c.round_attempts, _V.c.channel, _V.c.text)
)  # fmt: skip
_ADD_ATTEMPT = insert(_A).returning(_A.c.id)


def lock_post(session: Session, post_id: int) -> None:
    """Lock the post's row for this transaction (PostgreSQL; SQLite writers are serial anyway).

    Every writer of a post or its versions locks the post first: two versions of one post
    settling at once would otherwise each read the other as unfinished (write skew) and
    leave the post 'publishing' for ever, and mixed lock orders could deadlock.
    """
    session.execute(_LOCK_POST, {"post_id": post_id})


def settle_post(session: Session, post_id: int, now: datetime, actor: str = ACTOR) -> None:
    """Derive the post's state from its versions' (published, publishing or failed), audited."""
    post = session.execute(_POST_STATE, {"post_id": post_id}).first()
    if post is None or post.state not in ("scheduled", "publishing"):
        return
    rows = session.execute(_VERSION_STATES, {"post_id": post_id})
    live = [v for v in rows if v.state != "cancelled"]
    waiting = any(
        v.state in ("pending", "publishing") or (v.state == "unknown" and v.next_attempt_at)
        for v in live
    )
    if live and all(v.state == "published" for v in live):
        to, problem = "published", None
    elif waiting:
        to, problem = "publishing", post.problem
    else:
        to = "failed"
        problem = "; ".join(
            f"{v.channel}: {v.last_error or v.state}" for v in live if v.state != "published"
        )
    if to == post.state and problem == post.problem:
        return
    session.execute(_SET_POST, {"post_id": post_id, "to": to, "why": problem, "now": now})
    audit.record(session, entity="post", entity_id=post_id, action=f"publish_{to}", actor=actor,
                 at=now, before={"state": post.state}, after={"state": to}, note=problem)  # fmt: skip


@dataclass(frozen=True, slots=True, kw_only=True)
class Outcome:
    """What a platform call came to, ready to be written: published, retry, failed or unknown."""

    claim: Claim
    outcome: str
    published: Published | None = None
    error: str | None = None
    next_at: datetime | None = None


def settle(factory: sessionmaker[Session], post_id: int, outcomes: Sequence[Outcome],
           now: datetime) -> None:  # fmt: skip
    """Write each attempt's outcome and its version's new state, then the post's, in one
    transaction."""
    with transaction(factory) as session:
        lock_post(session, post_id)
        for o in outcomes:
            ext = o.published.external_id if o.published else None
            session.execute(_SETTLE_ATTEMPT, {"attempt_id": o.claim.attempt_id, "to": o.outcome,
                                              "why": o.error, "ext": ext, "now": now})  # fmt: skip
            if o.published is not None:
                session.execute(_PUBLISHED_VERSION, {"variant_id": o.claim.variant_id, "ext": ext,
                                                     "link": o.published.url, "now": now})  # fmt: skip
            else:
                state = "pending" if o.outcome == "retry" else o.outcome
                session.execute(_SETTLE_VERSION, {"variant_id": o.claim.variant_id, "to": state,
                                                  "why": o.error, "next_at": o.next_at})  # fmt: skip
        settle_post(session, post_id, now)


# Claiming ------------------------------------------------------------------------------------


def build_request(
    session: Session,
    *,
    post_id: int,
    variant_id: int,
    channel: str,
    text: str,
    number: int,
    media_id: int | None,
    settings: Settings,
    first_try: datetime | None = None,
) -> PublishRequest:
    """Return the request for attempt `number` of a version (media resolved, lookup window set)."""
    media_path = alt = None
    if media_id is not None:
        media = session.get(MediaAsset, media_id)
        if media is not None:
            media_path, alt = Path(settings.media_dir) / media.path, media.alt_text
    since = first_try or session.scalar(
        select(func.min(PublishAttempt.started_at)).where(PublishAttempt.variant_id == variant_id)
    )
    assert since is not None, "a request is built for a version that has an attempt"
    return PublishRequest(
        key=f"post:{post_id}:{channel}:{number}",
        variant_key=f"post:{post_id}:{channel}",
        channel=channel,
        text=text,
        media_path=media_path,
        alt_text=alt,
        since=since,
    )


def claim_post(
    factory: sessionmaker[Session],
    post_id: int,
    now: datetime,
    settings: Settings,
    worker: str,
    *,
    only: int | None = None,
) -> list[Claim]:
    """Claim the post's versions that are due (or only version `only`) and commit their attempt
    rows, in one transaction; return the claims ([] when another run has them).

    The post row is locked first, as in every writer of a post (see lock_post).
    """
    with transaction(factory) as session:
        post = session.execute(_CLAIM_POST, {"post_id": post_id, "now": now}).first()
        if post is None:
            return []
        params = {"of_post": post_id, "now": now, "only": only}
        won = session.execute(_CLAIM_VERSIONS, params).all()
        if not won:
            return []
        if post.state == "scheduled":  # its first versions go out
            session.execute(_START_POST, {"post_id": post_id, "now": now})
            audit.record(session, entity="post", entity_id=post_id, action="publish_start",
                         actor=ACTOR, at=now, before={"state": "scheduled"},
                         after={"state": "publishing"})  # fmt: skip
        claims = []
        for variant_id, number, rounds, channel, text in won:
            key = f"post:{post_id}:{channel}:{number}"
            attempt_id = session.execute(
                _ADD_ATTEMPT,
                {"variant_id": variant_id, "number": number, "key": key, "worker": worker,
                 "started_at": now, "outcome": "pending"},
            ).scalar_one()  # fmt: skip
            request = build_request(session, post_id=post_id, variant_id=variant_id,
                                    channel=channel, text=text, number=number,
                                    media_id=post.media_id, settings=settings,
                                    first_try=now if number == 1 else None)  # fmt: skip
            claims.append(Claim(attempt_id=attempt_id, variant_id=variant_id, post_id=post_id,
                                round_attempts=rounds, request=request))  # fmt: skip
        return claims


def claim(
    factory: sessionmaker[Session],
    variant_id: int,
    post_id: int,
    now: datetime,
    settings: Settings,
    worker: str,
) -> Claim | None:
    """Claim one due version and commit its attempt row; None when another run has it."""
    claims = claim_post(factory, post_id, now, settings, worker, only=variant_id)
    return claims[0] if claims else None


def due(session: Session, now: datetime, limit: int = BATCH) -> list[tuple[int, int]]:
    """Return (version id, post id) of versions whose time (or retry time) has come, oldest first."""
    stmt = (
        select(PostVariant.id, Post.id)
        .join(Post, Post.id == PostVariant.post_id)
        .where(Post.state.in_(("scheduled", "publishing")), Post.scheduled_at <= now)
        .where(PostVariant.state == "pending")
        .where(or_(PostVariant.next_attempt_at.is_(None), PostVariant.next_attempt_at <= now))
        .order_by(Post.scheduled_at, PostVariant.id)
        .limit(limit)
    )
    return [(v, p) for v, p in session.execute(stmt).all()]


# Publishing ----------------------------------------------------------------------------------


def call(
    claim: Claim, publisher: Publisher, settings: Settings, clock: Callable[[], datetime]
) -> Outcome:
    """Make the platform call for a claimed version; return what it came to (nothing written)."""
    try:
        published = publisher.publish(claim.request)
    except UncertainDeliveryError as exc:
        return Outcome(claim=claim, outcome="unknown", error=settings.redact(str(exc)),
                       next_at=clock() + LOOKUP_DELAY)  # fmt: skip
    except RetriableSourceError as exc:
        error = settings.redact(str(exc))
        if claim.round_attempts >= settings.publish_max_attempts:
            error = f"gave up after {claim.round_attempts} tries: {error}"
            return Outcome(claim=claim, outcome="failed", error=error)
        next_at = max(exc.retry_at or clock(), clock() + backoff(settings, claim.round_attempts))
        return Outcome(claim=claim, outcome="retry", error=error, next_at=next_at)
    except FatalSourceError as exc:
        return Outcome(claim=claim, outcome="failed", error=settings.redact(str(exc)))
    except Exception as exc:  # a publisher bug may strike after the post left: never resend
        log.exception("publishing %s failed unexpectedly", claim.request.key)
        error = f"unexpected error ({type(exc).__name__}); {PERSON}"
        return Outcome(claim=claim, outcome="unknown", error=error)
    return Outcome(claim=claim, outcome="published", published=published)


def resolve_unknown(
    factory: sessionmaker[Session],
    variant_id: int,
    *,
    posted: bool,
    actor: str,
    now: datetime,
    external_id: str | None = None,
    url: str | None = None,
) -> None:
    """Record a person's finding for a version of unknown outcome.

    Posted: the version is published (with the id or link they found). Not posted: it goes
    back to the queue and is published at once. Raises InputError when its outcome is known.
    """
    with transaction(factory) as session:
        post_id = session.scalar(select(PostVariant.post_id).where(PostVariant.id == variant_id))
        if post_id is not None:
            lock_post(session, post_id)
        variant = session.get(PostVariant, variant_id)
        if variant is None or variant.state != "unknown":
            raise InputError("Only a post whose outcome is unknown can be marked posted or not.")
        post = session.get(Post, variant.post_id)
        assert post is not None
        before = {"state": variant.state}
        if posted:
            variant.state, variant.published_at = "published", now
            variant.external_id, variant.url = external_id or variant.external_id, url
        else:
            variant.state, variant.round_attempts = "pending", 0
        variant.next_attempt_at, variant.last_error = None, None
        if post.state == "failed":
            post.state = "publishing"
        audit.record(session, entity="post", entity_id=post.id, action="resolve_unknown",
                     actor=actor, at=now, before={variant.channel: before},
                     after={variant.channel: {"state": variant.state}},
                     note="found on the channel" if posted else "not on the channel: post again")  # fmt: skip
        settle_post(session, post.id, now, actor=actor)
