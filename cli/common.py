"""What every command needs: the store's session factory, where it is, dates typed in."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

from core.clock import parse_iso
from core.db import make_engine, make_sessionmaker
from core.errors import InputError
from core.settings import Settings


def session_factory(settings: Settings) -> sessionmaker[Session]:
    """Return a session factory on the configured store."""
    return make_sessionmaker(make_engine(settings.database_url))


def where(settings: Settings) -> str:
    """Return the store for people: "SQLite data/lapor.db", "PostgreSQL"."""
    path = settings.sqlite_path()
    if path is not None:
        return f"SQLite {path}"
    return "PostgreSQL" if settings.database_url.startswith("postgresql") else "database"


def parse_date(text: str) -> datetime:
    """Return a typed date (Asia/Jakarta midnight) or timestamp; InputError when it is neither."""
    try:
        return parse_iso(text if "T" in text or " " in text else f"{text}T00:00:00+07:00")
    except ValueError:
        raise InputError(f"{text!r} is not a date; use YYYY-MM-DD or an ISO timestamp.") from None
