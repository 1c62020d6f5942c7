"""A report's lifecycle: which status may follow which, which steps need a reason, and the move."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from core import audit
from core.casework import REPORT_STATES, Report
from core.clock import local
from core.errors import InputError
from core.settings import Settings
from handler import sla

# draft -> submitted -> verified -> dispatched -> followed_up -> completed | closed, plus the
# side exits. followed_up -> dispatched sends the report back to the agency when the reporter
# disputes the follow-up or the coordinator finds it normative; it needs a reason, and the
# agency's follow-up clock starts again from the new dispatch.
ALLOWED: dict[str, tuple[str, ...]] = {
    "draft": ("submitted",),
    "submitted": ("verified", "rejected", "not_authorised"),
    "verified": ("dispatched", "rejected", "not_authorised"),
    "dispatched": ("followed_up", "not_authorised"),
    "followed_up": ("completed", "closed", "dispatched"),
    "completed": ("archived",),
    "closed": ("archived",),
    "rejected": ("archived",),
    "not_authorised": ("archived",),
    "archived": (),
}

# Steps that must say why: a rejection, "bukan wewenang", and a report sent back to the agency.
NEEDS_REASON: dict[tuple[str, str], str] = {
    ("submitted", "rejected"): "why the report is rejected",
    ("verified", "rejected"): "why the report is rejected",
    ("submitted", "not_authorised"): "which authority the report belongs to (bukan wewenang)",
    ("verified", "not_authorised"): "which authority the report belongs to (bukan wewenang)",
    ("dispatched", "not_authorised"): "which authority the report belongs to (bukan wewenang)",
    ("followed_up", "dispatched"): "why the follow-up goes back to the agency",
}

FINAL = frozenset(state for state, nexts in ALLOWED.items() if not nexts)


def next_steps(state: str) -> tuple[str, ...]:
    """Return the statuses a report in `state` may move to (empty for a final status).

    Raises InputError when `state` is not a report status.
    """
    _known(state)
    return ALLOWED[state]


def check(from_state: str, to_state: str, reason: str | None = None) -> None:
    """Return None when `from_state -> to_state` is allowed with this `reason`.

    Raises InputError with a sentence naming the allowed next steps, or asking for the reason.
    """
    _known(from_state)
    _known(to_state)
    nexts = ALLOWED[from_state]
    if to_state not in nexts:
        options = ", ".join(nexts) if nexts else f"none ({from_state} is final)"
        raise InputError(
            f"A report cannot go from {from_state} to {to_state}; next steps: {options}."
        )
    why = NEEDS_REASON.get((from_state, to_state))
    if why and not (reason or "").strip():
        raise InputError(f"Moving a report from {from_state} to {to_state} needs a note: {why}.")


def _known(state: str) -> None:
    if state not in ALLOWED:
        raise InputError(f"'{state}' is not a report status; statuses: {', '.join(REPORT_STATES)}.")


# Which timestamp a status sets; the final statuses all set finished_at.
STAMPS = {
    "submitted": "submitted_at",
    "verified": "verified_at",
    "dispatched": "dispatched_at",
    "followed_up": "followed_up_at",
    "completed": "finished_at",
    "closed": "finished_at",
    "rejected": "finished_at",
    "not_authorised": "finished_at",
}
# What an audit entry of a report shows before and after each action.
SNAPSHOT = (
    "status", "status_reason", "agency_code", "unit_code", "verify_due", "followup_due",
    "resolve_due", "close_due", "rating",
)  # fmt: skip


def snapshot(report: Report) -> dict[str, Any]:
    """Return the report fields an audit entry records."""
    return {name: getattr(report, name) for name in SNAPSHOT}


def refresh_deadlines(session: Session, report: Report, settings: Settings) -> None:
    """Set the report's deadlines from its step times (close_due only while followed_up)."""
    start = report.submitted_at or report.created_at
    years = {local(start).year, local(start).year + 1}
    dues = sla.deadlines(
        start,
        report.kind,
        report.priority,
        settings,
        sla.load_calendar(session, years),
        verified_at=report.verified_at,
        dispatched_at=report.dispatched_at,
        followed_up_at=report.followed_up_at if report.status == "followed_up" else None,
    )
    report.verify_due, report.followup_due = dues.verify_due, dues.followup_due
    report.resolve_due, report.close_due = dues.resolve_due, dues.close_due


def advance(
    session: Session,
    report: Report,
    to: str,
    *,
    actor: str,
    note: str | None,
    settings: Settings,
    now: datetime,
) -> None:
    """Move a (locked) report to `to` in the caller's transaction: stamp, deadlines, audit.

    Raises InputError when the step is not allowed, a needed note is missing, or a report
    without an agency would be dispatched.
    """
    check(report.status, to, note)
    if to == "dispatched" and not report.agency_code:
        raise InputError(f"Choose an agency for {report.tracking_id} before dispatching it.")
    before = snapshot(report)
    if to in STAMPS:
        setattr(report, STAMPS[to], now)
    if (report.status, to) in NEEDS_REASON:
        report.status_reason = (note or "").strip()
    report.status, report.updated_at = to, now
    refresh_deadlines(session, report, settings)
    audit.record(
        session,
        entity="report",
        entity_id=report.id,
        action=f"status:{to}",
        actor=actor,
        at=now,
        before=before,
        after=snapshot(report),
        note=note,
    )
