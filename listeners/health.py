"""Channel health and the quarantine, as the console shows them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.clock import as_utc
from core.models import ListenerHealth, QuarantineItem
from core.settings import Settings
from listeners.registry import REGISTRY


@dataclass(frozen=True, slots=True, kw_only=True)
class ChannelStatus:
    """One channel's state for the console, with a sentence a person can act on."""

    name: str
    label: str
    configured: bool
    state: str  # off | waiting | ok | backoff | rate_limited | stopped
    sentence: str
    last_success_at: datetime | None = None
    last_count: int = 0
    retry_at: datetime | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class QuarantineRow:
    """One open quarantined item, its raw text shortened to a preview."""

    id: int
    listener: str
    reason: str
    received_at: datetime
    attempts: int
    preview: str


def _clock(value: datetime, now: datetime, zone: ZoneInfo) -> str:
    local = value.astimezone(zone)
    same_day = local.date() == as_utc(now).astimezone(zone).date()
    return local.strftime("%H:%M" if same_day else "%d %b %H:%M")


def _sentence(h: ListenerHealth | None, webhook: bool, now: datetime, zone: ZoneInfo) -> str:
    if h is None or h.state == "off":  # configured since the row was written
        return "on — waiting for the first " + ("webhook" if webhook else "poll")
    at = _clock(h.retry_at, now, zone) if h.retry_at else None
    last = h.last_poll_at or h.last_success_at
    if h.state == "ok" and last is not None:
        verb = "last update" if webhook else "last poll"
        return f"on — {verb} {_clock(last, now, zone)}, {h.last_count or 0} new"
    head = {
        "ok": "on",
        "rate_limited": f"rate-limited until {at}" if at else "rate-limited",
        "backoff": f"retrying at {at}" if at else "retrying",
    }.get(h.state, h.state)
    # The reset time says it all for a rate limit; otherwise the detail says what to fix.
    detail = "" if h.state == "rate_limited" and at else (h.detail or "")
    return f"{head} — {detail}" if detail else head


def listener_status(
    session: Session, settings: Settings, *, now: datetime, tz: str = "Asia/Jakarta"
) -> list[ChannelStatus]:
    """Return every registered channel: on or off and why, its last poll or wait, in `tz` time.

    Secret values of `settings` are masked even if a stored detail should contain one.
    """
    zone = ZoneInfo(tz)
    rows = {h.listener: h for h in session.scalars(select(ListenerHealth))}
    out = []
    for spec in REGISTRY.values():
        reason = spec.off_reason(settings)
        h = rows.get(spec.name)
        if reason is not None:
            state, sentence = "off", f"off — {reason}"
        else:
            state = h.state if h and h.state != "off" else "waiting"
            sentence = _sentence(h, spec.build is None, now, zone)
        out.append(
            ChannelStatus(
                name=spec.name,
                label=spec.label,
                configured=reason is None,
                state=state,
                sentence=settings.redact(sentence),
                last_success_at=h and h.last_success_at,
                last_count=(h and h.last_count) or 0,
                retry_at=h and h.retry_at,
            )
        )
    return out


def _preview(raw: str, chars: int) -> str:
    flat = " ".join(raw.split())
    return flat if len(flat) <= chars else flat[: chars - 1] + "…"


def open_quarantine(
    session: Session, limit: int = 50, *, preview_chars: int = 240
) -> list[QuarantineRow]:
    """Return the newest open (unresolved) quarantined items, raw text cut to `preview_chars`."""
    stmt = (
        select(*(getattr(QuarantineItem, c) for c in ("id", "listener", "reason", "raw")))
        .add_columns(QuarantineItem.received_at, QuarantineItem.attempts)
        .where(QuarantineItem.resolved_at.is_(None))
        .order_by(QuarantineItem.received_at.desc(), QuarantineItem.id.desc())
        .limit(limit)
    )
    return [
        QuarantineRow(
            id=q.id,
            listener=q.listener,
            reason=q.reason,
            received_at=q.received_at,
            attempts=q.attempts or 0,
            preview=_preview(q.raw, preview_chars),
        )
        for q in session.execute(stmt)
    ]


def count_open_quarantine(session: Session) -> int:
    """Return how many quarantined items are still open."""
    stmt = (
        select(func.count()).select_from(QuarantineItem).where(QuarantineItem.resolved_at.is_(None))
    )
    return int(session.scalar(stmt) or 0)
