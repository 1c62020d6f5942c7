"""Running listeners: one poll -> one transaction (mentions + cursor), health, backoff, quarantine retry."""

from __future__ import annotations

import importlib
import logging
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from core.clock import utcnow
from core.db import transaction
from core.errors import BadPayloadError, ConfigError, FatalSourceError, RetriableSourceError
from core.mentions import Batch, SaveResult, load_cursor, save_batch
from core.models import ListenerHealth, QuarantineItem
from core.settings import Settings
from listeners.base import Listener
from listeners.registry import REGISTRY

log = logging.getLogger(__name__)

# Which module re-parses a quarantined item, by the listener that captured it.
REPARSERS = {
    "x": "listeners.xparse",
    "facebook": "listeners.facebook",
    "telegram": "listeners.telegram",
    "line": "listeners.line",
    "messenger": "listeners.messenger",
    "demo": "listeners.demo",
    "import": "listeners.importer",
}


@dataclass(frozen=True, slots=True, kw_only=True)
class PollOutcome:
    """What one poll did: `status` is ok, skipped, backoff, rate_limited or stopped."""

    listener: str
    status: str
    result: SaveResult = SaveResult()
    detail: str = ""


def backoff_delay(failures: int, settings: Settings, rng: Callable[[], float]) -> timedelta:
    """Return the wait after `failures` consecutive failures: exponential, capped, full jitter.

    The wait lies in [base * 2**(n-1) / 2, base * 2**(n-1)] and never exceeds the cap.
    """
    ceiling = min(
        settings.retry_max_seconds, settings.retry_base_seconds * 2 ** max(failures - 1, 0)
    )
    return timedelta(seconds=ceiling * (0.5 + 0.5 * rng()))


def _health(session: Session, name: str) -> ListenerHealth:
    row = session.get(ListenerHealth, name)
    if row is None:
        row = ListenerHealth(
            listener=name, state="ok", detail="", failures=0, last_count=0, total_count=0
        )
        session.add(row)
    return row


def _waiting(health: ListenerHealth | None, now: datetime) -> str | None:
    if health is None:
        return None
    if health.state == "stopped":
        return f"stopped: {health.detail}"
    if health.retry_at is not None and health.retry_at > now:
        return f"{health.state} until {health.retry_at.isoformat()}"
    return None


def poll_once(
    name: str,
    settings: Settings,
    factory: sessionmaker[Session],
    *,
    listener: Listener | None = None,
    now: datetime | None = None,
    rng: Callable[[], float] = random.random,
) -> PollOutcome:
    """Poll listener `name` once and store its batch with its cursor in one transaction.

    A listener that is stopped or waiting out a backoff is skipped. Retriable errors set a
    backoff (the platform's reset time when given, capped); fatal ones stop this listener
    only. Never raises for a source error; returns what happened.
    """
    now = now or utcnow()
    with transaction(factory) as session:
        waiting = _waiting(session.get(ListenerHealth, name), now)
        cursor = load_cursor(session, name)
    if waiting:
        return PollOutcome(listener=name, status="skipped", detail=waiting)
    try:
        if listener is None:
            build = REGISTRY[name].build
            if build is None:
                raise ConfigError(f"{name} is a webhook channel; it is not polled")
            listener = build(settings)
        batch = listener.poll(cursor)
    except RetriableSourceError as exc:
        return _record_failure(factory, name, settings, exc.detail, exc.retry_at, now, rng)
    except (FatalSourceError, ConfigError) as exc:
        detail = settings.redact(str(exc.detail if isinstance(exc, FatalSourceError) else exc))
        log.error("listener %s stopped: %s", name, detail)
        with transaction(factory) as session:
            health = _health(session, name)
            health.state, health.detail, health.retry_at = "stopped", detail, None
            health.last_poll_at = now
        return PollOutcome(listener=name, status="stopped", detail=detail)
    except Exception as exc:  # the top of a poll: anything unexpected backs off, logged
        detail = settings.redact(f"unexpected {type(exc).__name__}: {exc}")
        log.exception("listener %s failed at cursor %s", name, cursor)
        return _record_failure(factory, name, settings, detail, None, now, rng)
    with transaction(factory) as session:
        result = save_batch(session, name, batch, now)
        health = _health(session, name)
        health.state, health.detail, health.retry_at, health.failures = "ok", "", None, 0
        health.last_poll_at = health.last_success_at = now
        health.last_count = result.inserted
        health.total_count = (health.total_count or 0) + result.inserted
    return PollOutcome(listener=name, status="ok", result=result)


