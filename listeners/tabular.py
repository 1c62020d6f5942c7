"""CSV rows to mentions: the column mapping (defaults plus --map), times, one row's mention."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import fields
from datetime import UTC, datetime

from core.clock import JAKARTA, from_epoch
from core.errors import BadPayloadError, InputError
from core.mentions import MentionIn, extract_handles, extract_hashtags

REQUIRED = ("external_id", "text", "created_at")
# Column names recognised without a mapping (compared lower-cased, spaces as '_').
DEFAULT_COLUMNS: dict[str, tuple[str, ...]] = {
    "external_id": ("external_id", "id", "id_str", "tweet_id", "status_id"),
    "text": ("text", "full_text", "tweet", "message", "content"),
    "created_at": ("created_at", "date", "timestamp", "datetime", "time"),
    "author_handle": ("author_handle", "author", "username", "screen_name", "user", "handle"),
    "author_name": ("author_name", "name", "user_name", "display_name"),
    "author_id": ("author_id", "user_id"),
    "url": ("url", "link", "permalink", "tweet_url"),
    "lang": ("lang", "language"),
    "kind": ("kind",),
    "conversation_id": ("conversation_id",),
    "reply_to_id": ("reply_to_id", "in_reply_to_status_id"),
    "metrics.like_count": ("like_count", "likes", "favorite_count", "nlikes"),
    "metrics.retweet_count": ("retweet_count", "retweets", "nretweets"),
    "metrics.reply_count": ("reply_count", "replies_count", "nreplies"),
    "metrics.quote_count": ("quote_count", "quotes"),
}
_FIELDS = {f.name for f in fields(MentionIn)} - {"platform", "metrics", "media_urls", "raw"}


def _norm(column: str) -> str:
    return column.strip().lower().replace(" ", "_").replace("-", "_")


def resolve_mapping(header: list[str], mapping: Mapping[str, str] | None) -> dict[str, str]:
    """Return {MentionIn field: CSV column} for a CSV `header`, `mapping` over the defaults.

    Raises InputError naming the missing column and listing the file's columns.
    """
    by_norm: dict[str, str] = {}
    for column in header:
        by_norm.setdefault(_norm(column), column)
    columns = ", ".join(header)
    resolved: dict[str, str] = {}
    for name, candidates in DEFAULT_COLUMNS.items():
        found = next((by_norm[c] for c in candidates if c in by_norm), None)
        if found is not None:
            resolved[name] = found
    for name, column in (mapping or {}).items():
        if name not in _FIELDS and not name.startswith("metrics."):
            known = ", ".join(sorted(_FIELDS))
            raise InputError(f"Unknown field {name!r} in the column mapping; use one of: {known}.")
        found = column if column in header else by_norm.get(_norm(column))
        if found is None:
            raise InputError(
                f"The CSV has no column {name!r} (mapped from {column!r}); its columns are: "
                f"{columns}. Pass --map {name}=<column>."
            )
        resolved[name] = found
    for name in REQUIRED:
        if name not in resolved:
            looked = ", ".join(DEFAULT_COLUMNS[name])
            raise InputError(
                f"The CSV has no column {name!r} (looked for {looked}); its columns are: "
                f"{columns}. Pass --map {name}=<column>."
            )
    return resolved


def parse_when(value: str) -> datetime:
    """Return the aware UTC time of a CSV value: ISO 8601, 'YYYY-MM-DD HH:MM:SS', X's
    'Wed Oct 10 20:19:24 +0000 2018' or Unix seconds/milliseconds; naive means Asia/Jakarta.

    Raises BadPayloadError when it is none of these.
    """
    text = value.strip()
    if text.isdigit():
        number = int(text)
        return from_epoch(number / 1000 if number > 10**11 else number)
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        try:
            when = datetime.strptime(text, "%a %b %d %H:%M:%S %z %Y")
        except ValueError:
            raise BadPayloadError(
                f"the time {value!r} is neither ISO 8601 nor 'YYYY-MM-DD HH:MM:SS'"
            ) from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=JAKARTA)
    return when.astimezone(UTC)


def csv_mention(row: Mapping[str, str], resolved: Mapping[str, str], platform: str) -> MentionIn:
    """Return the mention of one CSV row (a {column: value} dict) under a resolved mapping.

    Raises BadPayloadError when its id or time is missing or unreadable.
    """

    def get(name: str) -> str | None:
        column = resolved.get(name)
        value = row.get(column) if column is not None else None
        return value.strip() or None if isinstance(value, str) else None

    external_id = get("external_id")
    if external_id is None:
        raise BadPayloadError(f"the row has no id (column {resolved['external_id']!r} is empty)")
    if "e+" in external_id.lower():
        raise BadPayloadError(
            f"the id {external_id!r} was rounded by a spreadsheet; export the id column as text"
        )
    when = get("created_at")
    if when is None:
        raise BadPayloadError(f"row {external_id} has no time in {resolved['created_at']!r}")
    created_at = parse_when(when)
    text = row.get(resolved["text"]) or ""
    handle = get("author_handle")
    handle = handle.lstrip("@") if handle else None
    tags, handles = get("hashtags"), get("mentioned")
    metrics: dict[str, int] = {}
    for name in resolved:
        value = get(name) if name.startswith("metrics.") else None
        if value is not None and value.replace(",", "").isdigit():
            metrics[name.removeprefix("metrics.")] = int(value.replace(",", ""))
    url = get("url")
    if url is None and platform == "x" and handle:
        url = f"https://x.com/{handle}/status/{external_id}"
    return MentionIn(
        platform=platform,
        external_id=external_id,
        text=text,
        created_at=created_at,
        kind=get("kind") or "post",
        conversation_id=get("conversation_id"),
        reply_to_id=get("reply_to_id"),
        author_id=get("author_id"),
        author_handle=handle,
        author_name=get("author_name"),
        lang=get("lang"),
        url=url,
        hashtags=_split(tags, "#") if tags else extract_hashtags(text),
        mentioned=_split(handles, "@") if handles else extract_handles(text),
        metrics=metrics,
        raw=dict(row),
    )


def _split(value: str, sign: str) -> tuple[str, ...]:
    words = (w.strip().lstrip(sign) for w in value.replace(",", " ").split())
    return tuple(dict.fromkeys(w for w in words if w))
