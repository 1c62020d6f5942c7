"""Models of the handler's work: leads (triaged mentions), reports, routing, follow-ups, replies, audit."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from core.models import Base, BigId, Json

# Values stored as plain strings (readable in SQL, stable across versions).
KINDS = ("pengaduan", "aspirasi", "permintaan_informasi")
LEAD_STATES = ("open", "claimed", "converted", "dismissed")
DISMISS_REASONS = ("not_complaint", "duplicate", "spam", "bukan_wewenang", "other")
REPORT_STATES = (
    "draft", "submitted", "verified", "dispatched", "followed_up", "completed", "closed",
    "rejected", "not_authorised", "archived",
)  # fmt: skip
RATINGS = ("sangat_puas", "puas", "cukup_puas", "tidak_puas")


class Lead(Base):
    """A triaged mention in the handler's queue: suggestions, personal-data flags, group, claim."""

    __tablename__ = "leads"
    __table_args__ = (
        Index("ix_leads_queue", "state", "rank"),
        Index("ix_leads_cluster", "cluster_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    mention_id: Mapped[int] = mapped_column(ForeignKey("mentions.id"), unique=True)
    state: Mapped[str] = mapped_column(String(20), default="open")
    # Triage: every suggestion with its confidence in [0, 1].
    complaint_score: Mapped[float] = mapped_column(Float, default=0.0)
    kind: Mapped[str | None] = mapped_column(String(30))
    kind_confidence: Mapped[float] = mapped_column(Float, default=0.0)
    sector: Mapped[str | None] = mapped_column(String(40))
    sector_confidence: Mapped[float] = mapped_column(Float, default=0.0)
    urgency: Mapped[str] = mapped_column(String(20), default="normal")  # darurat|tinggi|normal
    urgency_reason: Mapped[str | None] = mapped_column(Text)
    lang: Mapped[str | None] = mapped_column(String(12))
    rank: Mapped[float] = mapped_column(Float, default=0.0)  # higher first in the inbox
    pii: Mapped[list[dict[str, Any]]] = mapped_column(
        Json, default=list
    )  # [{"type", "start", "end"}]
    cluster_id: Mapped[int | None] = mapped_column(BigInteger)  # the group's first lead id
    model_version: Mapped[str | None] = mapped_column(String(60))
    triaged_at: Mapped[datetime]
    # Queue: a claim is a lease that expires.
    claimed_by: Mapped[str | None] = mapped_column(String(120))
    lease_expires_at: Mapped[datetime | None]
    dismiss_reason: Mapped[str | None] = mapped_column(String(40))
    dismiss_note: Mapped[str | None] = mapped_column(Text)
    report_id: Mapped[int | None] = mapped_column(ForeignKey("reports.id"))
    updated_at: Mapped[datetime]


class Agency(Base):
    """An instansi or one of its units (parent_code set), with the region it serves."""

    __tablename__ = "agencies"

    code: Mapped[str] = mapped_column(String(60), primary_key=True)
    name: Mapped[str] = mapped_column(String(300))
    parent_code: Mapped[str | None] = mapped_column(String(60))
    region_code: Mapped[str | None] = mapped_column(String(20))
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class RoutingRule(Base):
    """Sector + region prefix -> agency (and unit); the most specific, then lowest order wins."""

    __tablename__ = "routing_rules"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    sector: Mapped[str] = mapped_column(String(40))  # a sector slug or "*"
    region_prefix: Mapped[str] = mapped_column(String(20), default="")  # "" matches any region
    agency_code: Mapped[str] = mapped_column(String(60))
    unit_code: Mapped[str | None] = mapped_column(String(60))
    position: Mapped[int] = mapped_column(Integer, default=0)
    note: Mapped[str | None] = mapped_column(Text)


class Report(Base):
    """A LAPOR! report made from one mention or a group, with its status and deadlines."""

    __tablename__ = "reports"
    __table_args__ = (
        Index("ix_reports_status", "status"),
        Index("ix_reports_agency", "agency_code"),
        Index("ix_reports_created_at", "created_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    tracking_id: Mapped[str] = mapped_column(String(30), unique=True)
    kind: Mapped[str] = mapped_column(String(30))
    sector: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text)  # as the citizen wrote it (internal)
    location: Mapped[str | None] = mapped_column(Text)
    region_code: Mapped[str | None] = mapped_column(String(20))
    anonim: Mapped[bool] = mapped_column(Boolean, default=False)
    rahasia: Mapped[bool] = mapped_column(Boolean, default=False)
    priority: Mapped[bool] = mapped_column(Boolean, default=False)  # Covid-like: calendar days
    status: Mapped[str] = mapped_column(String(20), default="draft")
    status_reason: Mapped[str | None] = mapped_column(Text)
    # The reporter, as reachable on the channel the report came from.
    reporter_platform: Mapped[str | None] = mapped_column(String(20))
    reporter_handle: Mapped[str | None] = mapped_column(String(200))
    reporter_author_id: Mapped[str | None] = mapped_column(String(120))
    reporter_conversation_id: Mapped[str | None] = mapped_column(String(120))
    # Routing: the suggestion with the rule that chose it, and what the handler kept.
    agency_code: Mapped[str | None] = mapped_column(String(60))
    unit_code: Mapped[str | None] = mapped_column(String(60))
    routing_note: Mapped[str | None] = mapped_column(Text)
    # Deadlines (UTC instants computed in Asia/Jakarta working days).
    created_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime]
    submitted_at: Mapped[datetime | None]
    verified_at: Mapped[datetime | None]
    dispatched_at: Mapped[datetime | None]
    followed_up_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    verify_due: Mapped[datetime | None]
    followup_due: Mapped[datetime | None]
    resolve_due: Mapped[datetime | None]
    close_due: Mapped[datetime | None]
    rating: Mapped[str | None] = mapped_column(String(20))
    # Forwarding to the LAPOR! core API.
    forward_state: Mapped[str] = mapped_column(String(20), default="not_sent")
    forward_attempts: Mapped[int] = mapped_column(Integer, default=0)
    forward_next_at: Mapped[datetime | None]
    forward_error: Mapped[str | None] = mapped_column(Text)
    core_id: Mapped[str | None] = mapped_column(String(120))
    updated_at: Mapped[datetime]


class ReportMention(Base):
    """Which mentions a report was made from."""

    __tablename__ = "report_mentions"

    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id"), primary_key=True)
    mention_id: Mapped[int] = mapped_column(ForeignKey("mentions.id"), primary_key=True)


class FollowUp(Base):
    """An agency's answer to a report, flagged when it is normative (boilerplate)."""

    __tablename__ = "followups"
    __table_args__ = (Index("ix_followups_report", "report_id", "created_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id"))
    agency_code: Mapped[str | None] = mapped_column(String(60))
    author: Mapped[str] = mapped_column(String(120))
    text: Mapped[str] = mapped_column(Text)
    normative: Mapped[bool] = mapped_column(Boolean, default=False)
    normative_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]


class Feedback(Base):
    """The reporter's reply to a follow-up, or a satisfaction rating, from the chatbot or console."""

    __tablename__ = "feedback"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id"))
    channel: Mapped[str] = mapped_column(String(20))
    author_id: Mapped[str | None] = mapped_column(String(120))
    text: Mapped[str | None] = mapped_column(Text)
    rating: Mapped[str | None] = mapped_column(String(20))
    created_at: Mapped[datetime]


class OutboundMessage(Base):
    """A reply sent (or to send) to a citizen; the idempotency key makes a send happen once."""

    __tablename__ = "outbound_messages"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    report_id: Mapped[int | None] = mapped_column(ForeignKey("reports.id"))
    platform: Mapped[str] = mapped_column(String(20))
    recipient: Mapped[str | None] = mapped_column(String(200))  # chat/user id or handle
    in_reply_to: Mapped[str | None] = mapped_column(String(120))  # platform id of the mention
    text: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(20), default="pending")  # pending|sent|failed
    external_id: Mapped[str | None] = mapped_column(String(120))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]


class AuditEntry(Base):
    """Who did what to which lead or report, when, with the values before and after."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_entity", "entity", "entity_id", "at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    entity: Mapped[str] = mapped_column(String(20))  # lead | report
    entity_id: Mapped[int] = mapped_column(BigInteger)
    action: Mapped[str] = mapped_column(String(40))
    actor: Mapped[str] = mapped_column(String(120))
    at: Mapped[datetime]
    before: Mapped[dict[str, Any]] = mapped_column(default=dict)
    after: Mapped[dict[str, Any]] = mapped_column(default=dict)
    note: Mapped[str | None] = mapped_column(Text)


class HolidayOverride(Base):
    """A day a late decree made a holiday / cuti bersama (off) or a working day (on)."""

    __tablename__ = "holiday_overrides"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    off: Mapped[bool] = mapped_column(Boolean, default=True)
    name: Mapped[str] = mapped_column(String(200))


class Counter(Base):
    """Named counters (tracking-ID sequence per year), bumped with one atomic UPDATE."""

    __tablename__ = "counters"

    name: Mapped[str] = mapped_column(String(60), primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger, default=0)
