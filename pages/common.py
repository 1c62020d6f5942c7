"""Shared page helpers: the session's settings, cached engines, and display formatting."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

import streamlit as st
from pydantic import SecretStr
from sqlalchemy import Engine
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from core.clock import local
from core.db import make_engine, make_sessionmaker
from core.settings import Settings

PLATFORM_LABELS = {
    "x": "X",
    "facebook": "Facebook",
    "telegram": "Telegram",
    "line": "LINE",
    "messenger": "Messenger",
    "demo": "Demo",
}
_SETTINGS_KEY = "_lapor_settings"


def settings() -> Settings:
    """Return this browser session's Settings, read once from the `LAPOR_` environment."""
    if _SETTINGS_KEY not in st.session_state:
        st.session_state[_SETTINGS_KEY] = Settings()
    return st.session_state[_SETTINGS_KEY]


def _dispose(engine: Engine) -> None:
    engine.dispose()


# Keyed by URL, so a test (or a changed setting) never reuses another database's engine.
@st.cache_resource(max_entries=4, on_release=_dispose, show_spinner=False)
def _read_engine(url: str) -> Engine:
    return make_engine(url, readonly=True)


@st.cache_resource(max_entries=4, on_release=_dispose, show_spinner=False)
def _write_engine(url: str) -> Engine:
    return make_engine(url)


def read_factory() -> sessionmaker[Session]:
    """Return a session factory on the console's read-only engine for the configured store."""
    return make_sessionmaker(_read_engine(settings().database_url))


def write_factory() -> sessionmaker[Session]:
    """Return a session factory that may write (for actions such as a quarantine retry)."""
    return make_sessionmaker(_write_engine(settings().database_url))


@contextmanager
def reading() -> Iterator[Session]:
    """Yield a read-only session on the store."""
    with read_factory()() as session:
        yield session


def platform_label(platform: str) -> str:
    """Return a channel's display name ("x" -> "X")."""
    return PLATFORM_LABELS.get(platform, platform.capitalize())


def wib(value: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """Return `value` as clock time in the display zone, or "" for None."""
    if value is None:
        return ""
    return local(value, settings().timezone).strftime(fmt)


def describe_database(url: str) -> str:
    """Return the store's back end for display, without user name or password."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return f"SQLite at {parsed.database or ':memory:'}"
    where = parsed.host or "localhost"
    if parsed.port:
        where += f":{parsed.port}"
    name = parsed.get_backend_name()
    label = "PostgreSQL" if name == "postgresql" else name
    return f"{label} at {where}/{parsed.database or ''}"


def secret_states(s: Settings) -> list[tuple[str, str]]:
    """Return (environment variable, "set" | "not set") for every secret setting."""
    out = []
    for name, info in type(s).model_fields.items():
        if "SecretStr" in str(info.annotation):
            value = getattr(s, name)
            is_set = isinstance(value, SecretStr) and bool(value.get_secret_value())
            out.append((f"LAPOR_{name.upper()}", "set" if is_set else "not set"))
    return out