def _record_failure(
    factory: sessionmaker[Session],
    name: str,
    settings: Settings,
    detail: str,
    retry_at: datetime | None,
    now: datetime,
    rng: Callable[[], float],
) -> PollOutcome:
    detail = settings.redact(detail)
    cap = now + timedelta(seconds=settings.retry_max_seconds)
    with transaction(factory) as session:
        health = _health(session, name)
        health.failures = (health.failures or 0) + 1
        if retry_at is not None:
            health.state, health.retry_at = "rate_limited", min(max(retry_at, now), cap)
        else:
            health.state = "backoff"
            health.retry_at = now + backoff_delay(health.failures, settings, rng)
        health.detail, health.last_poll_at = detail, now
        state, until = health.state, health.retry_at
    log.warning("listener %s: %s; next try at %s", name, detail, until.isoformat())
    return PollOutcome(listener=name, status=state, detail=detail)


def clear_stopped(factory: sessionmaker[Session]) -> list[str]:
    """Let stopped listeners try again (at process start: the settings may have been fixed).

    Returns the names cleared.
    """
    with transaction(factory) as session:
        rows = session.scalars(select(ListenerHealth).where(ListenerHealth.state == "stopped"))
        names = []
        for row in rows:
            row.state, row.detail, row.retry_at, row.failures = "ok", "", None, 0
            names.append(row.listener)
    return names


@dataclass(frozen=True, slots=True, kw_only=True)
class RetryResult:
    """What a quarantine retry did."""

    retried: int
    resolved: int
    still_bad: int


def reparser(listener: str) -> Callable[[str], Batch]:
    """Return the `reparse(raw) -> Batch` of the module that captured for `listener`.

    Raises ConfigError for a listener nobody can re-parse.
    """
    module = REPARSERS.get(listener.split(":", 1)[0])
    if module is None:
        raise ConfigError(f"no parser knows items captured by {listener!r}")
    return importlib.import_module(module).reparse  # type: ignore[no-any-return]


def retry_quarantine(
    factory: sessionmaker[Session], ids: Sequence[int] | None = None, now: datetime | None = None
) -> RetryResult:
    """Parse open quarantined items again (all, or `ids`); store those that now parse.

    Each item is handled in its own transaction, so one bad item never blocks the rest.
    """
    now = now or utcnow()
    with factory() as session:
        stmt = select(QuarantineItem.id).where(QuarantineItem.resolved_at.is_(None))
        if ids:
            stmt = stmt.where(QuarantineItem.id.in_(list(ids)))
        todo = list(session.scalars(stmt.order_by(QuarantineItem.id)))
    resolved = still_bad = 0
    for item_id in todo:
        with transaction(factory) as session:
            item = session.get(QuarantineItem, item_id)
            if item is None or item.resolved_at is not None:
                continue
            item.attempts = (item.attempts or 0) + 1
            item.last_retry_at = now
            try:
                batch = reparser(item.listener)(item.raw)
            except Exception as exc:  # one item: a parser bug must not stop the others
                reason = exc.reason if isinstance(exc, BadPayloadError) else str(exc)
                item.reason = f"retry failed: {reason}"
                still_bad += 1
                continue
            save_batch(session, item.listener, Batch(mentions=batch.mentions), now)
            item.resolved_at = now
            resolved += 1
    return RetryResult(retried=resolved + still_bad, resolved=resolved, still_bad=still_bad)
