"""Readable, unique tracking IDs (LPR-2026-000123): one atomic counter per prefix and year."""

from __future__ import annotations

import re

from sqlalchemy import update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from core.casework import Counter
from core.errors import InputError

_PREFIX = re.compile(r"^[A-Z][A-Z0-9]{0,11}$")
TRACKING_ID = re.compile(r"\b([A-Z][A-Z0-9]{0,11})-(\d{4})-(\d{6,})\b")


def counter_name(prefix: str, year: int) -> str:
    """Return the Counter row name that numbers `prefix`'s reports of `year`."""
    return f"tracking:{prefix}:{year}"


def next_tracking_id(session: Session, prefix: str, year: int) -> str:
    """Return the next tracking ID for `year`, e.g. "LPR-2026-000123", bumping the counter.

    The bump is one UPDATE ... RETURNING (the row lock serialises concurrent writers on
    PostgreSQL; SQLite writers are serialised by BEGIN IMMEDIATE); the first ID of a year
    inserts the row with an upsert, so two first callers still get 1 and 2. The number is
    taken inside the caller's transaction: a rollback gives it back.
    Raises InputError when the prefix is not 1-12 capital letters or digits.
    """
    if not _PREFIX.match(prefix):
        raise InputError(
            f"The tracking prefix '{prefix}' must be 1-12 capital letters or digits, "
            "starting with a letter (e.g. LPR)."
        )
    name = counter_name(prefix, year)
    bump = (
        update(Counter)
        .where(Counter.name == name)
        .values(value=Counter.value + 1)
        .returning(Counter.value)
    )
    value = session.execute(bump).scalar_one_or_none()
    if value is None:
        dialect = session.get_bind().dialect.name
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        stmt = insert(Counter).values(name=name, value=1)
        upsert = stmt.on_conflict_do_update(
            index_elements=[Counter.name], set_={"value": Counter.value + 1}
        ).returning(Counter.value)
        value = session.execute(upsert).scalar_one()
    return format_tracking_id(prefix, year, value)


def format_tracking_id(prefix: str, year: int, number: int) -> str:
    """Return the tracking ID text of `number` (six digits, more when a year exceeds them)."""
    return f"{prefix}-{year}-{number:06d}"


def find_tracking_id(text: str) -> str | None:
    """Return the first tracking ID written in `text` (any case), upper-cased, or None."""
    match = TRACKING_ID.search((text or "").upper())
    return match.group(0) if match else None
