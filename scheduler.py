"""The one scheduler process: polls every enabled listener at its interval, drains webhook events.

APScheduler 3.11 with its SQLAlchemy job store; its documentation forbids sharing a job store
between schedulers, so exactly one process runs `lapor-social scheduler`. `lapor-social listen`
runs the same jobs on an in-memory store for a foreground session.
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy.orm import Session, sessionmaker

from core.clock import utcnow
from core.db import make_engine, make_sessionmaker
from core.settings import Settings
from listeners.registry import polled
from listeners.service import clear_stopped, poll_once

log = logging.getLogger("lapor.scheduler")

WEBHOOK_DRAIN_SECONDS = 15
_context: dict[str, object] = {}


def configure(settings: Settings, factory: sessionmaker[Session]) -> None:
    """Set what the jobs of this process use (jobs are stored by reference, not with state)."""
    _context["settings"], _context["factory"] = settings, factory


def _settings_and_factory() -> tuple[Settings, sessionmaker[Session]]:
    if "settings" not in _context:
        settings = Settings()
        configure(settings, make_sessionmaker(make_engine(settings.database_url)))
    return _context["settings"], _context["factory"]  # type: ignore[return-value]


def poll_job(name: str) -> None:
    """Job: poll listener `name` once (a poll never raises for a platform error)."""
    settings, factory = _settings_and_factory()
    outcome = poll_once(name, settings, factory)
    if outcome.status == "ok" and (outcome.result.inserted or outcome.result.quarantined):
        log.info(
            "%s: %d new, %d updated, %d quarantined",
            name,
            outcome.result.inserted,
            outcome.result.updated,
            outcome.result.quarantined,
        )
    elif outcome.status not in ("ok", "skipped"):
        log.warning("%s: %s (%s)", name, outcome.status, outcome.detail)


def webhook_job() -> None:
    """Job: parse webhook bodies stored but not yet processed (after a crash, or a backlog)."""
    from listeners.webhooks import process_pending

    settings, factory = _settings_and_factory()
    count = process_pending(factory, settings)
    if count:
        log.info("webhooks: processed %d stored events", count)


def _triager() -> object:
    if "triager" not in _context:
        from handler.triage import Triager

        settings, _ = _settings_and_factory()
        path = settings.triage_model_path
        _context["triager"] = Triager.load(path) if path else Triager.default()
    return _context["triager"]


def triage_job() -> None:
    """Job: turn new mentions into ranked leads for the inbox."""
    from handler.service import triage_new_mentions

    settings, factory = _settings_and_factory()
    made = triage_new_mentions(factory, _triager().triage, utcnow())  # type: ignore[attr-defined]
    if made:
        log.info("triage: %d new leads", made)


def chatbot_job() -> None:
    """Job: answer status checks, replies and ratings sent to the chatbot."""
    from handler.chatbot import process_messages

    settings, factory = _settings_and_factory()
    answered = process_messages(factory, settings, utcnow())
    if answered:
        log.info("chatbot: answered %d messages", answered)


def forward_job() -> None:
    """Job: forward submitted reports to the LAPOR! core (when LAPOR_CORE_URL is set)."""
    from handler.forward import forward_pending

    settings, factory = _settings_and_factory()
    if settings.lapor_core_url:
        result = forward_pending(factory, settings, utcnow())
        if result.sent or result.retry or result.failed:
            log.info(
                "forward: %d sent, %d retry, %d failed", result.sent, result.retry, result.failed
            )


def housekeeping_job() -> None:
    """Job: free expired claims, mark replies of unknown outcome, close silent reports."""
    from handler.followups import close_silent
    from handler.queue import SqlLeadQueue
    from handler.replies import mark_stale

    settings, factory = _settings_and_factory()
    now = utcnow()
    SqlLeadQueue(factory, timedelta(minutes=settings.lease_minutes)).expire_leases(now)
    stale = mark_stale(factory, now)
    closed = close_silent(factory, settings, now)
    if stale or closed:
        log.info("housekeeping: %d replies of unknown outcome, %d reports closed", stale, closed)


def _publishers() -> object:
    if "publishers" not in _context:
        from campaigns.publishers.registry import Publishers

        settings, factory = _settings_and_factory()
        _context["publishers"] = Publishers(settings, factory)
    return _context["publishers"]


def _dispatcher() -> Any:
    if "dispatcher" not in _context:
        from campaigns.schedule import Dispatcher

        settings, factory = _settings_and_factory()
        _context["dispatcher"] = Dispatcher(factory, _publishers(), settings, utcnow)  # type: ignore[arg-type]
    return _context["dispatcher"]


def publish_job() -> None:
    """Job: hand every approved post whose time has come to the publishing threads, once."""
    settings, _ = _settings_and_factory()
    dispatcher = _dispatcher()
    dispatcher.tick(horizon=timedelta(seconds=settings.publish_poll_seconds))
    result = dispatcher.take_result()
    if result.outcomes or result.missed or result.reconciled:
        log.info(
            "publish: %d published, %d to retry, %d failed, %d unknown, %d missed, %d looked up",
            result.published, result.retry, result.failed, result.unknown, result.missed,
            result.reconciled,
        )  # fmt: skip
    if result.failed or result.missed or result.unknown:
        log.warning("publish: some posts did not go out; the Calendar page says why")


def metrics_job() -> None:
    """Job: snapshot the figures of our recent posts (X, Facebook; demo figures on the console)."""
    from campaigns.metrics import collect

    settings, factory = _settings_and_factory()
    stored = collect(factory, _publishers(), utcnow(), days=settings.metrics_days,  # type: ignore[arg-type]
                     every=timedelta(minutes=settings.metrics_poll_minutes))  # fmt: skip
    if stored:
        log.info("metrics: %d snapshots", stored)


def campaign_jobs(settings: Settings) -> tuple[tuple[str, str, float, int], ...]:
    """Return the campaign jobs: (id, function reference, seconds between runs, max instances).

    The publish job only hands posts to the dispatcher's threads, so a slow platform call
    never holds up the next tick.
    """
    return (
        ("campaigns:publish", "scheduler:publish_job", settings.publish_poll_seconds, 1),
        ("campaigns:metrics", "scheduler:metrics_job", settings.metrics_poll_minutes * 60, 1),
    )


# Handling jobs: (id, function reference, seconds between runs).
HANDLING_JOBS = (
    ("handler:triage", "scheduler:triage_job", 30),
    ("handler:chatbot", "scheduler:chatbot_job", 15),
    ("handler:forward", "scheduler:forward_job", 60),
    ("handler:housekeeping", "scheduler:housekeeping_job", 60),
)


def build(
    settings: Settings,
    factory: sessionmaker[Session],
    *,
    persistent: bool = True,
    only: Sequence[str] | None = None,
    now: datetime | None = None,
) -> BackgroundScheduler:
    """Return a started scheduler whose jobs poll the enabled listeners (all, or `only`).

    Jobs of listeners that are no longer enabled are removed from a persistent store.
    """
    configure(settings, factory)
    store = (
        SQLAlchemyJobStore(engine=make_engine(settings.database_url))
        if persistent
        else MemoryJobStore()
    )
    scheduler = BackgroundScheduler(
        jobstores={"default": store},
        executors={"default": ThreadPoolExecutor(8)},
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 300},
        timezone="Asia/Jakarta",
    )
    scheduler.start()
    now = now or utcnow()
    wanted = {}
    for i, spec in enumerate(polled(settings)):
        if only and spec.name not in only:
            continue
        job_id = f"poll:{spec.name}"
        wanted[job_id] = spec
        scheduler.add_job(
            "scheduler:poll_job",
            "interval",
            args=[spec.name],
            id=job_id,
            name=spec.label,
            seconds=max(1, spec.interval(settings)),
            replace_existing=True,
            next_run_time=now + timedelta(seconds=i),  # stagger the first polls
        )
    if not only:
        scheduler.add_job(
            "scheduler:webhook_job",
            "interval",
            id="webhooks:pending",
            name="Webhook backlog",
            seconds=WEBHOOK_DRAIN_SECONDS,
            replace_existing=True,
            next_run_time=now,
        )
        wanted["webhooks:pending"] = None
        for job_id, func, seconds in HANDLING_JOBS:
            scheduler.add_job(
                func, "interval", id=job_id, name=job_id, seconds=seconds,
                replace_existing=True, next_run_time=now + timedelta(seconds=5),
            )  # fmt: skip
            wanted[job_id] = None
        for job_id, func, seconds, instances in campaign_jobs(settings):
            scheduler.add_job(
                func, "interval", id=job_id, name=job_id, seconds=seconds,
                max_instances=instances, replace_existing=True, next_run_time=now,
            )  # fmt: skip
            wanted[job_id] = None
    for job in scheduler.get_jobs():
        if job.id not in wanted:
            log.info("removing job %s: its listener is no longer enabled", job.id)
            job.remove()
    return scheduler


def run(settings: Settings, *, persistent: bool = True, only: Sequence[str] | None = None) -> None:
    """Run the scheduler in the foreground until SIGINT or SIGTERM."""
    factory = make_sessionmaker(make_engine(settings.database_url))
    for name in clear_stopped(factory):
        log.info("%s: was stopped; trying again with the current settings", name)
    scheduler = build(settings, factory, persistent=persistent, only=only)
    names = [job.id for job in scheduler.get_jobs()]
    log.info("scheduler running: %s", ", ".join(names) or "no listener enabled")
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    stop.wait()
    scheduler.shutdown(wait=True)
    if "dispatcher" in _context:  # let the calls in hand finish and settle
        _context.pop("dispatcher").close()
    log.info("scheduler stopped")


if __name__ == "__main__":
    from cli import main

    main(["scheduler"])
