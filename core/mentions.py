"""The mention store: idempotent on (platform, external_id), raw kept, cursor in the same transaction."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from core.errors import BadPayloadError
from core.models import ListenerCursor, QuarantineItem

Cursor = dict[str, Any]

_HASHTAG = re.compile(r"(?<![\w&])#(\w{1,139})", re.UNICODE)
_HANDLE = re.compile(r"(?<![\w@])@(\w{1,50})", re.UNICODE)


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


def parse_each(
    items: Iterable[Any], parse: Callable[[Any], MentionIn | None]
) -> tuple[list[MentionIn], list[BadItem]]:
    """Parse every item: the mentions found, and a BadItem (raw + reason) for each item whose
    parse raised BadPayloadError. An item parsed to None is ignored on purpose. Never raises
    BadPayloadError: one bad item never stops the others."""
    mentions: list[MentionIn] = []
    bad: list[BadItem] = []
    for item in items:
        try:
            found = parse(item)
        except BadPayloadError as exc:
            bad.append(BadItem(raw=dump_raw(item), reason=exc.reason))
            continue
        if found is not None:
            mentions.append(found)
    return mentions, bad


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


def upsert_mentions(
    session: Session, listener: str, mentions: Sequence[MentionIn], now: datetime
) -> SaveResult:
    """Insert new mentions and refresh known ones (metrics, text, raw); never a second row.

    Within one call a repeated key keeps its last version; a mention the schema cannot hold is
    quarantined. Returns the counts. The work is done by core.bulk, the one write path.
    """
    from core.bulk import bulk_upsert_mentions  # core.bulk builds on this module's types

    return bulk_upsert_mentions(session, listener, mentions, now)


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
    return result + SaveResult(quarantined=count)
