"""The mention store: idempotent on (platform, external_id), raw kept, cursor in the same transaction."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from core.models import ListenerCursor, Mention, MentionHashtag, QuarantineItem

Cursor = dict[str, Any]

_HASHTAG = re.compile(r"(?<![\w&])#(\w{1,139})", re.UNICODE)
_HANDLE = re.compile(r"(?<![\w@])@(\w{1,50})", re.UNICODE)
_CHUNK = 500  # keys per IN (...) and rows per INSERT statement


def extract_hashtags(text: str) -> tuple[str, ...]:
    """Return the hashtags in `text` without '#', in order, first spelling kept, no repeats."""
    seen: dict[str, str] = {}
    for tag in _HASHTAG.findall(text or ""):
        if not tag.isdigit():
            seen.setdefault(tag.lower(), tag)
    return tuple(seen.values())


def extract_handles(text: str) -> tuple[str, ...]:
    """Return the @handles in `text` without '@', in order, no repeats."""
    return tuple(dict.fromkeys(_HANDLE.findall(text or "")))


@dataclass(frozen=True, slots=True, kw_only=True)
class MentionIn:
    """A mention as a listener parsed it, before it is stored."""

    platform: str
    external_id: str
    text: str
    created_at: datetime
    kind: str = "post"
    conversation_id: str | None = None
    reply_to_id: str | None = None
    author_id: str | None = None
    author_handle: str | None = None
    author_name: str | None = None
    lang: str | None = None
    url: str | None = None
    hashtags: tuple[str, ...] = ()
    mentioned: tuple[str, ...] = ()
    metrics: Mapping[str, Any] = field(default_factory=dict)
    media_urls: tuple[str, ...] = ()
    raw: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True, kw_only=True)
class BadItem:
    """An item a listener could not parse: its raw text and why."""

    raw: str
    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Batch:
    """What one poll returns: mentions, bad items, and the cursor that covers them.

    `next_cursor` None means the cursor does not move.
    """

    mentions: Sequence[MentionIn] = ()
    next_cursor: Cursor | None = None
    quarantined: Sequence[BadItem] = ()


@dataclass(frozen=True, slots=True)
class SaveResult:
    """How many mentions a save inserted and updated, and how many items it quarantined."""

    inserted: int = 0
    updated: int = 0
    quarantined: int = 0

    def __add__(self, other: SaveResult) -> SaveResult:
        return SaveResult(
            self.inserted + other.inserted,
            self.updated + other.updated,
            self.quarantined + other.quarantined,
        )


def dump_raw(raw: Any) -> str:
    """Return raw input as text for the quarantine (JSON when it is JSON-able)."""
    if isinstance(raw, str):
        return raw
    if isinstance(raw, bytes):
        return raw.decode("utf-8", errors="replace")
    try:
        return json.dumps(raw, ensure_ascii=False, default=str)
    except (TypeError, ValueError):
        return repr(raw)


def _insert_for(session: Session, table: Any) -> Any:
    """Return the dialect's INSERT (both have on_conflict_do_update / do_nothing)."""
    name = session.get_bind().dialect.name
    if name == "postgresql":
        return postgresql.insert(table)
    if name == "sqlite":
        return sqlite.insert(table)
    raise NotImplementedError(f"the store supports SQLite and PostgreSQL, not {name}")


def _row(m: MentionIn, listener: str, now: datetime) -> dict[str, Any]:
    return {
        "platform": m.platform,
        "external_id": m.external_id,
        "kind": m.kind,
        "conversation_id": m.conversation_id,
        "reply_to_id": m.reply_to_id,
        "author_id": m.author_id,
        "author_handle": m.author_handle,
        "author_name": m.author_name,
        "text": m.text,
        "lang": m.lang,
        "created_at": m.created_at,
        "url": m.url,
        "hashtags": list(m.hashtags),
        "mentioned": list(m.mentioned),
        "metrics": dict(m.metrics),
        "media_urls": list(m.media_urls),
        "listener": listener,
        "retrieved_at": now,
        "first_seen_at": now,
        "raw": dict(m.raw),
    }


