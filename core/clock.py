"""Time helpers: everything inside is aware UTC; Asia/Jakarta only at the edges."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

JAKARTA = ZoneInfo("Asia/Jakarta")


def utcnow() -> datetime:
    """Return the current time as an aware UTC datetime."""
    return datetime.now(UTC)


def as_utc(value: datetime) -> datetime:
    """Return `value` in UTC; a naive value is taken to be UTC already."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def parse_iso(value: str) -> datetime:
    """Parse an ISO 8601 timestamp (with `Z` or an offset) into aware UTC.

    Raises ValueError when the text is not a timestamp.
    """
    text = value.strip()
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    # Graph API writes offsets without a colon: 2026-11-20T08:15:30+0000
    if len(text) > 5 and text[-5] in "+-" and text[-4:].isdigit() and text[-3] != ":":
        text = text[:-2] + ":" + text[-2:]
    return as_utc(datetime.fromisoformat(text))


def from_epoch(seconds: float) -> datetime:
    """Return the aware UTC datetime of a Unix timestamp in seconds."""
    return datetime.fromtimestamp(seconds, UTC)


def local(value: datetime, zone: str = "Asia/Jakarta") -> datetime:
    """Return `value` converted to a display zone (Asia/Jakarta by default)."""
    return as_utc(value).astimezone(ZoneInfo(zone))
