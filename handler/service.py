"""The triage pipeline: every new mention becomes one lead (suggestions, personal data, group, rank)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast
from weakref import WeakKeyDictionary

from sqlalchemy import Table, bindparam, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, sessionmaker

from core.casework import Lead
from core.db import transaction
from core.models import Mention
from handler.dedupe import NearDuplicateIndex
from handler.pii import find_pii
from handler.triage import Triage, rank

Classify = Callable[[Sequence[str]], list[Triage]]
LEADS = cast(Table, Lead.__table__)

CHUNK = 500  # mentions per transaction
WINDOW = timedelta(days=7)  # a new mention is grouped with the leads of the last 7 days
REBUILD_AFTER = timedelta(days=1)  # rebuild the index daily, so the window slides


@dataclass(slots=True)
class _Groups:
    """This process's near-duplicate index over one store's recent leads."""

    index: NearDuplicateIndex
    built_at: datetime
    cluster_of: dict[int, int]  # lead id -> its stored group (merges by handlers kept)


# One index per store (session factory) per process, built on first use.
_GROUPS: WeakKeyDictionary[sessionmaker[Session], _Groups] = WeakKeyDictionary()
_LOCK = threading.Lock()


def _groups(session: Session, factory: sessionmaker[Session], now: datetime) -> _Groups:
    groups = _GROUPS.get(factory)
    if groups is not None and timedelta(0) <= now - groups.built_at <= REBUILD_AFTER:
        return groups
    rows = session.execute(
        select(Lead.id, Lead.cluster_id, Mention.text)
        .join(Mention, Mention.id == Lead.mention_id)
        .where(Lead.triaged_at >= now - WINDOW)
        .order_by(Lead.id)
    ).all()
    index = NearDuplicateIndex()
    index.add_many((row.id, row.text or "") for row in rows)
    cluster_of = {row.id: row.cluster_id or row.id for row in rows}
    groups = _GROUPS[factory] = _Groups(index=index, built_at=now, cluster_of=cluster_of)
    return groups


def _untriaged() -> Any:
    return (
        select(Mention.id, Mention.text)
        .outerjoin(Lead, Lead.mention_id == Mention.id)
        .where(Lead.id.is_(None))
    )


def _insert(session: Session) -> Any:
    name = session.get_bind().dialect.name
    insert = postgresql.insert if name == "postgresql" else sqlite.insert
    return (
        insert(LEADS)
        .on_conflict_do_nothing(index_elements=["mention_id"])
        .returning(LEADS.c.id, LEADS.c.mention_id)
    )


def _row(mention_id: int, text: str, triage: Triage, now: datetime) -> dict[str, Any]:
    pii = [{"type": m.type, "start": m.start, "end": m.end} for m in find_pii(text)]
    return {
        "mention_id": mention_id,
        "state": "open",
        "complaint_score": triage.complaint_score,
        "kind": triage.kind,
        "kind_confidence": triage.kind_confidence,
        "sector": triage.sector,
        "sector_confidence": triage.sector_confidence,
        "urgency": triage.urgency,
        "urgency_reason": triage.urgency_reason,
        "lang": triage.lang,
        "rank": rank(triage),  # complaint score raised for urgency
        "pii": pii,
        "model_version": triage.model_version,
        "triaged_at": now,
        "updated_at": now,
    }


def _triage_chunk(
    factory: sessionmaker[Session], classify: Classify, now: datetime, size: int
) -> tuple[int, int]:
    """Triage up to `size` mentions without a lead; return (mentions seen, leads created)."""
    with transaction(factory) as session:
        found = session.execute(_untriaged().order_by(Mention.id).limit(size)).all()
    if not found:
        return 0, 0
    texts = [row.text or "" for row in found]
    # Classify outside a transaction: on SQLite a write transaction holds the store's one lock.
    triages = classify(texts)
    if len(triages) != len(texts):
        raise ValueError(f"classify returned {len(triages)} results for {len(texts)} texts")
    rows = [_row(m.id, text, t, now) for m, text, t in zip(found, texts, triages, strict=True)]
    text_of = {m.id: text for m, text in zip(found, texts, strict=True)}
    try:
        with transaction(factory) as session:
            groups = _groups(session, factory, now)
            # ON CONFLICT DO NOTHING: a mention another run triaged meanwhile keeps its one lead.
            created = sorted(session.execute(_insert(session), rows).all())
            firsts = groups.index.add_many((lead_id, text_of[mid]) for lead_id, mid in created)
            params = []
            for (lead_id, _), first in zip(created, firsts, strict=True):
                cluster = groups.cluster_of.setdefault(lead_id, groups.cluster_of.get(first, first))
                params.append({"b_id": lead_id, "b_cluster": cluster})
            if params:
                stmt = (
                    update(LEADS)
                    .where(LEADS.c.id == bindparam("b_id"))
                    .values(cluster_id=bindparam("b_cluster"))
                )
                session.connection().execute(stmt, params)
    except BaseException:
        _GROUPS.pop(factory, None)  # the index holds ids that were rolled back: rebuild it
        raise
    return len(found), len(created)


def triage_new_mentions(
    factory: sessionmaker[Session],
    classify: Classify,
    now: datetime,
    *,
    limit: int = 2000,
) -> int:
    """Make one lead for each mention that has none (oldest stored first, at most `limit`).

    Each lead gets the triage `classify` suggests (complaint score, kind, sector, urgency, each
    with its confidence), the personal data found in its text, its near-duplicate group
    (cluster_id: the lead id of the group's first member, among the leads of the last 7 days)
    and its rank. One transaction per chunk of 500; running it twice, or in two processes at
    once, never gives a mention two leads. Returns how many leads were created.
    Raises ValueError when `classify` returns a different number of results than texts.
    """
    created = 0
    seen = 0
    with _LOCK:  # one triage run at a time per process: the index is shared
        while seen < limit:
            size = min(CHUNK, limit - seen)
            got, made = _triage_chunk(factory, classify, now, size)
            seen += got
            created += made
            if got < size:
                break
    return created


def pending_count(factory: sessionmaker[Session]) -> int:
    """Return how many stored mentions have no lead yet."""
    with transaction(factory) as session:
        stmt = select(func.count()).select_from(_untriaged().subquery())
        return int(session.execute(stmt).scalar_one())
