"""The fast write path of the mention store: driver-level executemany (SQLite), COPY (PostgreSQL).

The one write path of `core.mentions.upsert_mentions` and of the importer: one row per
(platform, external_id), the last version of a repeated key wins, a known mention gets its
metrics, retrieved_at, text and raw refreshed, hashtag rows are written for new mentions only.
A mention the schema cannot hold (an empty or over-long id) is quarantined, never allowed to fail
the batch. It skips SQLAlchemy's per-row bind processing, which costs more than SQLite's own work
at import sizes.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

import orjson
from sqlalchemy.orm import Session

from core.mentions import BadItem, MentionIn, SaveResult, dump_raw, quarantine

COLUMNS = (
    "platform", "external_id", "kind", "conversation_id", "reply_to_id", "author_id",
    "author_handle", "author_name", "text", "lang", "created_at", "url", "hashtags",
    "mentioned", "metrics", "media_urls", "listener", "retrieved_at", "first_seen_at", "raw",
)  # fmt: skip
TAG_COLUMNS = ("platform", "external_id", "tag", "created_at", "author_handle")
_SQLITE_KEYS = 900  # bound variables per IN (...): under SQLite's old 999 limit
_UPDATE = (
    "ON CONFLICT (platform, external_id) DO UPDATE SET metrics = excluded.metrics, "
    "retrieved_at = excluded.retrieved_at, text = excluded.text, raw = excluded.raw"
)
# Column widths of core.models.Mention: ids that do not fit are refused, names are cut.
_ID_WIDTHS = {"platform": 20, "external_id": 120, "kind": 20, "conversation_id": 120,
              "reply_to_id": 120, "author_id": 120}  # fmt: skip
_CUT_WIDTHS = {"author_handle": 200, "author_name": 300, "lang": 12}


def _fit(m: MentionIn) -> MentionIn | str:
    """Return `m` fitted to the columns (names cut), or the reason it cannot be stored."""
    if not m.platform or not m.external_id:
        return "the item has no platform or no id"
    if (
        len(m.external_id) > 120
        or len(m.platform) > 20
        or len(m.kind) > 20
        or len(m.conversation_id or "") > 120
        or len(m.reply_to_id or "") > 120
        or len(m.author_id or "") > 120
    ):  # the common case passes this one test; only a failure looks closer
        for name, width in _ID_WIDTHS.items():
            value = getattr(m, name)
            if value is not None and len(value) > width:
                return f"{name} is {len(value)} characters long; the store keeps at most {width}"
    if not isinstance(m.created_at, datetime):
        return "created_at is not a timestamp"
    if (
        len(m.author_handle or "") <= 200
        and len(m.author_name or "") <= 300
        and len(m.lang or "") <= 12
    ):
        return m
    cut = {
        name: getattr(m, name)[:width]
        for name, width in _CUT_WIDTHS.items()
        if getattr(m, name) is not None and len(getattr(m, name)) > width
    }
    return replace(m, **cut)


def _no_nul(text: str) -> str:
    # PostgreSQL text and jsonb refuse NUL; SQLite would keep it. Both stores get U+FFFD.
    return text.replace("\x00", "\ufffd") if "\x00" in text else text


def _no_nul_json(text: str) -> str:
    return text.replace("\\u0000", "\\ufffd") if "\\u0000" in text else text


def _dumps(value: Any) -> str:
    """Return `value` as JSON text: orjson (several times faster than json on a tweet's raw),
    or json for what orjson refuses (integers beyond 64 bits). Both are read back by json."""
    try:
        return orjson.dumps(value).decode()
    except TypeError:
        return json.dumps(value, ensure_ascii=False)


def _utc(value: datetime) -> datetime:
    if value.tzinfo is UTC:
        return value
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _sqlite_time(value: datetime) -> str:
    # UtcDateTime on SQLite: naive UTC text in SQLAlchemy's storage format
    return _utc(value).replace(tzinfo=None).isoformat(" ", "microseconds")


def _row(m: MentionIn, listener: str, now: Any, created: Any) -> tuple[Any, ...]:
    dumps = _dumps
    return (
        m.platform, m.external_id, m.kind, m.conversation_id, m.reply_to_id, m.author_id,
        m.author_handle, m.author_name, _no_nul(m.text), m.lang, created, m.url,
        dumps(list(m.hashtags)) if m.hashtags else "[]",
        dumps(list(m.mentioned)) if m.mentioned else "[]",
        dumps(dict(m.metrics)) if m.metrics else "{}",
        dumps(list(m.media_urls)) if m.media_urls else "[]",
        listener, now, now, _no_nul_json(dumps(dict(m.raw))),
    )  # fmt: skip


@dataclass(frozen=True, slots=True, kw_only=True)
class PreparedRows:
    """Mentions turned into the column values of one back end: plain, picklable tuples.

    Build it anywhere (a worker process); write it with `write_rows` in the store's session.
    """

    dialect: str
    listener: str
    now: datetime
    rows: list[tuple[Any, ...]]  # COLUMNS, one per (platform, external_id), last version wins
    tags: list[tuple[Any, ...]]  # TAG_COLUMNS of every row; written for new mentions only
    rejected: list[BadItem]  # mentions the schema cannot hold: quarantined by write_rows


def prepare_rows(
    mentions: Sequence[MentionIn], listener: str, now: datetime, dialect: str
) -> PreparedRows:
    """Return the rows `write_rows` stores for `mentions` on `dialect` ("sqlite"/"postgresql").

    Raises NotImplementedError for another dialect.
    """
    if dialect not in ("sqlite", "postgresql"):
        raise NotImplementedError(f"the store supports SQLite and PostgreSQL, not {dialect}")
    when = _sqlite_time if dialect == "sqlite" else _utc
    latest: dict[tuple[str, str], MentionIn] = {}
    for m in mentions:
        latest[(m.platform, m.external_id)] = m
    stamp = when(now)
    rows = []
    tags = []
    rejected = []
    for item in latest.values():
        fitted = _fit(item)
        if isinstance(fitted, str):
            rejected.append(BadItem(raw=dump_raw(dict(item.raw)), reason=fitted))
            continue
        m = fitted
        created = when(m.created_at)
        rows.append(_row(m, listener, stamp, created))
        if m.hashtags:
            for tag in dict.fromkeys(t.lower() for t in m.hashtags):
                tags.append((m.platform, m.external_id, tag, created, m.author_handle))
    return PreparedRows(
        dialect=dialect, listener=listener, now=now, rows=rows, tags=tags, rejected=rejected
    )


def bulk_upsert_mentions(
    session: Session, listener: str, mentions: Sequence[MentionIn], now: datetime
) -> SaveResult:
    """Insert new mentions and refresh known ones, in the session's transaction.

    Returns the counts (inserted, updated, quarantined). Raises NotImplementedError on a back end other
    than SQLite or PostgreSQL.
    """
    if not mentions:
        return SaveResult()
    dialect = session.get_bind().dialect.name
    return write_rows(session, prepare_rows(mentions, listener, now, dialect))


def write_rows(session: Session, prepared: PreparedRows) -> SaveResult:
    """Store prepared rows in the session's transaction; quarantine the rejected ones.

    Returns the counts (inserted, updated, quarantined). Raises ValueError when the rows were
    prepared for another back end than the session's.
    """
    dialect = session.get_bind().dialect.name
    if dialect != prepared.dialect:
        raise ValueError(f"rows prepared for {prepared.dialect} cannot be written to {dialect}")
    bad = quarantine(session, prepared.listener, prepared.rejected, prepared.now)
    if not prepared.rows:
        return SaveResult(quarantined=bad)
    session.flush()
    known = (_sqlite_write if dialect == "sqlite" else _pg_write)(session, prepared)
    return SaveResult(inserted=len(prepared.rows) - known, updated=known, quarantined=bad)


def _new_tags(prepared: PreparedRows, known: set[tuple[str, str]]) -> list[tuple[Any, ...]]:
    return [t for t in prepared.tags if (t[0], t[1]) not in known] if known else prepared.tags


def _sqlite_write(session: Session, prepared: PreparedRows) -> int:
    conn = session.connection()
    by_platform: dict[str, list[str]] = {}
    for row in prepared.rows:
        by_platform.setdefault(row[0], []).append(row[1])
    known: set[tuple[str, str]] = set()
    for platform, ids in by_platform.items():
        for start in range(0, len(ids), _SQLITE_KEYS):
            chunk = ids[start : start + _SQLITE_KEYS]
            sql = (
                "SELECT external_id FROM mentions WHERE platform = ? AND external_id IN "
                f"({', '.join('?' * len(chunk))})"
            )
            known.update((platform, e) for (e,) in conn.exec_driver_sql(sql, (platform, *chunk)))
    conn.exec_driver_sql(
        f"INSERT INTO mentions ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))}) "
        + _UPDATE,
        prepared.rows,
    )
    tags = _new_tags(prepared, known)
    if tags:
        conn.exec_driver_sql(
            f"INSERT INTO mention_hashtags ({', '.join(TAG_COLUMNS)}) VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT DO NOTHING",
            tags,
        )
    return len(known)


def _pg_write(session: Session, prepared: PreparedRows) -> int:
    raw = session.connection().connection.driver_connection
    assert raw is not None
    cols = ", ".join(COLUMNS)
    tag_cols = ", ".join(TAG_COLUMNS)
    with raw.cursor() as cur:
        # ON COMMIT DELETE ROWS: the staging tables live as long as the pooled connection.
        cur.execute(
            "CREATE TEMP TABLE IF NOT EXISTS lapor_stage_mentions ON COMMIT DELETE ROWS AS "
            f"SELECT {cols} FROM mentions WITH NO DATA"
        )
        cur.execute(
            "CREATE TEMP TABLE IF NOT EXISTS lapor_stage_tags ON COMMIT DELETE ROWS AS "
            f"SELECT {tag_cols} FROM mention_hashtags WITH NO DATA"
        )
        cur.execute("TRUNCATE lapor_stage_mentions, lapor_stage_tags")
        with cur.copy(f"COPY lapor_stage_mentions ({cols}) FROM STDIN") as copy:
            for row in prepared.rows:
                copy.write_row(row)
        cur.execute(
            "SELECT s.platform, s.external_id FROM lapor_stage_mentions s "
            "JOIN mentions m ON m.platform = s.platform AND m.external_id = s.external_id"
        )
        known = {(p, e) for p, e in cur.fetchall()}
        cur.execute(
            f"INSERT INTO mentions ({cols}) SELECT {cols} FROM lapor_stage_mentions " + _UPDATE
        )
        tags = _new_tags(prepared, known)
        if tags:
            with cur.copy(f"COPY lapor_stage_tags ({tag_cols}) FROM STDIN") as copy:
                for tag_row in tags:
                    copy.write_row(tag_row)
            cur.execute(
                f"INSERT INTO mention_hashtags ({tag_cols}) SELECT {tag_cols} "
                "FROM lapor_stage_tags ON CONFLICT DO NOTHING"
            )
    return len(known)
