"""Reports: claimed leads -> a routed, deadlined report in one step; lifecycle, follow-ups, views."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from core.casework import AuditEntry, Counter, FollowUp, Lead, Report, ReportMention
from core.clock import JAKARTA
from core.db import transaction
from core.errors import InputError
from core.models import Mention
from core.settings import Settings
from handler.followups import add_followup, record_feedback
from handler.reports import convert, public_view, set_agency, transition
from handler.routing import load_default

NOW = datetime(2026, 3, 17, 10, tzinfo=JAKARTA)  # Tuesday before Lebaran 2026
SETTINGS = Settings(_env_file=None)
NIK = "3578011203850004"
TEXT_1 = (
    "@LAPOR1708 jalan berlubang besar di Jl. Raya Darmo depan sekolah, sudah 2 minggu "
    "belum ditambal, bahaya buat motor https://t.co/abc"
)
TEXT_2 = f"sama min, lubangnya makin lebar. NIK saya {NIK}, hp 0812-3456-7890 kalau perlu"


def end_of(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 16, 59, 59, tzinfo=UTC)


def add_lead(
    session: Session, n: int, text: str, *, claimed_by: str | None = "sari", **lead: Any
) -> int:
    mention = Mention(
        platform="x", external_id=f"17000{n}", text=text, created_at=NOW, listener="x",
        retrieved_at=NOW, first_seen_at=NOW, author_id=f"u{n}", author_handle=f"warga{n}",
        conversation_id=f"c{n}",
    )  # fmt: skip
    session.add(mention)
    session.flush()
    row = Lead(
        mention_id=mention.id, triaged_at=NOW, updated_at=NOW, kind="pengaduan",
        sector="infrastruktur", complaint_score=0.9,
        state="claimed" if claimed_by else "open", claimed_by=claimed_by,
        lease_expires_at=NOW + timedelta(minutes=15) if claimed_by else None,
    )  # fmt: skip
    for name, value in lead.items():
        setattr(row, name, value)
    session.add(row)
    session.flush()
    return row.id


@pytest.fixture
def leads(factory: sessionmaker[Session]) -> list[int]:
    load_default(factory)
    with transaction(factory) as session:
        return [
            add_lead(session, 1, TEXT_1),
            add_lead(
                session, 2, TEXT_2, kind="aspirasi", pii=[{"type": "nik", "start": 24, "end": 40}]
            ),
        ]


def actions(factory: sessionmaker[Session], entity: str, entity_id: int) -> list[str]:
    with factory() as session:
        stmt = (
            select(AuditEntry.action)
            .where(AuditEntry.entity == entity, AuditEntry.entity_id == entity_id)
            .order_by(AuditEntry.id)
        )
        return list(session.scalars(stmt))


def test_convert_claimed_leads_into_one_routed_report(
    factory: sessionmaker[Session], leads: list[int]
) -> None:
    report = convert(factory, leads, actor="sari", settings=SETTINGS, now=NOW)
    assert report.tracking_id == "LPR-2026-000001"
    assert (report.status, report.kind, report.sector) == (
        "submitted",
        "pengaduan",
        "infrastruktur",
    )
    assert report.title == "jalan berlubang besar di Jl. Raya Darmo depan sekolah, sudah 2 minggu…"
    assert report.description == f"{TEXT_1}\n\n{TEXT_2}"
    assert report.anonim is True  # the second lead carries a NIK
    assert (report.reporter_platform, report.reporter_handle) == ("x", "warga1")
    assert (report.reporter_author_id, report.reporter_conversation_id) == ("u1", "c1")
    assert report.agency_code == "dinas-pu"
    assert report.routing_note == "infrastruktur + * -> dinas-pu (rule 1)"
    # 3 working days after Tuesday 17 March skip Nyepi, Idul Fitri and cuti bersama.
    assert report.verify_due == end_of(date(2026, 3, 27))
    assert report.resolve_due == end_of(date(2026, 4, 14))
    assert report.followup_due is None and report.close_due is None
    with factory() as session:
        linked = session.scalars(
            select(ReportMention.mention_id).order_by(ReportMention.mention_id)
        )
        assert list(linked) == [1, 2]
        for lead in session.scalars(select(Lead)):
            assert (lead.state, lead.report_id) == ("converted", report.id)
    assert actions(factory, "report", report.id) == ["create"]
    assert [actions(factory, "lead", i) for i in leads] == [["convert"], ["convert"]]


def test_the_handler_overrides_agency_kind_and_anonim(
    factory: sessionmaker[Session], leads: list[int]
) -> None:
    report = convert(factory, leads[::-1], actor="sari", settings=SETTINGS, now=NOW,
                     agency_code="DLH", anonim=False, title="Jalan rusak Darmo")  # fmt: skip
    assert report.kind == "aspirasi"  # now the first lead's suggestion
    assert report.resolve_due == end_of(date(2026, 3, 31))
    assert (report.agency_code, report.anonim, report.title) == ("dlh", False, "Jalan rusak Darmo")
    assert report.routing_note == "set by sari; suggested infrastruktur + * -> dinas-pu (rule 1)"
    assert report.reporter_handle == "warga2"


def test_conversion_is_refused_unless_the_actor_holds_every_lead(
    factory: sessionmaker[Session], leads: list[int]
) -> None:
    with transaction(factory) as session:
        other = add_lead(session, 3, "lampu jalan mati", claimed_by="budi")
        open_lead = add_lead(session, 4, "lampu jalan mati lagi", claimed_by=None)
    for ids, sentence in (
        ([leads[0], other], f"Lead {other} is not claimed by sari; claim it first."),
        ([open_lead], f"Lead {open_lead} is not claimed by sari; claim it first."),
        ([leads[0], 999], "Lead 999 does not exist."),
    ):
        with pytest.raises(InputError) as err:
            convert(factory, ids, actor="sari", settings=SETTINGS, now=NOW)
        assert str(err.value) == sentence
    with pytest.raises(InputError, match="not in the agency table"):
        convert(factory, leads, actor="sari", settings=SETTINGS, now=NOW, agency_code="nope")
    with factory() as session:  # nothing stored, no number used
        assert session.scalar(select(func.count()).select_from(Report)) == 0
        assert session.scalar(select(func.count()).select_from(Counter)) == 0
        assert {lead.state for lead in session.scalars(select(Lead))} == {"claimed", "open"}
    report = convert(factory, leads, actor="sari", settings=SETTINGS, now=NOW)
    assert report.tracking_id == "LPR-2026-000001"
    with pytest.raises(InputError, match="already been turned into a report"):
        convert(factory, leads[:1], actor="sari", settings=SETTINGS, now=NOW)


def test_lifecycle_followups_and_feedback(factory: sessionmaker[Session], leads: list[int]) -> None:
    report = convert(factory, leads[:1], actor="sari", settings=SETTINGS, now=NOW)
    rid = report.id
    with pytest.raises(InputError, match="from submitted to completed; next steps: verified"):
        transition(factory, rid, "completed", actor="sari", settings=SETTINGS, now=NOW)
    with pytest.raises(InputError, match="only a dispatched report takes a follow-up"):
        add_followup(factory, rid, "sudah ditambal", author="pu", now=NOW, settings=SETTINGS)
    verified = transition(factory, rid, "verified", actor="sari", settings=SETTINGS,
                          now=NOW + timedelta(hours=2))  # fmt: skip
    assert verified.followup_due == end_of(date(2026, 3, 31))  # 25-27, 30, 31 March
    dispatched = transition(factory, rid, "dispatched", actor="sari", settings=SETTINGS,
                            now=datetime(2026, 3, 25, 9, tzinfo=JAKARTA))  # fmt: skip
    assert dispatched.followup_due == end_of(date(2026, 4, 1))  # 26, 27, 30, 31 Mar, 1 Apr
    followup = add_followup(factory, rid, "Laporan Anda sedang kami proses.", author="pu",
                            now=datetime(2026, 3, 26, 9, tzinfo=JAKARTA), settings=SETTINGS)  # fmt: skip
    assert followup.normative and followup.agency_code == "dinas-pu"
    with factory() as session:
        stored = session.get(Report, rid)
        assert stored is not None and stored.status == "followed_up"
        assert stored.close_due == end_of(date(2026, 4, 10))  # 10 working days, 3 Apr off
    with pytest.raises(InputError, match="Only the reporter can answer"):
        record_feedback(factory, rid, channel="x", author_id="u9", rating="Puas", now=NOW)
    with pytest.raises(InputError, match="not a rating; choose one of: Sangat Puas, Puas"):
        record_feedback(factory, rid, channel="x", author_id="u1", rating="mantap", now=NOW)
    record_feedback(factory, rid, channel="x", author_id="u1", rating="Tidak Puas",
                    text="belum ditambal sama sekali", now=NOW)  # fmt: skip
    with factory() as session:
        stored = session.get(Report, rid)
        assert stored is not None and (stored.rating, stored.close_due) == ("tidak_puas", None)
    with pytest.raises(InputError, match="needs a note"):
        transition(factory, rid, "dispatched", actor="sari", settings=SETTINGS, now=NOW)
    back = transition(factory, rid, "dispatched", actor="sari", note="pelapor: belum ditambal",
                      settings=SETTINGS, now=datetime(2026, 4, 6, 9, tzinfo=JAKARTA))  # fmt: skip
    assert (back.status_reason, back.followup_due) == (
        "pelapor: belum ditambal",
        end_of(date(2026, 4, 13)),
    )
    real = (
        "Lubang di Jl. Raya Darmo depan sekolah sudah ditambal aspal oleh UPT Bina Marga "
        "pada 8 April pukul 10.00; foto terlampir."
    )
    assert not add_followup(factory, rid, real, author="pu", now=NOW, settings=SETTINGS).normative
    done = transition(factory, rid, "completed", actor="sari", settings=SETTINGS, now=NOW)
    assert done.finished_at == NOW
    assert actions(factory, "report", rid) == [
        "create", "status:verified", "status:dispatched", "status:followed_up", "feedback",
        "status:dispatched", "status:followed_up", "status:completed",
    ]  # fmt: skip


def test_a_follow_up_copied_from_another_report_is_flagged(
    factory: sessionmaker[Session], leads: list[int]
) -> None:
    template = (
        "Sehubungan dengan laporan saudara, petugas kami telah melakukan peninjauan lapangan dan "
        "hasilnya dilaporkan kepada pimpinan untuk penjadwalan perbaikan tahun anggaran berikutnya."
    )
    ids = []
    for lead_id in leads:
        report = convert(factory, [lead_id], actor="sari", settings=SETTINGS, now=NOW)
        for step in ("verified", "dispatched"):
            transition(factory, report.id, step, actor="sari", settings=SETTINGS, now=NOW)
        ids.append(report.id)
    first = add_followup(factory, ids[0], template, author="pu", now=NOW, settings=SETTINGS)
    second = add_followup(factory, ids[1], template, author="pu", now=NOW, settings=SETTINGS)
    assert not first.normative
    assert second.normative and (second.normative_reason or "").startswith("copy-paste")
    with factory() as session:
        assert session.scalar(select(func.count()).select_from(FollowUp)) == 2


def test_public_view_masks_and_hides_by_audience(
    factory: sessionmaker[Session], leads: list[int]
) -> None:
    report = convert(factory, leads, actor="sari", settings=SETTINGS, now=NOW)
    public = public_view(report, [TEXT_2], audience="public")
    assert public is not None and public["reporter"] is None
    assert NIK not in public["description"] and "0812-3456-7890" not in public["description"]
    assert "[NIK]" in public["mentions"][0]
    agency = public_view(report, audience="agency")
    assert agency is not None and agency["reporter"] is None and NIK not in agency["description"]
    handler = public_view(report, audience="handler")
    assert handler is not None and NIK in handler["description"]
    assert handler["reporter"]["author_id"] == "u1"
    with transaction(factory) as session:
        stored = session.get(Report, report.id)
        assert stored is not None
        stored.rahasia, stored.anonim = True, False
    with factory() as session:
        secret = session.get(Report, report.id)
    assert secret is not None
    assert public_view(secret, audience="public") is None
    assert public_view(secret, audience="agency")["reporter"] is None  # type: ignore[index]
    named = public_view(secret, audience="handler")
    assert named is not None and named["reporter"]["handle"] == "warga1"


def test_a_named_report_shows_its_reporter_in_public(
    factory: sessionmaker[Session], leads: list[int]
) -> None:
    report = convert(factory, leads[:1], actor="sari", settings=SETTINGS, now=NOW)
    assert report.anonim is False
    view = public_view(report, audience="public")
    assert view is not None and view["reporter"] == {"platform": "x", "handle": "warga1"}


def test_a_report_without_a_route_gets_its_agency_by_hand(
    factory: sessionmaker[Session],
) -> None:
    with transaction(factory) as session:  # no routing table loaded
        lead = add_lead(session, 5, "pohon tumbang menutup jalan di Kedungdoro")
    report = convert(factory, [lead], actor="sari", settings=SETTINGS, now=NOW)
    assert report.agency_code is None
    assert report.routing_note == "no routing rule matches infrastruktur + *; choose an agency"
    transition(factory, report.id, "verified", actor="sari", settings=SETTINGS, now=NOW)
    with pytest.raises(InputError, match="Choose an agency for LPR-2026-000001 before dispatching"):
        transition(factory, report.id, "dispatched", actor="sari", settings=SETTINGS, now=NOW)
    with pytest.raises(InputError, match="not in the agency table"):
        set_agency(factory, report.id, "bpbd", actor="sari", now=NOW)
    load_default(factory)
    routed = set_agency(factory, report.id, "BPBD", actor="sari", now=NOW)
    assert (routed.agency_code, routed.routing_note) == ("bpbd", "set by sari; suggested "
                                                         "infrastruktur + * -> dinas-pu (rule 1)")  # fmt: skip
    dispatched = transition(
        factory, report.id, "dispatched", actor="sari", settings=SETTINGS, now=NOW
    )
    assert dispatched.status == "dispatched"
    assert actions(factory, "report", report.id)[-2:] == ["route", "status:dispatched"]
