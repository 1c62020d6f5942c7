"""Reports: convert claimed leads in one step, move them through the lifecycle, keep follow-ups."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from core import audit
from core.casework import KINDS, Agency, Lead, Report, ReportMention
from core.clock import local
from core.db import transaction
from core.errors import InputError
from core.models import Mention
from core.settings import Settings
from handler import lifecycle, routing, tracking
from handler.pii import mask_pii

TITLE_WORDS = 12
_LINK = re.compile(r"https?://\S+|(?<!\w)@\w+")
Audience = Literal["public", "agency", "handler"]


def make_title(text: str) -> str:
    """Return the first words of `text` as a title: links and @handles out, personal data masked."""
    words = mask_pii(_LINK.sub(" ", text)).split()
    title = " ".join(words[:TITLE_WORDS])[:120].rstrip(" ,.;:")
    return title + ("…" if len(words) > TITLE_WORDS or len(title) == 120 else "")


def _route(
    session: Session, sector: str, region: str | None, agency_code: str | None, actor: str
) -> tuple[str | None, str | None, str]:
    """Return (agency, unit, routing note): the rules' choice, or the handler's agency."""
    choice = routing.suggest(session, sector, region)
    if agency_code:
        agency_code = agency_code.strip().lower()
        if session.get(Agency, agency_code) is None:
            raise InputError(
                f"Agency '{agency_code}' is not in the agency table; "
                "import it with `lapor-social agencies import FILE`."
            )
        return (
            agency_code,
            None,
            f"set by {actor}" + (f"; suggested {choice.rule_text}" if choice else ""),
        )
    if choice:
        return choice.agency_code, choice.unit_code, choice.rule_text
    return None, None, f"no routing rule matches {sector} + {region or '*'}; choose an agency"


def audit_change(session: Session, row: Lead | Report, action: str, **entry: Any) -> None:
    entity = "lead" if isinstance(row, Lead) else "report"
    audit.record(session, entity=entity, entity_id=row.id, action=action, **entry)


def _claimed_leads(session: Session, lead_ids: Sequence[int], actor: str) -> list[Lead]:
    """Return the leads in the order given, row-locked in id order; each must be `actor`'s."""
    if not lead_ids:
        raise InputError("Choose at least one lead to turn into a report.")
    wanted = list(dict.fromkeys(lead_ids))
    stmt = select(Lead).where(Lead.id.in_(wanted)).order_by(Lead.id).with_for_update()
    by_id = {lead.id: lead for lead in session.scalars(stmt)}
    for lead_id in wanted:
        lead = by_id.get(lead_id)
        if lead is None:
            raise InputError(f"Lead {lead_id} does not exist.")
        if lead.state == "converted":
            raise InputError(f"Lead {lead_id} has already been turned into a report.")
        # As in the queue: an expired lease nobody else took is still the claimer's.
        if lead.state != "claimed" or lead.claimed_by != actor:
            raise InputError(f"Lead {lead_id} is not claimed by {actor}; claim it first.")
    return [by_id[i] for i in wanted]


def convert(
    factory: sessionmaker[Session],
    lead_ids: Sequence[int],
    *,
    actor: str,
    settings: Settings,
    now: datetime,
    kind: str | None = None,
    sector: str | None = None,
    title: str | None = None,
    location: str | None = None,
    region_code: str | None = None,
    anonim: bool | None = None,
    rahasia: bool = False,
    priority: bool = False,
    agency_code: str | None = None,
) -> Report:
    """Turn leads claimed by `actor` into one submitted report; return it.

    In one transaction: a tracking ID, kind and sector (the first lead's suggestions unless
    given), the mentions' texts as description, anonim suggested when a lead has personal
    data, the reporter from the first mention, the routing suggestion (or `agency_code`),
    deadlines, the leads marked converted, audit entries. Raises InputError (nothing stored)
    when a lead is missing, not claimed by `actor`, or a value is not usable.
    """
    with transaction(factory) as session:
        leads = _claimed_leads(session, lead_ids, actor)
        mention_ids = [lead.mention_id for lead in leads]
        found = session.scalars(select(Mention).where(Mention.id.in_(mention_ids)))
        by_id = {m.id: m for m in found}
        mentions = [by_id[i] for i in mention_ids]
        texts = list(dict.fromkeys(m.text.strip() for m in mentions if m.text.strip()))
        if not texts:
            raise InputError("The chosen leads have no text to report; dismiss them instead.")
        kind = kind or leads[0].kind or "pengaduan"
        if kind not in KINDS:
            raise InputError(f"'{kind}' is not a report kind; kinds: {', '.join(KINDS)}.")
        sector = (sector or leads[0].sector or "lainnya").strip().lower()
        region = routing.region_key(region_code) or None
        title = (title or "").strip() or make_title(texts[0])
        if len(title) > 300:
            raise InputError("The title is longer than 300 characters; shorten it.")
        agency_code, unit_code, note = _route(session, sector, region, agency_code, actor)
        first = mentions[0]
        report = Report(
            tracking_id=tracking.next_tracking_id(
                session, settings.tracking_prefix, local(now).year
            ),
            kind=kind,
            sector=sector,
            title=title,
            description="\n\n".join(texts),
            location=(location or "").strip() or None,
            region_code=region,
            anonim=any(lead.pii for lead in leads) if anonim is None else anonim,
            rahasia=rahasia,
            priority=priority,
            status="submitted",
            reporter_platform=first.platform,
            reporter_handle=first.author_handle,
            reporter_author_id=first.author_id,
            reporter_conversation_id=first.conversation_id,
            agency_code=agency_code,
            unit_code=unit_code,
            routing_note=note,
            created_by=actor,
            created_at=now,
            submitted_at=now,
            updated_at=now,
        )
        lifecycle.refresh_deadlines(session, report, settings)
        session.add(report)
        session.flush()
        session.add_all(ReportMention(report_id=report.id, mention_id=i) for i in mention_ids)
        for lead in leads:
            before = {"state": lead.state, "claimed_by": lead.claimed_by}
            lead.state, lead.report_id, lead.lease_expires_at = "converted", report.id, None
            lead.updated_at = now
            after = {"state": "converted", "report_id": report.id, "tracking": report.tracking_id}
            audit_change(session, lead, "convert", actor=actor, at=now, before=before, after=after)
        extra: dict[str, Any] = {
            "tracking_id": report.tracking_id,
            "leads": [lead.id for lead in leads],
        }
        extra |= {"kind": kind, "sector": sector, "anonim": report.anonim, "rahasia": rahasia}
        after = lifecycle.snapshot(report) | extra
        audit_change(
            session, report, "create", actor=actor, at=now, before={}, after=after, note=note
        )
        return report


