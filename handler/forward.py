"""Forward submitted reports to a LAPOR! core endpoint: JSON, an idempotency key, retries.

With no LAPOR_LAPOR_CORE_URL nothing is sent: reports stay in our queue, which is the core.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any

import httpx
from sqlalchemy import or_, select
from sqlalchemy.orm import Session, sessionmaker

from core import audit
from core.casework import Report
from core.clock import as_utc
from core.db import transaction
from core.settings import Settings
from handler.reports import public_view

TIMEOUT_SECONDS = 30.0
BATCH = 100
ERROR_CHARS = 300
ACTOR = "forwarder"
WAITING = ("not_sent", "retry")


@dataclass(frozen=True, slots=True, kw_only=True)
class ForwardResult:
    """How many reports one run sent, put back for a retry, and gave up on."""

    sent: int = 0
    retry: int = 0
    failed: int = 0


def payload(report: Report) -> dict[str, Any]:
    """Return the JSON body for `report`: agency-facing text, masked as anonim/rahasia require."""
    view = public_view(report, audience="agency") or {}
    return {
        "tracking_id": report.tracking_id,
        "kind": report.kind,
        "sector": report.sector,
        "title": view.get("title", report.title),
        "description": view.get("description", ""),
        "location": report.location,
        "region_code": report.region_code,
        "agency_code": report.agency_code,
        "created_at": as_utc(report.created_at).isoformat(),
        "anonim": report.anonim,
        "rahasia": report.rahasia,
    }


def backoff(attempts: int, settings: Settings, rng: random.Random) -> timedelta:
    """Return the wait before attempt `attempts` + 1: doubling from retry_base_seconds up to
    retry_max_seconds, with jitter (between half and all of it) so retries do not bunch up.
    """
    delay = min(settings.retry_max_seconds, settings.retry_base_seconds * 2 ** max(attempts - 1, 0))
    return timedelta(seconds=delay / 2 + rng.uniform(0, delay / 2))


def _retry_after(response: httpx.Response, now: datetime) -> datetime | None:
    value = response.headers.get("Retry-After")
    if not value:
        return None
    if value.strip().isdigit():
        return now + timedelta(seconds=int(value))
    try:
        return as_utc(parsedate_to_datetime(value))
    except (TypeError, ValueError):
        return None


def _core_id(response: httpx.Response) -> str | None:
    try:
        body = response.json()
    except ValueError:
        return None
    if not isinstance(body, dict):
        return None
    found = body.get("core_id") or body.get("id")
    return None if found is None else str(found)


def _waiting(session: Session, now: datetime) -> list[int]:
    query = (
        select(Report.id)
        .where(
            Report.status != "draft",
            Report.forward_state.in_(WAITING),
            or_(Report.forward_next_at.is_(None), Report.forward_next_at <= now),
        )
        .order_by(Report.forward_next_at, Report.id)
        .limit(BATCH)
    )
    return list(session.scalars(query))


def forward_pending(
    factory: sessionmaker[Session],
    settings: Settings,
    now: datetime,
    client: httpx.Client | None = None,
    *,
    rng: random.Random | None = None,
) -> ForwardResult:
    """POST every submitted report waiting to be forwarded (and due) to lapor_core_url.

    2xx or 409 (the core has it already) -> "sent" with the core's id; 429, 5xx, timeouts and
    network errors -> "retry" at forward_next_at (backoff with jitter, or the Retry-After the
    core asks for); any other 4xx -> "failed" with the error. Returns the counts; never raises
    for a core that misbehaves. With no URL set it does nothing.
    """
    if not settings.lapor_core_url:
        return ForwardResult()
    rng = rng or random.Random()
    headers = {"Content-Type": "application/json"}
    if settings.lapor_core_token is not None and settings.lapor_core_token.get_secret_value():
        headers["Authorization"] = f"Bearer {settings.lapor_core_token.get_secret_value()}"
    own = client is None
    client = client or httpx.Client(timeout=TIMEOUT_SECONDS)
    counts = {"sent": 0, "retry": 0, "failed": 0}
    try:
        with factory() as session:
            ids = _waiting(session, now)
        for report_id in ids:
            state = _forward_one(factory, report_id, client, headers, settings, now, rng)
            if state in counts:
                counts[state] += 1
    finally:
        if own:
            client.close()
    return ForwardResult(**counts)


def _forward_one(
    factory: sessionmaker[Session],
    report_id: int,
    client: httpx.Client,
    headers: dict[str, str],
    settings: Settings,
    now: datetime,
    rng: random.Random,
) -> str | None:
    """Forward one report; return its new forward_state (None when someone else took it)."""
    with factory() as session:
        report = session.get(Report, report_id)
        if report is None or report.forward_state not in WAITING:
            return None
        body = payload(report)
    url = str(settings.lapor_core_url)
    retry_at: datetime | None = None
    core_id: str | None = None
    error: str | None
    try:
        response = client.post(
            url, json=body, headers=headers | {"Idempotency-Key": body["tracking_id"]}
        )
    except httpx.TimeoutException:
        state, error = "retry", "the LAPOR! core did not answer in time"
    except httpx.TransportError as exc:
        state, error = "retry", f"could not reach the LAPOR! core ({type(exc).__name__})"
    else:
        status = response.status_code
        if 200 <= status < 300 or status == 409:
            state, error, core_id = "sent", None, _core_id(response)
        elif status == 429 or status >= 500:
            state, error = "retry", f"the LAPOR! core answered HTTP {status}"
            retry_at = _retry_after(response, now)
        else:
            said = response.text[:ERROR_CHARS].strip() or "no detail given"
            state, error = "failed", f"the LAPOR! core refused the report (HTTP {status}): {said}"
    return _record(factory, report_id, state, error, core_id, retry_at, settings, now, rng)


def _record(
    factory: sessionmaker[Session],
    report_id: int,
    state: str,
    error: str | None,
    core_id: str | None,
    retry_at: datetime | None,
    settings: Settings,
    now: datetime,
    rng: random.Random,
) -> str | None:
    with transaction(factory) as session:
        report = session.get(Report, report_id, with_for_update=True)
        if report is None or report.forward_state not in WAITING:
            return None
        before = {"forward_state": report.forward_state, "core_id": report.core_id}
        report.forward_attempts += 1
        report.forward_state = state
        report.forward_error = settings.redact(error) if error else None
        if state == "sent":
            report.core_id = core_id or report.core_id
            report.forward_next_at = None
        elif state == "retry":
            wait = now + backoff(report.forward_attempts, settings, rng)
            report.forward_next_at = max(wait, retry_at) if retry_at else wait
        else:
            report.forward_next_at = None
        if state != "retry":  # a retry is not news on the timeline; the outcome is
            after = {"forward_state": state, "core_id": report.core_id}
            audit.record(session, entity="report", entity_id=report.id, action="forward",
                         actor=ACTOR, at=now, before=before, after=after,
                         note=report.forward_error)  # fmt: skip
        return state
