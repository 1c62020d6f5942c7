"""Read-only queries for the Reports page: the board with deadline clocks, timelines, counters."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from core.casework import (
    Agency,
    AuditEntry,
    Feedback,
    FollowUp,
    Lead,
    OutboundMessage,
    Report,
    ReportMention,
)
from core.clock import as_utc
from core.models import Mention
from core.settings import Settings
from handler import sla
from handler.views import PiiSpan, pii_spans

# The statuses sla.active_due gives a deadline for (the others have no running clock).
CLOCKED_STATES = ("submitted", "verified", "dispatched", "followed_up")
DUE_LABELS = {
    "verify_due": "verification",
    "followup_due": "agency follow-up",
    "resolve_due": "resolution",
    "close_due": "closing (reporter silent)",
}
CLOCKS = ("overdue", "due_today", "on_time")


@dataclass(frozen=True, slots=True, kw_only=True)
class BoardRow:
    """One report on the board with the clock of its next deadline."""

    report_id: int
    tracking_id: str
    title: str
    kind: str
    sector: str
    status: str
    agency_code: str | None
    priority: bool
    anonim: bool
    rahasia: bool
    reporter_platform: str | None
    created_at: datetime
    updated_at: datetime
    rating: str | None
    due_what: str | None  # a key of DUE_LABELS
    due_at: datetime | None
    clock: str | None  # "on_time" | "due_today" | "overdue"; None when nothing is due


@dataclass(frozen=True, slots=True, kw_only=True)
class TimelineItem:
    """One event in a report's life: a source mention, an action, a reply, a follow-up, feedback."""

    at: datetime
    kind: str  # mention | audit | reply | followup | feedback
    actor: str | None
    summary: str
    text: str | None = None
    normative: bool | None = None
    normative_reason: str | None = None
    pii: tuple[PiiSpan, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class Counts:
    """Headline counters for the inbox and the board."""

    leads_open: int
    leads_claimed: int
    reports_by_status: dict[str, int] = field(default_factory=dict)
    overdue: int = 0
    due_today: int = 0


def next_due(report: Report) -> tuple[str | None, datetime | None]:
    """Return (which deadline, when) the report runs against in its status, or (None, None)."""
    at = sla.active_due(report)
    if at is None:
        return None, None
    name = next(n for n in DUE_LABELS if getattr(report, n) == at)
    return name, as_utc(at)


def report_board(
    session: Session,
    *,
    now: datetime,
    settings: Settings,
    status: str | Sequence[str] | None = None,
    agency: str | None = None,
    clock: str | None = None,
) -> list[BoardRow]:
    """Return the reports with their next deadline's clock: overdue first, then by due time.

    `status` is one status or several; `clock` keeps "on_time", "due_today", "overdue" or
    "none" (nothing due). Reports with nothing due come last, newest change first.
    `settings` is taken for per-instansi limits; the deadlines themselves are stored.
    """
    stmt = select(Report)
    if status:
        stmt = stmt.where(Report.status.in_([status] if isinstance(status, str) else list(status)))
    if agency:
        stmt = stmt.where(Report.agency_code == agency)
    rows = []
    for r in session.scalars(stmt):
        what, at = next_due(r)
        state = sla.clock_state(at, now) if at is not None else None
        if clock and (state or "none") != clock:
            continue
        rows.append(
            BoardRow(
                report_id=r.id,
                tracking_id=r.tracking_id,
                title=r.title,
                kind=r.kind,
                sector=r.sector,
                status=r.status,
                agency_code=r.agency_code,
                priority=r.priority,
                anonim=r.anonim,
                rahasia=r.rahasia,
                reporter_platform=r.reporter_platform,
                created_at=r.created_at,
                updated_at=r.updated_at,
                rating=r.rating,
                due_what=what,
                due_at=at,
                clock=state,
            )
        )

    def order(b: BoardRow) -> tuple[Any, ...]:
        if b.clock is None:
            return (len(CLOCKS), 0.0, -b.updated_at.timestamp(), b.report_id)
        return (CLOCKS.index(b.clock), b.due_at.timestamp() if b.due_at else 0.0, 0, b.report_id)

    return sorted(rows, key=order)


def report(session: Session, report_id: int) -> Report | None:
    """Return the report (detached-safe: values loaded) or None when there is no such report."""
    return session.get(Report, report_id)


def agencies(session: Session) -> list[tuple[str, str]]:
    """Return (code, name) of every active agency and unit, by code."""
    stmt = select(Agency.code, Agency.name).where(Agency.active.is_(True)).order_by(Agency.code)
    return [(c, n) for c, n in session.execute(stmt)]


# The audited fields a timeline line names; deadlines and lease times stay in the audit log.
_SHOWN = ("status", "state", "claimed_by", "agency_code", "unit_code", "dismiss_reason",
          "cluster_id", "rating", "tracking_id")  # fmt: skip


def _audit_summary(e: AuditEntry) -> str:
    before, after = e.before or {}, e.after or {}
    moved = [
        f"{k}: {before[k]} → {after[k]}" if before.get(k) is not None else f"{k}: {after[k]}"
        for k in _SHOWN
        if k in after and before.get(k) != after[k]
    ]
    head = f"{e.entity} {e.action}"
    return f"{head} ({', '.join(moved)})" if moved else head


def report_timeline(session: Session, report_id: int) -> list[TimelineItem]:
    """Return the report's history in time order: source mentions, audited actions (of the
    report and of the leads it was made from), replies sent, follow-ups, feedback and ratings."""
    items: list[tuple[int, int, TimelineItem]] = []
    lead_pii = {}
    lead_ids = []
    for lead in session.scalars(select(Lead).where(Lead.report_id == report_id)):
        lead_ids.append(lead.id)
        lead_pii[lead.mention_id] = pii_spans(lead.pii)
    mentions = select(Mention).join(ReportMention, ReportMention.mention_id == Mention.id)
    for m in session.scalars(mentions.where(ReportMention.report_id == report_id)):
        who = f"@{m.author_handle}" if m.author_handle else m.author_name
        summary = f"mention on {m.platform}" + (f" by {who}" if who else "")
        pii = lead_pii.get(m.id, ())
        items.append((0, m.id, TimelineItem(at=m.created_at, kind="mention", actor=who,
                                            summary=summary, text=m.text, pii=pii)))  # fmt: skip
    audit = select(AuditEntry).where(
        or_(
            (AuditEntry.entity == "report") & (AuditEntry.entity_id == report_id),
            (AuditEntry.entity == "lead") & AuditEntry.entity_id.in_(lead_ids or [-1]),
        )
    )
    for e in session.scalars(audit):
        items.append((1, e.id, TimelineItem(at=e.at, kind="audit", actor=e.actor,
                                            summary=_audit_summary(e), text=e.note)))  # fmt: skip
    for o in session.scalars(select(OutboundMessage).where(OutboundMessage.report_id == report_id)):
        summary = f"reply on {o.platform} ({o.state})" + (f": {o.error}" if o.error else "")
        items.append((2, o.id, TimelineItem(at=o.sent_at or o.created_at, kind="reply",
                                            actor=o.created_by, summary=summary, text=o.text)))  # fmt: skip
    for f in session.scalars(select(FollowUp).where(FollowUp.report_id == report_id)):
        summary = f"follow-up from {f.agency_code or 'the agency'}"
        items.append((3, f.id, TimelineItem(
            at=f.created_at, kind="followup", actor=f.author, summary=summary, text=f.text,
            normative=f.normative, normative_reason=f.normative_reason)))  # fmt: skip
    for b in session.scalars(select(Feedback).where(Feedback.report_id == report_id)):
        summary = f"reporter on {b.channel}" + (f": rated {b.rating}" if b.rating else "")
        items.append((4, b.id, TimelineItem(at=b.created_at, kind="feedback", actor=b.author_id,
                                            summary=summary, text=b.text)))  # fmt: skip
    items.sort(key=lambda t: (as_utc(t[2].at), t[0], t[1]))
    return [item for _, _, item in items]


def counts(session: Session, now: datetime) -> Counts:
    """Return open leads (including claims whose lease ran out), leads held under a live
    claim, reports per status, and how many reports are overdue or due today."""
    held = (Lead.state == "claimed") & (Lead.lease_expires_at > now)
    lead_rows = session.execute(
        select(held.label("held"), func.count())
        .where(Lead.state.in_(("open", "claimed")))
        .group_by(held)
    ).all()
    claimed = sum(int(n) for h, n in lead_rows if h)
    opened = sum(int(n) for h, n in lead_rows if not h)
    by_status = dict(
        session.execute(select(Report.status, func.count()).group_by(Report.status)).all()
    )
    clocks: Counter[str] = Counter()
    active = select(Report).where(Report.status.in_(CLOCKED_STATES))
    for r in session.scalars(active):
        _, at = next_due(r)
        if at is not None:
            clocks[sla.clock_state(at, now)] += 1
    return Counts(
        leads_open=opened,
        leads_claimed=claimed,
        reports_by_status={s: int(n) for s, n in sorted(by_status.items())},
        overdue=clocks["overdue"],
        due_today=clocks["due_today"],
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class UncheckedReply:
    """A reply whose delivery nobody knows (a crash or a lost answer): a person must check."""

    id: int
    platform: str
    text: str
    created_at: datetime


def unchecked_replies(session: Session, report_id: int) -> list[UncheckedReply]:
    """Return the report's replies in state 'unknown', oldest first."""
    stmt = (
        select(OutboundMessage)
        .where(OutboundMessage.report_id == report_id, OutboundMessage.state == "unknown")
        .order_by(OutboundMessage.created_at, OutboundMessage.id)
    )
    return [
        UncheckedReply(id=o.id, platform=o.platform, text=o.text, created_at=o.created_at)
        for o in session.scalars(stmt)
    ]
