"""The triage pipeline: one lead per mention, personal data flagged, near-duplicates grouped, ranked."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from core.casework import Lead
from core.db import transaction
from core.models import Mention
from handler import service
from handler.queue import SqlLeadQueue
from handler.service import pending_count, triage_new_mentions
from handler.triage import Triage, rank

NOW = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)
FLOOD = "Banjir setinggi dada di Kel. Sukamaju, warga terjebak di atap rumah, mohon evakuasi segera"
ROAD = "Jalan Ahmad Yani depan pasar berlubang besar sudah tiga bulan, mohon segera diperbaiki pak"
CHAT = "Selamat pagi semua, semoga hari ini menyenangkan"


def fake_classify(texts: Sequence[str]) -> list[Triage]:
    """A stand-in for Triager.triage: words decide, so each test knows what to expect."""
    out = []
    for text in texts:
        lower = text.lower()
        complaint = "mohon" in lower or "tolong" in lower
        out.append(
            Triage(
                complaint_score=0.9 if complaint else 0.05,
                kind="pengaduan" if complaint else "aspirasi",
                kind_confidence=0.8,
                sector="bencana" if "banjir" in lower else "infrastruktur",
                sector_confidence=0.7,
                urgency="darurat" if "banjir" in lower else "normal",
                urgency_reason="banjir" if "banjir" in lower else None,
                lang="id",
                model_version="fake-1",
            )
        )
    return out


def add_mentions(factory, texts, *, start=0):
    with transaction(factory) as s:
        rows = [
            Mention(
                platform="x",
                external_id=str(start + i),
                text=text,
                created_at=NOW - timedelta(hours=1),
                listener="test",
                retrieved_at=NOW,
                first_seen_at=NOW,
            )
            for i, text in enumerate(texts)
        ]
        s.add_all(rows)
        s.flush()
        return [m.id for m in rows]


def leads_by_mention(factory):
    with transaction(factory) as s:
        return {lead.mention_id: lead for lead in s.scalars(select(Lead).order_by(Lead.id))}


def test_one_lead_per_mention_and_a_second_run_adds_none(factory):
    ids = add_mentions(factory, [ROAD, FLOOD, CHAT])
    assert pending_count(factory) == 3
    assert triage_new_mentions(factory, fake_classify, NOW) == 3
    assert triage_new_mentions(factory, fake_classify, NOW) == 0
    assert pending_count(factory) == 0
    leads = leads_by_mention(factory)
    assert sorted(leads) == ids
    flood = leads[ids[1]]
    assert (flood.state, flood.kind, flood.sector, flood.urgency, flood.urgency_reason) == (
        "open", "pengaduan", "bencana", "darurat", "banjir",
    )  # fmt: skip
    assert (flood.sector_confidence, flood.model_version, flood.triaged_at) == (0.7, "fake-1", NOW)
    more = add_mentions(factory, [ROAD + " lagi"], start=10)
    assert pending_count(factory) == 1
    assert triage_new_mentions(factory, fake_classify, NOW) == 1
    assert more[0] in leads_by_mention(factory)


def test_limit_takes_the_oldest_stored_first(factory):
    ids = add_mentions(factory, [f"{ROAD} nomor {i}" for i in range(5)])
    assert triage_new_mentions(factory, fake_classify, NOW, limit=3) == 3
    assert sorted(leads_by_mention(factory)) == ids[:3]
    assert pending_count(factory) == 2


def test_a_mention_triaged_meanwhile_elsewhere_keeps_its_one_lead(factory):
    ids = add_mentions(factory, [ROAD, CHAT])

    def racing(texts):
        # another process stores a lead for the first mention between our read and our write
        with transaction(factory) as s:
            s.add(Lead(mention_id=ids[0], rank=0.0, pii=[], triaged_at=NOW, updated_at=NOW))
        return fake_classify(texts)

    assert triage_new_mentions(factory, racing, NOW) == 1
    leads = leads_by_mention(factory)
    assert sorted(leads) == ids and leads[ids[0]].rank == 0.0


def test_personal_data_is_flagged_with_positions(factory):
    text = "Mohon bantu, NIK saya 3273012501900001, hp 081234567890, email sari.w@example.co.id"
    ids = add_mentions(factory, [text, ROAD])
    triage_new_mentions(factory, fake_classify, NOW)
    leads = leads_by_mention(factory)
    found = {p["type"]: text[p["start"] : p["end"]] for p in leads[ids[0]].pii}
    assert found["nik"] == "3273012501900001"
    assert "081234567890" in found["phone"]
    assert found["email"] == "sari.w@example.co.id"
    assert leads[ids[1]].pii == []


def test_near_duplicates_share_the_first_members_lead_id(factory):
    campaign = (
        "Tolong perbaiki jembatan gantung di Desa Sukamaju yang putus sejak banjir bulan lalu"
    )
    ids = add_mentions(factory, [campaign, ROAD, "RT @warga1: " + campaign, campaign + "!!"])
    triage_new_mentions(factory, fake_classify, NOW)
    leads = leads_by_mention(factory)
    first = leads[ids[0]].id
    assert [leads[i].cluster_id for i in ids] == [first, leads[ids[1]].id, first, first]
    # a later run joins the same group, also after the process index is rebuilt from the store
    later = add_mentions(factory, [campaign + " #BeraniLAPOR"], start=10)
    service._GROUPS.clear()
    triage_new_mentions(factory, fake_classify, NOW + timedelta(hours=2))
    assert leads_by_mention(factory)[later[0]].cluster_id == first


def test_leads_older_than_a_week_do_not_group_new_mentions(factory):
    (old,) = add_mentions(factory, [ROAD])
    triage_new_mentions(factory, fake_classify, NOW - timedelta(days=8))
    (new,) = add_mentions(factory, [ROAD], start=10)
    triage_new_mentions(factory, fake_classify, NOW)  # a day later than the index: rebuilt
    leads = leads_by_mention(factory)
    assert leads[new].cluster_id == leads[new].id != leads[old].cluster_id


def test_ranks_put_urgent_complaints_first_and_chatter_last(factory):
    ids = add_mentions(factory, [CHAT, ROAD, FLOOD])
    triage_new_mentions(factory, fake_classify, NOW)
    leads = leads_by_mention(factory)
    assert leads[ids[2]].rank > leads[ids[1]].rank > leads[ids[0]].rank
    assert [leads[i].rank for i in ids] == pytest.approx(
        [rank(t) for t in fake_classify([CHAT, ROAD, FLOOD])]
    )
    queue = SqlLeadQueue(factory)
    order = [queue.claim_next("sari", NOW).mention_id for _ in ids]
    assert order == [ids[2], ids[1], ids[0]]


def test_a_classifier_that_drops_texts_stores_nothing(factory):
    add_mentions(factory, [ROAD, CHAT])
    with pytest.raises(ValueError, match="1 results for 2 texts"):
        triage_new_mentions(factory, lambda texts: fake_classify(texts[:1]), NOW)
    assert leads_by_mention(factory) == {}