def existing_keys(session: Session, keys: Iterable[tuple[str, str]]) -> set[tuple[str, str]]:
    """Return which of the (platform, external_id) keys are already stored."""
    by_platform: dict[str, list[str]] = {}
    for platform, external_id in keys:
        by_platform.setdefault(platform, []).append(external_id)
    found: set[tuple[str, str]] = set()
    for platform, ids in by_platform.items():
        for start in range(0, len(ids), _CHUNK):
            chunk = ids[start : start + _CHUNK]
            stmt = select(Mention.external_id).where(
                Mention.platform == platform, Mention.external_id.in_(chunk)
            )
            found.update((platform, eid) for eid in session.scalars(stmt))
    return found


def upsert_mentions(
    session: Session, listener: str, mentions: Sequence[MentionIn], now: datetime
) -> SaveResult:
    """Insert new mentions and refresh known ones (metrics, text, raw); never a second row.

    Within one call a repeated key keeps its last version. Returns the counts.
    """
    latest: dict[tuple[str, str], MentionIn] = {}
    for m in mentions:
        latest[(m.platform, m.external_id)] = m
    if not latest:
        return SaveResult()
    known = existing_keys(session, latest)
    rows = [_row(m, listener, now) for m in latest.values()]
    ins = _insert_for(session, Mention.__table__)
    stmt = ins.on_conflict_do_update(
        index_elements=["platform", "external_id"],
        # An edited post keeps its row and shows its latest text; first_seen_at stays.
        set_={
            "metrics": ins.excluded.metrics,
            "retrieved_at": ins.excluded.retrieved_at,
            "text": ins.excluded.text,
            "raw": ins.excluded.raw,
        },
    )
    tag_rows = [
        {
            "platform": m.platform,
            "external_id": m.external_id,
            "tag": tag.lower(),
            "created_at": m.created_at,
            "author_handle": m.author_handle,
        }
        for key, m in latest.items()
        if key not in known
        for tag in dict.fromkeys(t.lower() for t in m.hashtags)
    ]
    for start in range(0, len(rows), _CHUNK):
        session.execute(stmt, rows[start : start + _CHUNK])
    if tag_rows:
        tag_stmt = _insert_for(session, MentionHashtag.__table__).on_conflict_do_nothing()
        for start in range(0, len(tag_rows), _CHUNK):
            session.execute(tag_stmt, tag_rows[start : start + _CHUNK])
    return SaveResult(inserted=len(latest) - len(known), updated=len(known))


def quarantine(session: Session, listener: str, items: Iterable[BadItem], now: datetime) -> int:
    """Store bad items with their reason, each (listener, raw) once; return how many are new."""
    stmt = (
        _insert_for(session, QuarantineItem.__table__)
        .on_conflict_do_nothing(index_elements=["listener", "digest"])
        .returning(QuarantineItem.__table__.c.id)
    )
    count = 0
    for item in items:
        digest = hashlib.sha256(item.raw.encode("utf-8", errors="replace")).hexdigest()
        row = {
            "listener": listener,
            "digest": digest,
            "reason": item.reason,
            "raw": item.raw.replace("\x00", "\ufffd"),  # PostgreSQL text holds no NUL
            "received_at": now,
            "attempts": 0,
        }
        count += session.execute(stmt, row).first() is not None
    return count


def load_cursor(session: Session, listener: str) -> Cursor | None:
    """Return the listener's stored cursor, or None before its first batch."""
    row = session.get(ListenerCursor, listener)
    return None if row is None else dict(row.cursor)


def store_cursor(session: Session, listener: str, cursor: Cursor, now: datetime) -> None:
    """Write the listener's cursor (call inside the transaction that stores its mentions)."""
    row = session.get(ListenerCursor, listener)
    if row is None:
        session.add(ListenerCursor(listener=listener, cursor=cursor, updated_at=now))
    else:
        row.cursor = cursor
        row.updated_at = now


def save_batch(session: Session, listener: str, batch: Batch, now: datetime) -> SaveResult:
    """Store a batch's mentions, quarantined items and next cursor in the caller's transaction.

    All or nothing: the cursor only moves together with the mentions it covers.
    """
    result = upsert_mentions(session, listener, batch.mentions, now)
    count = quarantine(session, listener, batch.quarantined, now)
    if batch.next_cursor is not None:
        store_cursor(session, listener, batch.next_cursor, now)
    session.flush()
    return SaveResult(result.inserted, result.updated, count)
