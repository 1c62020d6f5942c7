"""Inbox page: ranked leads with suggestions and masked personal data; claim and dismiss."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from core.casework import Agency, AuditEntry, Lead, OutboundMessage, Report, RoutingRule
from core.clock import utcnow
from core.db import transaction
from core.models import Mention
from tests.pages.conftest import open_page

PHONE = "081234567890"
TEXT = f"Banjir setinggi lutut di Jl. Ahmad Yani, hubungi {PHONE}"



def add_lead(factory, eid, text, *, rank, pii=(), cluster=None, sector="infrastruktur"):
    now = utcnow()
    with transaction(factory) as s:
        m = Mention(platform="x", external_id=eid, text=text, author_handle=f"warga_{eid}",
                    created_at=now - timedelta(minutes=30), listener="demo", retrieved_at=now,
                    first_seen_at=now)  # fmt: skip
        s.add(m)
        s.flush()
        lead = Lead(mention_id=m.id, complaint_score=0.9, kind="pengaduan", kind_confidence=0.81,
                    sector=sector, sector_confidence=0.64, urgency="tinggi", rank=rank,
                    pii=list(pii), cluster_id=cluster, triaged_at=now, updated_at=now)  # fmt: skip
        s.add(lead)
        s.flush()
        return lead.id


def lead_row(factory, lead_id):
    with factory() as s:
        return s.get(Lead, lead_id)


def open_inbox():
    return open_page("pages/inbox.py")


def test_leads_show_best_first_with_suggestions_group_and_masked_personal_data(store):
    start = TEXT.index(PHONE)
    flood = add_lead(store, "1", TEXT, rank=0.9,
                     pii=[{"type": "phone", "start": start, "end": start + len(PHONE)}])  # fmt: skip
    add_lead(store, "2", "Banjir juga di Jl Ahmad Yani", rank=0.4, cluster=flood)
    add_lead(store, "3", "KTP-el saya belum jadi 3 bulan", rank=0.7, sector="kependudukan")
    at = open_inbox()

    texts = [t.value for t in at.text]
    assert texts[:2] == [TEXT.replace(PHONE, "[TELEPON]"), "KTP-el saya belum jadi 3 bulan"]
    assert PHONE not in " ".join(texts)
    heads = [m.value for m in at.markdown if "score" in m.value]
    assert "**pengaduan** 81%" in heads[0] and "**infrastruktur** 64%" in heads[0]
    assert "group of 2" in heads[0] and "personal data: phone" in heads[0]
    assert "Acting as **sari**" in [m.value for m in at.sidebar.markdown]

    at.toggle(key="reveal_pii").set_value(True).run()
    assert [t.value for t in at.text][0] == TEXT

    at.selectbox(key="inbox_sector").set_value("kependudukan").run()
    assert [t.value for t in at.text] == ["KTP-el saya belum jadi 3 bulan"]


def test_claim_takes_the_lead_for_the_handler_and_release_gives_it_back(store):
    lead_id = add_lead(store, "1", "Lampu jalan mati di Rungkut", rank=0.8)
    at = open_inbox()

    at.button(key=f"claim_{lead_id}").click().run()
    lead = lead_row(store, lead_id)
    assert (lead.state, lead.claimed_by) == ("claimed", "sari")
    assert lead.lease_expires_at > utcnow() + timedelta(minutes=14)
    assert at.success[0].value.startswith(f"Lead {lead_id} is yours until")
    assert any("claimed by **sari**" in c.value for c in at.caption)

    at.button(key=f"release_{lead_id}").click().run()
    lead = lead_row(store, lead_id)
    assert (lead.state, lead.claimed_by) == ("open", None)


def test_dismiss_with_a_reason_takes_the_whole_group_out_of_the_inbox(store):
    head = add_lead(store, "1", "Promo pulsa murah klik link", rank=0.5)
    copy = add_lead(store, "2", "Promo pulsa murah klik link!!", rank=0.3, cluster=head)
    keep = add_lead(store, "3", "Sampah menumpuk di TPS Keputih", rank=0.2)
    at = open_inbox()

    at.selectbox(key=f"dismiss_reason_{head}").set_value("spam").run()
    at.button(key=f"dismiss_{head}").click().run()
    assert [
        (lead_row(store, i).state, lead_row(store, i).dismiss_reason) for i in (head, copy)
    ] == [
        ("dismissed", "spam"),
        ("dismissed", "spam"),
    ]
    assert lead_row(store, keep).state == "open"
    assert [t.value for t in at.text] == ["Sampah menumpuk di TPS Keputih"]
    with store() as s:
        actions = s.scalars(select(AuditEntry.actor).where(AuditEntry.action == "dismiss")).all()
    assert actions == ["sari", "sari"]


def test_other_reason_without_a_note_is_refused_with_a_sentence(store):
    lead_id = add_lead(store, "1", "Jalan rusak", rank=0.5)
    at = open_inbox()
    at.selectbox(key=f"dismiss_reason_{lead_id}").set_value("other").run()
    at.button(key=f"dismiss_{lead_id}").click().run()
    assert lead_row(store, lead_id).state == "open"
    assert "note" in at.error[0].value


def test_convert_makes_a_report_from_the_group_then_the_reply_is_previewed_and_sent(store):
    start = TEXT.index(PHONE)
    head = add_lead(store, "1", TEXT, rank=0.9,
                    pii=[{"type": "phone", "start": start, "end": start + len(PHONE)}])  # fmt: skip
    copy = add_lead(store, "2", "Banjir juga di Jl Ahmad Yani", rank=0.4, cluster=head)
    with transaction(store) as s:
        s.add(Agency(code="dinas-pu", name="Dinas Pekerjaan Umum"))
        s.add(RoutingRule(sector="infrastruktur", agency_code="dinas-pu", position=1))
    at = open_inbox()

    at.button(key=f"convert_{head}").click().run()
    assert at.checkbox(key=f"cv_anonim_{head}").value is True  # personal data found
    assert at.selectbox(key=f"cv_kind_{head}").value == "pengaduan"
    at.text_input(key=f"cv_title_{head}").input("Banjir di Jl. Ahmad Yani")
    at.text_input(key=f"cv_location_{head}").input("Jl. Ahmad Yani, Surabaya")
    at.button(key=f"FormSubmitter:convert_{head}-Make report").click().run()
    assert not at.error, at.error[0].value

    with store() as s:
        (report,) = s.scalars(select(Report)).all()
        states = {lead.id: (lead.state, lead.report_id) for lead in s.scalars(select(Lead))}
    assert (report.title, report.location, report.anonim) == (
        "Banjir di Jl. Ahmad Yani",
        "Jl. Ahmad Yani, Surabaya",
        True,
    )
    assert (report.agency_code, report.created_by, report.status) == (
        "dinas-pu",
        "sari",
        "submitted",
    )
    assert states == {head: ("converted", report.id), copy: ("converted", report.id)}
    reply = at.text_area(key=f"reply_text_{report.id}").value
    assert report.tracking_id in reply and not at.text  # the inbox is empty now

    at.button(key="send_reply").click().run()
    with store() as s:
        (sent,) = s.scalars(select(OutboundMessage)).all()
    assert (sent.state, sent.text, sent.platform, sent.created_by) == ("sent", reply, "x", "sari")
    assert at.success[0].value == "Reply sent on X."


def test_merge_selected_puts_the_ticked_leads_in_one_group_and_pages_hold_25(store):
    first = add_lead(store, "a", "Jalan Raya Darmo berlubang", rank=0.99)
    second = add_lead(store, "b", "Darmo jalannya rusak parah", rank=0.98)
    for i in range(24):
        add_lead(store, f"n{i}", f"Keluhan nomor {i}", rank=0.5 - i / 100)
    at = open_inbox()
    assert len(at.text) == 25 and not at.button(key="inbox_next").disabled

    at.checkbox(key=f"pick_{first}").check()
    at.checkbox(key=f"pick_{second}").check()
    at.button(key="merge").click().run()
    with store() as s:
        assert s.get(Lead, second).cluster_id == first
    assert at.success[0].value == f"2 leads merged into the group of lead {first}."
    assert len(at.text) == 25 and at.button(key="inbox_next").disabled  # 26 leads in 25 groups
    assert any("group of 2" in m.value for m in at.markdown)
