"""Read-only queries for the Inbox: ranked lead groups, their members, masked personal data."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from core.casework import (
    Lead,
)
from core.clock import as_utc
from core.models import Mention
from handler import routing

# The labels handler.pii.mask_pii writes, for masking by the spans stored on a lead.
PII_LABELS = {"nik": "[NIK]", "phone": "[TELEPON]", "email": "[EMAIL]"}


@dataclass(frozen=True, slots=True, kw_only=True)
class PiiSpan:
    """Where personal data sits in a mention's text."""

    type: str
    start: int
    end: int


@dataclass(frozen=True, slots=True, kw_only=True)
class InboxRow:
    """One group in the inbox, shown through its best lead (highest rank)."""

    lead_id: int
    cluster_id: int
    group_size: int
    state: str
    rank: float
    complaint_score: float
    kind: str | None
    kind_confidence: float
    sector: str | None
    sector_confidence: float
    urgency: str
    urgency_reason: str | None
    mention_id: int
    platform: str
    text: str
    author_handle: str | None
    author_name: str | None
    created_at: datetime
    url: str | None
    pii: tuple[PiiSpan, ...] = ()
    claimed_by: str | None = None
    lease_expires_at: datetime | None = None
    claim_active: bool = False
    agency_code: str | None = None
    unit_code: str | None = None
    routing_rule: str | None = None

    @property
    def pii_types(self) -> tuple[str, ...]:
        """The kinds of personal data found, each once, sorted."""
        return tuple(sorted({p.type for p in self.pii}))


@dataclass(frozen=True, slots=True, kw_only=True)
class MemberRow:
    """One lead of a group, with its mention."""

    lead_id: int
    state: str
    rank: float
    platform: str
    text: str
    author_handle: str | None
    created_at: datetime
    url: str | None
    claimed_by: str | None
    pii: tuple[PiiSpan, ...] = ()


def pii_spans(raw: Any) -> tuple[PiiSpan, ...]:
    out = []
    for item in raw or ():
        try:
            out.append(
                PiiSpan(type=str(item["type"]), start=int(item["start"]), end=int(item["end"]))
            )
        except (KeyError, TypeError, ValueError):
            continue  # a malformed flag must not hide the lead
    return tuple(sorted(out, key=lambda p: p.start))


def masked(text: str, spans: Sequence[PiiSpan]) -> str:
    """Return `text` with each stored personal-data span replaced by its label ("[TELEPON]")."""
    out, end = [], 0
    for p in sorted(spans, key=lambda p: p.start):
        if p.start < end or p.end > len(text):
            continue  # overlapping or stale flag: the earlier label already covers it
        out += [text[end : p.start], PII_LABELS.get(p.type, "[DATA PRIBADI]")]
        end = p.end
    return "".join(out) + text[end:]


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _suggester(session: Session) -> Callable[[str | None], routing.RouteChoice | None]:
    """Return routing.suggest for one page, cached per sector (leads carry no region yet)."""
    cache: dict[str | None, routing.RouteChoice | None] = {}

    def suggest(sector: str | None) -> routing.RouteChoice | None:
        if sector not in cache:
            cache[sector] = routing.suggest(session, sector, None) if sector else None
        return cache[sector]

    return suggest


def _active(expires: datetime | None, now: datetime) -> bool:
    return expires is not None and as_utc(expires) > as_utc(now)


def inbox(
    session: Session,
    *,
    now: datetime,
    states: Sequence[str] = ("open", "claimed"),
    sector: str | None = None,
    kind: str | None = None,
    min_score: float = 0.0,
    text: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> list[InboxRow]:
    """Return one row per group of leads in `states`, best lead first, ordered by rank (highest).

    Filters (sector, kind, complaint score at least `min_score`, text contained, any case) pick
    the lead that shows its group; the group size counts every member in `states`.
    """
    group = func.coalesce(Lead.cluster_id, Lead.id)
    pos = func.row_number().over(partition_by=group, order_by=(Lead.rank.desc(), Lead.id))
    matching = (
        select(Lead.id, Lead.rank, group.label("grp"), pos.label("pos"))
        .join(Mention, Mention.id == Lead.mention_id)
        .where(Lead.state.in_(list(states)), Lead.complaint_score >= min_score)
    )
    if sector:
        matching = matching.where(Lead.sector == sector)
    if kind:
        matching = matching.where(Lead.kind == kind)
    if text and text.strip():
        matching = matching.where(Mention.text.ilike(_like(text.strip()), escape="\\"))
    best = matching.subquery()
    sizes = (
        select(group.label("grp"), func.count().label("size"))
        .where(Lead.state.in_(list(states)))
        .group_by(group)
        .subquery()
    )
    stmt = (
        select(best.c.id, sizes.c.size)
        .join(sizes, sizes.c.grp == best.c.grp)
        .where(best.c.pos == 1)
        .order_by(best.c.rank.desc(), best.c.id)
        .limit(limit)
        .offset(offset)
    )
    picked = [(int(i), int(n)) for i, n in session.execute(stmt)]
    if not picked:
        return []
    loaded = {
        lead.id: (lead, mention)
        for lead, mention in session.execute(
            select(Lead, Mention)
            .join(Mention, Mention.id == Lead.mention_id)
            .where(Lead.id.in_([i for i, _ in picked]))
        )
    }
    suggest = _suggester(session)
    rows = []
    for lead_id, size in picked:
        lead, m = loaded[lead_id]
        route = suggest(lead.sector)
        rows.append(
            InboxRow(
                lead_id=lead.id,
                cluster_id=lead.cluster_id or lead.id,
                group_size=size,
                state=lead.state,
                rank=lead.rank,
                complaint_score=lead.complaint_score,
                kind=lead.kind,
                kind_confidence=lead.kind_confidence,
                sector=lead.sector,
                sector_confidence=lead.sector_confidence,
                urgency=lead.urgency,
                urgency_reason=lead.urgency_reason,
                mention_id=m.id,
                platform=m.platform,
                text=m.text,
                author_handle=m.author_handle,
                author_name=m.author_name,
                created_at=m.created_at,
                url=m.url,
                pii=pii_spans(lead.pii),
                claimed_by=lead.claimed_by,
                lease_expires_at=lead.lease_expires_at,
                claim_active=lead.state == "claimed" and _active(lead.lease_expires_at, now),
                agency_code=route.agency_code if route else None,
                unit_code=route.unit_code if route else None,
                routing_rule=route.rule_text if route else None,
            )
        )
    return rows


def cluster_members(session: Session, cluster_id: int) -> list[MemberRow]:
    """Return every lead of the group `cluster_id` (any state), highest rank first."""
    stmt = (
        select(Lead, Mention)
        .join(Mention, Mention.id == Lead.mention_id)
        .where(or_(Lead.cluster_id == cluster_id, Lead.id == cluster_id))
        .order_by(Lead.rank.desc(), Lead.id)
    )
    return [
        MemberRow(
            lead_id=lead.id,
            state=lead.state,
            rank=lead.rank,
            platform=m.platform,
            text=m.text,
            author_handle=m.author_handle,
            created_at=m.created_at,
            url=m.url,
            claimed_by=lead.claimed_by,
            pii=pii_spans(lead.pii),
        )
        for lead, m in session.execute(stmt)
    ]


def lead_sectors(session: Session) -> list[str]:
    """Return the sectors suggested for leads still in the queue, sorted."""
    stmt = (
        select(Lead.sector)
        .where(Lead.state.in_(("open", "claimed")), Lead.sector.is_not(None))
        .distinct()
        .order_by(Lead.sector)
    )
    return [sector for sector in session.scalars(stmt) if sector]
