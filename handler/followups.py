"""Agencies' follow-ups (flagged when normative), the reporter's replies and ratings, silence."""

from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from core.casework import RATINGS, Feedback, FollowUp, Report
from core.db import transaction
from core.errors import InputError
from core.settings import Settings
from handler import lifecycle, quality
from handler.reports import audit_change, locked_report, transition

MAX_TEXT = 20_000  # a follow-up or reply longer than this is pasted by mistake


def _clean(text: str | None, what: str) -> str:
    text = (text or "").strip()
    if not text:
        raise InputError(f"The {what} is empty; write something.")
    if len(text) > MAX_TEXT:
        raise InputError(f"The {what} has {len(text):,} characters; the limit is {MAX_TEXT:,}.")
    return text


def add_followup(
    factory: sessionmaker[Session],
    report_id: int,
    text: str,
    *,
    agency_code: str | None = None,
    author: str,
    now: datetime,
    settings: Settings | None = None,
) -> FollowUp:
    """Store an agency's follow-up, flagged when normative; return it.

    A dispatched report moves to followed_up (a normative answer too: the coordinator sees
    the flag and can send it back); another follow-up on a followed_up report restarts the
    reporter's silence clock. Raises InputError for an empty or huge text or a report that
    is not dispatched or followed up.
    """
    text = _clean(text, "follow-up")
    settings = settings or Settings()
    with transaction(factory) as session:
        report = locked_report(session, report_id)
        if report.status not in ("dispatched", "followed_up"):
            raise InputError(
                f"Report {report.tracking_id} is {report.status}; only a dispatched report "
                "takes a follow-up."
            )
        agency_code = agency_code or report.agency_code
        earlier = session.scalars(
            select(FollowUp.text)
            .where(FollowUp.agency_code == agency_code, FollowUp.report_id != report.id)
            .order_by(FollowUp.created_at.desc())
            .limit(500)
        ).all()
        normative, reason = quality.is_normative(text, earlier)
        followup = FollowUp(
            report_id=report.id,
            agency_code=agency_code,
            author=author,
            text=text,
            normative=normative,
            normative_reason=reason,
            created_at=now,
        )
        session.add(followup)
        if report.status == "dispatched":
            lifecycle.advance(
                session,
                report,
                "followed_up",
                actor=author,
                note=reason,
                settings=settings,
                now=now,
            )
        else:
            before = lifecycle.snapshot(report)
            report.followed_up_at, report.updated_at = now, now
            lifecycle.refresh_deadlines(session, report, settings)
            after = lifecycle.snapshot(report)
            audit_change(
                session,
                report,
                "followup",
                actor=author,
                at=now,
                before=before,
                after=after,
                note=reason,
            )
        return followup


def parse_rating(value: str) -> str:
    """Return the stored rating for "Sangat Puas", "sangat_puas", "PUAS"...; raise InputError."""
    key = re.sub(r"[\s-]+", "_", value.strip().lower())
    if key not in RATINGS:
        shown = ", ".join(r.replace("_", " ").title() for r in RATINGS)
        raise InputError(f"'{value}' is not a rating; choose one of: {shown}.")
    return key


def record_feedback(
    factory: sessionmaker[Session],
    report_id: int,
    *,
    channel: str,
    author_id: str | None,
    text: str | None = None,
    rating: str | None = None,
    now: datetime,
) -> Feedback:
    """Store the reporter's reply or rating to a follow-up; return it.

    Outside the console only the reporter's own account (same platform and author id) may
    answer. A rating sets the report's rating. Any answer stops the silence clock (close_due
    cleared: the report no longer closes by itself); the handler then completes the report or
    sends it back to the agency. Raises InputError for neither text nor rating, a bad rating,
    a report with no follow-up yet, or someone else's account.
    """
    if text is None and rating is None:
        raise InputError("Give a reply or a rating.")
    text = _clean(text, "reply") if text is not None else None
    rating = parse_rating(rating) if rating is not None else None
    with transaction(factory) as session:
        report = locked_report(session, report_id)
        if report.followed_up_at is None:
            raise InputError(f"Report {report.tracking_id} has no follow-up to answer yet.")
        own = channel == report.reporter_platform and author_id == report.reporter_author_id
        if channel != "console" and not own:
            raise InputError(f"Only the reporter can answer report {report.tracking_id}.")
        feedback = Feedback(
            report_id=report.id,
            channel=channel,
            author_id=author_id,
            text=text,
            rating=rating,
            created_at=now,
        )
        session.add(feedback)
        before = lifecycle.snapshot(report)
        report.rating = rating or report.rating
        if report.status == "followed_up":
            report.close_due = None
        report.updated_at = now
        after = lifecycle.snapshot(report)
        actor = f"{channel}:{author_id}"
        audit_change(session, report, "feedback", actor=actor, at=now, before=before, after=after)
        return feedback


def close_silent(factory: sessionmaker[Session], settings: Settings, now: datetime) -> int:
    """Close followed-up reports whose reporter stayed silent past close_due; return how many."""
    with factory() as session:
        ids = session.scalars(
            select(Report.id).where(Report.status == "followed_up", Report.close_due < now)
        ).all()
    closed = 0
    for report_id in ids:
        try:
            transition(
                factory, report_id, "closed", actor="system", settings=settings, now=now,
                note=f"no reply within {settings.close_after_silent_working_days} working days",
            )  # fmt: skip
            closed += 1
        except InputError:
            pass  # answered or moved meanwhile
    return closed
