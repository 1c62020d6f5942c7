"""Console queries: the inbox ranks and groups leads, the board clocks reports, timelines order."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from core.casework import (
    AuditEntry,
    Feedback,
    FollowUp,
    Lead,
    OutboundMessage,
    Report,
    ReportMention,
    RoutingRule,
)
from core.db import transaction
from core.models import Mention
from core.settings import Settings
from handler import report_views, views

NOW = datetime(2026, 3, 10, 3, 0, tzinfo=UTC)  # Tuesday 10:00 WIB


def add_lead(s, eid, text, *, rank, cluster=None, state="open", sector="infrastruktur",
             kind="pengaduan", score=0.9, pii=(), claimed_by=None, lease=None,
             platform="x", minutes_ago=60, report_id=None):  # fmt: skip
    m = Mention(
        platform=platform,
        external_id=eid,
        text=text,
        created_at=NOW - timedelta(minutes=minutes_ago),
        author_handle=f"warga{eid}",
        url=f"https://x.com/warga{eid}/status/{eid}",
        listener="demo",
        retrieved_at=NOW,
        first_seen_at=NOW,
    )
    s.add(m)
    s.flush()
    lead = Lead(
        mention_id=m.id,
        state=state,
        complaint_score=score,
        kind=kind,
        kind_confidence=0.8,
        sector=sector,
        sector_confidence=0.7,
        urgency="normal",
        rank=rank,
        pii=[dict(p) for p in pii],
        cluster_id=cluster,
        triaged_at=NOW,
        claimed_by=claimed_by,
        lease_expires_at=lease,
        report_id=report_id,
        updated_at=NOW,
    )
    s.add(lead)
    s.flush()
    return lead


def add_report(s, tracking, *, status="submitted", agency="DINAS-PU", **due):
    r = Report(
        tracking_id=tracking,
        kind="pengaduan",
        sector="infrastruktur",
        title=f"Laporan {tracking}",
        description="Jalan rusak",
        status=status,
        agency_code=agency,
        created_by="sari",
        created_at=NOW - timedelta(days=5),
        updated_at=NOW - timedelta(days=1),
        **due,
    )
    s.add(r)
    s.flush()
    return r


def test_inbox_ranks_groups_by_their_best_lead_with_the_group_size(factory):
    with transaction(factory) as s:
        lone = add_lead(s, "1", "Lampu jalan mati di Rungkut", rank=0.5)
        head = add_lead(s, "2", "Banjir di Jl. Ahmad Yani", rank=0.7)
        best = add_lead(s, "3", "Banjir di Jl. Ahmad Yani!!", rank=0.95, cluster=head.id)
        add_lead(s, "4", "Banjir di Jl Ahmad Yani", rank=0.6, cluster=head.id)
        add_lead(s, "5", "sudah ditangani", rank=1.0, state="dismissed")
        s.add(RoutingRule(sector="infrastruktur", agency_code="DINAS-PU", position=1))
    with factory() as s:
        rows = views.inbox(s, now=NOW)
        members = views.cluster_members(s, head.id)
    assert [(r.lead_id, r.group_size, r.cluster_id) for r in rows] == [
        (best.id, 3, head.id),
        (lone.id, 1, lone.id),
    ]
    assert rows[0].text == "Banjir di Jl. Ahmad Yani!!" and rows[0].platform == "x"
    assert rows[0].url == "https://x.com/warga3/status/3"
    assert rows[0].created_at == NOW - timedelta(minutes=60)
    assert rows[0].agency_code == "DINAS-PU" and "infrastruktur" in rows[0].routing_rule
    assert [m.lead_id for m in members] == [best.id, head.id, head.id + 2]


def test_inbox_filters_and_pages(factory):
    with transaction(factory) as s:
        water = add_lead(s, "1", "PDAM mati 3 hari, 100% kering", rank=0.9, sector="infrastruktur")
        add_lead(s, "2", "KTP-el belum jadi", rank=0.8, sector="kependudukan", kind="aspirasi")
        add_lead(s, "3", "mantap pelayanannya", rank=0.7, score=0.2)
    with factory() as s:
        assert [r.sector for r in views.inbox(s, now=NOW, sector="kependudukan")] == [
            "kependudukan"
        ]
        assert [r.kind for r in views.inbox(s, now=NOW, kind="aspirasi")] == ["aspirasi"]
        assert len(views.inbox(s, now=NOW, min_score=0.5)) == 2
        assert [r.lead_id for r in views.inbox(s, now=NOW, text="pdam MATI")] == [water.id]
        assert [r.lead_id for r in views.inbox(s, now=NOW, text="100%")] == [water.id]
        assert views.inbox(s, now=NOW, text="_") == []  # taken literally, not as a wildcard
        first = views.inbox(s, now=NOW, limit=2)
        rest = views.inbox(s, now=NOW, limit=2, offset=2)
    assert [r.rank for r in first + rest] == [0.9, 0.8, 0.7]


def test_inbox_shows_personal_data_types_and_live_claims(factory):
    nik = {"type": "nik", "start": 10, "end": 26}
    phone = {"type": "phone", "start": 30, "end": 42}
    with transaction(factory) as s:
        add_lead(s, "1", "NIK saya 3578010101900001 hp 081234567890", rank=0.9,
                 pii=[phone, nik, dict(nik)], state="claimed", claimed_by="sari",
                 lease=NOW + timedelta(minutes=10))  # fmt: skip
        add_lead(s, "2", "Jalan rusak", rank=0.8, state="claimed", claimed_by="budi",
                 lease=NOW - timedelta(minutes=1))  # fmt: skip
    with factory() as s:
        held, lapsed = views.inbox(s, now=NOW)
        c = report_views.counts(s, NOW)
    assert held.pii_types == ("nik", "phone")
    assert [p.start for p in held.pii] == [10, 10, 30]
    assert (held.claimed_by, held.claim_active) == ("sari", True)
    assert held.lease_expires_at == NOW + timedelta(minutes=10)
    assert (lapsed.claimed_by, lapsed.claim_active) == ("budi", False)
    assert (c.leads_open, c.leads_claimed) == (1, 1)


def test_board_clocks_each_report_on_its_next_deadline(factory):
    with transaction(factory) as s:
        late = add_report(s, "LPR-2026-000001", verify_due=NOW - timedelta(days=2))
        today = add_report(s, "LPR-2026-000002", status="dispatched", agency="DINKES",
                           followup_due=NOW + timedelta(hours=5),
                           resolve_due=NOW + timedelta(days=9))  # fmt: skip
        fine = add_report(s, "LPR-2026-000003", status="verified",
                          followup_due=NOW + timedelta(days=4),
                          verify_due=NOW - timedelta(days=9))  # fmt: skip
        done = add_report(s, "LPR-2026-000004", status="completed",
                          resolve_due=NOW - timedelta(days=3))  # fmt: skip
    settings = Settings(_env_file=None)
    with factory() as s:
        board = report_views.report_board(s, now=NOW, settings=settings)
        overdue = report_views.report_board(s, now=NOW, settings=settings, clock="overdue")
        nothing_due = report_views.report_board(s, now=NOW, settings=settings, clock="none")
        dinkes = report_views.report_board(s, now=NOW, settings=settings, agency="DINKES")
        verified = report_views.report_board(s, now=NOW, settings=settings, status=["verified"])
        c = report_views.counts(s, NOW)
    assert [(b.report_id, b.clock, b.due_what) for b in board] == [
        (late.id, "overdue", "verify_due"),
        (today.id, "due_today", "followup_due"),
        (fine.id, "on_time", "followup_due"),  # a verified report no longer runs on verify_due
        (done.id, None, None),
    ]
    assert board[1].due_at == NOW + timedelta(hours=5)
    assert [b.report_id for b in overdue] == [late.id]
    assert [b.report_id for b in nothing_due] == [done.id]
    assert [b.tracking_id for b in dinkes] == ["LPR-2026-000002"]
    assert [b.report_id for b in verified] == [fine.id]
    assert (c.overdue, c.due_today) == (1, 1)
    assert c.reports_by_status == {"completed": 1, "dispatched": 1, "submitted": 1, "verified": 1}


def test_timeline_merges_mentions_actions_replies_followups_and_feedback_in_time_order(factory):
    def at(hours):
        return NOW - timedelta(days=2) + timedelta(hours=hours)

    with transaction(factory) as s:
        r = add_report(s, "LPR-2026-000009", status="followed_up")
        lead = add_lead(s, "7", "Jalan rusak di Lidah Wetan", rank=0.9, state="converted",
                        report_id=r.id, minutes_ago=3 * 24 * 60,
                        pii=[{"type": "phone", "start": 0, "end": 5}])  # fmt: skip
        s.add(ReportMention(report_id=r.id, mention_id=lead.mention_id))
        s.add_all([
            FollowUp(report_id=r.id, agency_code="DINAS-PU", author="pu",
                     text="Laporan Anda sedang kami proses.", normative=True,
                     normative_reason="boilerplate", created_at=at(30)),
            Feedback(report_id=r.id, channel="telegram", author_id="u1", rating="tidak_puas",
                     created_at=at(40)),
            OutboundMessage(idempotency_key="k1", report_id=r.id, platform="x",
                            text="Laporan Anda tercatat: LPR-2026-000009", state="sent",
                            created_by="sari", created_at=at(2), sent_at=at(3)),
            AuditEntry(entity="report", entity_id=r.id, action="transition", actor="sari",
                       at=at(20), before={"status": "dispatched"},
                       after={"status": "followed_up"}, note="jawaban dinas"),
            AuditEntry(entity="lead", entity_id=lead.id, action="claim", actor="sari",
                       at=at(1), before={"state": "open"}, after={"state": "claimed"}),
            AuditEntry(entity="report", entity_id=r.id + 1, action="transition", actor="x",
                       at=at(5), before={}, after={}),
        ])  # fmt: skip
    with factory() as s:
        items = report_views.report_timeline(s, r.id)
    assert [i.kind for i in items] == ["mention", "audit", "reply", "audit", "followup", "feedback"]
    assert items[0].text == "Jalan rusak di Lidah Wetan" and items[0].pii[0].type == "phone"
    assert items[1].summary == "lead claim (state: open → claimed)"
    assert items[3].text == "jawaban dinas" and "followed_up" in items[3].summary
    assert items[4].normative is True and items[4].normative_reason == "boilerplate"
    assert "tidak_puas" in items[5].summary
    assert items == sorted(items, key=lambda i: i.at)


def test_masked_replaces_each_flagged_span_by_its_label():
    text = "NIK 3578010101900001, hp 081234567890"
    spans = [
        views.PiiSpan(type="phone", start=25, end=37),
        views.PiiSpan(type="nik", start=4, end=20),
        views.PiiSpan(type="nik", start=4, end=20),  # flagged twice: masked once
    ]
    assert views.masked(text, spans) == "NIK [NIK], hp [TELEPON]"
    assert views.masked(text, []) == text
