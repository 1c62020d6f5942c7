"""The lead queue: leases, expiry, dismiss, merge, audit, and 8 workers claiming concurrently."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from core.audit import history
from core.casework import AuditEntry, Lead
from core.db import make_engine, make_sessionmaker, transaction
from core.errors import InputError
from core.models import Mention
from handler.queue import SqlLeadQueue

NOW = datetime(2026, 11, 23, 3, 27, tzinfo=UTC)  # 10:27 WIB; a 15-minute lease ends 10:42


def add_leads(factory, ranks, *, clusters=None):
    """Store one mention and one open lead per rank; return the lead ids in order."""
    clusters = clusters or [None] * len(ranks)
    with transaction(factory) as s:
        mentions = [
            Mention(
                platform="x",
                external_id=str(i),
                text=f"Jalan rusak nomor {i} mohon diperbaiki",
                created_at=NOW,
                listener="test",
                retrieved_at=NOW,
                first_seen_at=NOW,
            )
            for i in range(len(ranks))
        ]
        s.add_all(mentions)
        s.flush()
        leads = [
            Lead(mention_id=m.id, rank=r, cluster_id=c, pii=[], triaged_at=NOW, updated_at=NOW)
            for m, r, c in zip(mentions, ranks, clusters, strict=True)
        ]
        s.add_all(leads)
        s.flush()
        return [lead.id for lead in leads]


def get(factory, lead_id):
    with transaction(factory) as s:
        return s.get(Lead, lead_id)


def test_claim_next_takes_highest_rank_first_then_older(factory):
    ids = add_leads(factory, [0.2, 0.9, 0.5, 0.9])
    queue = SqlLeadQueue(factory)
    got = [queue.claim_next("sari", NOW).id for _ in range(4)]
    assert got == [ids[1], ids[3], ids[2], ids[0]]
    assert queue.claim_next("sari", NOW) is None
    lead = get(factory, ids[1])
    assert (lead.state, lead.claimed_by) == ("claimed", "sari")
    assert lead.lease_expires_at == NOW + timedelta(minutes=15)


def test_claim_of_a_lead_someone_holds_says_who_and_until_when(factory):
    (lead_id,) = add_leads(factory, [0.5])
    queue = SqlLeadQueue(factory)
    queue.claim(lead_id, "sari", NOW)
    with pytest.raises(InputError, match=f"^Lead {lead_id} is being handled by sari until 10:42.$"):
        queue.claim(lead_id, "budi", NOW + timedelta(minutes=5))
    assert get(factory, lead_id).claimed_by == "sari"
    # claiming one's own lead again renews it
    again = queue.claim(lead_id, "sari", NOW + timedelta(minutes=10))
    assert again.lease_expires_at == NOW + timedelta(minutes=25)
    with pytest.raises(InputError, match="does not exist"):
        queue.claim(999, "sari", NOW)


def test_expired_lease_returns_the_lead_to_the_queue(factory):
    ids = add_leads(factory, [0.9, 0.1])
    queue = SqlLeadQueue(factory, lease=timedelta(minutes=15))
    assert queue.claim_next("sari", NOW).id == ids[0]
    later = NOW + timedelta(minutes=16)
    assert queue.claim_next("budi", NOW + timedelta(minutes=14)).id == ids[1]
    taken = queue.claim_next("budi", later)
    assert taken.id == ids[0] and taken.claimed_by == "budi"
    with pytest.raises(InputError, match="being handled by budi"):
        queue.renew(ids[0], "sari", later)
    last = history_of(factory, ids[0])[-1]
    assert last.before["claimed_by"] == "sari" and last.after["claimed_by"] == "budi"
    # the scheduler's sweep reopens what nobody renewed
    assert queue.expire_leases(later + timedelta(hours=1)) == 2
    assert get(factory, ids[0]).state == "open"
    assert history_of(factory, ids[0])[-1].action == "lease_expired"


def test_renew_and_release_only_by_the_claimer(factory):
    (lead_id,) = add_leads(factory, [0.5])
    queue = SqlLeadQueue(factory)
    queue.claim(lead_id, "sari", NOW)
    with pytest.raises(InputError):
        queue.renew(lead_id, "budi", NOW)
    with pytest.raises(InputError):
        queue.release(lead_id, "budi", NOW)
    renewed = queue.renew(lead_id, "sari", NOW + timedelta(minutes=14))
    assert renewed.lease_expires_at == NOW + timedelta(minutes=29)
    released = queue.release(lead_id, "sari", NOW + timedelta(minutes=20))
    assert (released.state, released.claimed_by, released.lease_expires_at) == ("open", None, None)
    with pytest.raises(InputError, match="not claimed by you"):
        queue.release(lead_id, "sari", NOW)
    assert queue.claim_next("budi", NOW + timedelta(minutes=21)).id == lead_id


def test_dismiss_reasons_and_permissions(factory):
    a, b, c, d = add_leads(factory, [0.9, 0.8, 0.7, 0.6])
    queue = SqlLeadQueue(factory)
    queue.claim(b, "sari", NOW)
    with pytest.raises(InputError, match="choose one of: not_complaint, duplicate"):
        queue.dismiss([a], "budi", "boring", None, NOW)
    with pytest.raises(InputError, match="note"):
        queue.dismiss([a], "budi", "other", "  ", NOW)
    # all or nothing: b is sari's, so a stays open too
    with pytest.raises(InputError, match=f"Lead {b} is being handled by sari"):
        queue.dismiss([a, b], "budi", "spam", None, NOW)
    assert get(factory, a).state == "open"
    done = queue.dismiss([a, c], "budi", "bukan_wewenang", "urusan pemerintah pusat", NOW)
    assert [lead.id for lead in done] == [a, c]
    lead = get(factory, c)
    assert (lead.state, lead.dismiss_reason, lead.dismiss_note, lead.claimed_by) == (
        "dismissed", "bukan_wewenang", "urusan pemerintah pusat", "budi",
    )  # fmt: skip
    assert queue.dismiss([b], "sari", "duplicate", None, NOW)[0].dismiss_reason == "duplicate"
    with pytest.raises(InputError, match="was dismissed"):
        queue.claim(a, "sari", NOW)
    with pytest.raises(InputError, match="was dismissed"):
        queue.dismiss([a], "sari", "spam", None, NOW)
    assert queue.claim_next("sari", NOW).id == d
    assert queue.claim_next("sari", NOW) is None
    entry = history_of(factory, c)[-1]
    assert (entry.action, entry.actor, entry.note) == ("dismiss", "budi", "urusan pemerintah pusat")
    assert entry.before["state"] == "open" and entry.after["dismiss_reason"] == "bukan_wewenang"


def test_merge_moves_whole_groups_and_is_audited(factory):
    a, b, c, d, e = add_leads(factory, [0.5] * 5, clusters=[1, 1, 3, 3, None])
    queue = SqlLeadQueue(factory)
    moved = queue.merge([c, e], a, "sari", NOW)
    assert [lead.id for lead in moved] == [c, d, e]
    assert {get(factory, i).cluster_id for i in (a, b, c, d, e)} == {a}
    entry = history_of(factory, d)[-1]
    assert (entry.action, entry.before["cluster_id"], entry.after["cluster_id"]) == ("merge", 3, a)
    queue.claim(b, "budi", NOW)
    f, g = add_leads_more(factory, 2)
    with pytest.raises(InputError, match="being handled by budi"):
        queue.merge([b], f, "sari", NOW)
    assert get(factory, b).cluster_id == a
    assert [lead.id for lead in queue.merge([g], f, "sari", NOW)] == [f, g]  # f had no group


def add_leads_more(factory, n):
    with transaction(factory) as s:
        start = s.scalar(select(func.count()).select_from(Mention))
    with transaction(factory) as s:
        ids = []
        for i in range(start, start + n):
            m = Mention(platform="x", external_id=f"m{i}", text="t", created_at=NOW,
                        listener="test", retrieved_at=NOW, first_seen_at=NOW)  # fmt: skip
            s.add(m)
            s.flush()
            lead = Lead(mention_id=m.id, rank=0.1, pii=[], triaged_at=NOW, updated_at=NOW)
            s.add(lead)
            s.flush()
            ids.append(lead.id)
        return ids


def test_claim_next_skips_a_group_another_handler_holds(factory):
    a, b, c = add_leads(factory, [0.9, 0.8, 0.1], clusters=[1, 1, 3])
    queue = SqlLeadQueue(factory)
    assert queue.claim_next("sari", NOW).id == a
    assert queue.claim_next("budi", NOW).id == c  # b is in sari's group
    assert queue.claim_next("sari", NOW).id == b  # her own group is hers to take
    assert queue.claim(b, "sari", NOW).id == b


def history_of(factory, lead_id):
    with transaction(factory) as s:
        return history(s, "lead", lead_id)


def test_every_action_writes_who_when_before_after(factory):
    (lead_id,) = add_leads(factory, [0.5])
    queue = SqlLeadQueue(factory)
    queue.claim_next("sari", NOW)
    queue.renew(lead_id, "sari", NOW + timedelta(minutes=5))
    queue.release(lead_id, "sari", NOW + timedelta(minutes=6))
    entries = history_of(factory, lead_id)
    assert [(e.action, e.actor) for e in entries] == [
        ("claim", "sari"), ("renew", "sari"), ("release", "sari"),
    ]  # fmt: skip
    claim = entries[0]
    assert claim.at == NOW
    assert claim.before == {
        "state": "open", "claimed_by": None, "lease_expires_at": None,
        "dismiss_reason": None, "cluster_id": None,
    }  # fmt: skip
    assert claim.after["state"] == "claimed"
    assert claim.after["lease_expires_at"] == "2026-11-23T03:42:00+00:00"
    assert entries[1].after["lease_expires_at"] == "2026-11-23T03:47:00+00:00"
    assert entries[2].after["claimed_by"] is None


def test_eight_workers_claim_200_leads_each_exactly_once(db_url, factory):
    ids = add_leads(factory, [(i * 37) % 101 / 100 for i in range(200)])
    claimed: list[list[int]] = [[] for _ in range(8)]
    errors: list[BaseException] = []
    start = threading.Barrier(8)

    def work(n: int) -> None:
        engine = make_engine(db_url)  # each worker its own engine and sessions, as a process
        try:
            queue = SqlLeadQueue(make_sessionmaker(engine))
            start.wait()
            while (lead := queue.claim_next(f"h{n}", NOW)) is not None:
                claimed[n].append(lead.id)
        except BaseException as exc:  # reported below, so a worker's failure fails the test
            errors.append(exc)
        finally:
            engine.dispose()

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    every = [i for part in claimed for i in part]
    assert len(every) == len(set(every)) == 200
    assert sorted(every) == sorted(ids)
    with transaction(factory) as s:
        rows = s.execute(select(Lead.id, Lead.claimed_by).where(Lead.state == "claimed")).all()
        entries = s.scalar(select(func.count()).where(AuditEntry.action == "claim"))
    owner = {i: f"h{n}" for n, part in enumerate(claimed) for i in part}
    assert dict(rows) == owner
    assert entries == 200