def locked_report(session: Session, report_id: int) -> Report:
    stmt = select(Report).where(Report.id == report_id).with_for_update()
    report = session.scalars(stmt).one_or_none()
    if report is None:
        raise InputError(f"Report {report_id} does not exist.")
    return report


def transition(
    factory: sessionmaker[Session],
    report_id: int,
    to: str,
    *,
    actor: str,
    note: str | None = None,
    settings: Settings,
    now: datetime,
) -> Report:
    """Move a report to status `to`, stamp the time, recompute its deadlines, audit; return it.

    Raises InputError when the step is not allowed, a needed note is missing, or a report
    without an agency would be dispatched.
    """
    with transaction(factory) as session:
        report = locked_report(session, report_id)
        lifecycle.advance(session, report, to, actor=actor, note=note, settings=settings, now=now)
        return report


def set_agency(
    factory: sessionmaker[Session],
    report_id: int,
    agency_code: str,
    *,
    actor: str,
    now: datetime,
    unit_code: str | None = None,
) -> Report:
    """Route a report not yet dispatched to an agency (and unit) by hand, audited; return it.

    Raises InputError for an unknown agency or unit, or a report already dispatched (that one
    goes back through not_authorised, "bukan wewenang").
    """
    with transaction(factory) as session:
        report = locked_report(session, report_id)
        if report.status not in ("draft", "submitted", "verified"):
            raise InputError(
                f"Report {report.tracking_id} is {report.status}; only a report not yet "
                "dispatched can be routed by hand."
            )
        before = lifecycle.snapshot(report)
        agency, _, note = _route(session, report.sector, report.region_code, agency_code, actor)
        if unit_code and session.get(Agency, unit_code.strip().lower()) is None:
            raise InputError(f"Unit '{unit_code}' is not in the agency table.")
        report.agency_code, report.unit_code = agency, (unit_code or "").strip().lower() or None
        report.routing_note, report.updated_at = note, now
        after = lifecycle.snapshot(report)
        audit_change(session, report, "route", actor=actor, at=now, before=before, after=after)
        return report


def public_view(
    report: Report, mention_texts: Sequence[str] = (), *, audience: Audience = "public"
) -> dict[str, Any] | None:
    """Return what `audience` may see of a report, or None for a rahasia report and the public.

    "public" and "agency" get personal data masked and no reporter under anonim (agency also
    under rahasia; the reporter's handle in the text becomes "[PELAPOR]"); "handler" gets all.
    Raises InputError for an unknown audience.
    """
    if audience not in ("public", "agency", "handler"):
        raise InputError(f"Unknown audience '{audience}'; use public, agency or handler.")
    if audience == "public" and report.rahasia:
        return None
    hide = audience != "handler" and (report.anonim or report.rahasia)

    def show(text: str) -> str:
        if audience == "handler":
            return text
        if hide and report.reporter_handle:
            handle = re.escape(report.reporter_handle.lstrip("@"))
            text = re.sub(rf"@?\b{handle}\b", "[PELAPOR]", text, flags=re.IGNORECASE)
        return mask_pii(text)

    view: dict[str, Any] = {
        "tracking_id": report.tracking_id, "kind": report.kind, "sector": report.sector,
        "title": show(report.title), "description": show(report.description),
        "location": report.location, "region_code": report.region_code, "status": report.status,
        "agency_code": report.agency_code, "unit_code": report.unit_code,
        "anonim": report.anonim, "rahasia": report.rahasia, "rating": report.rating,
        "submitted_at": report.submitted_at, "resolve_due": report.resolve_due,
        "mentions": [show(t) for t in mention_texts],
        "reporter": None if hide else {
            "platform": report.reporter_platform, "handle": report.reporter_handle,
        },
    }  # fmt: skip
    if audience == "handler" and view["reporter"] is not None:
        view["reporter"] |= {
            "author_id": report.reporter_author_id,
            "conversation_id": report.reporter_conversation_id,
        }
    return view
