"""Shared page helpers: the session's settings, cached engines, and display formatting."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

import streamlit as st
from pydantic import SecretStr
from sqlalchemy import Engine
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from core.clock import local
from core.db import make_engine, make_sessionmaker
from core.errors import InputError
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
_ACTING_KEY = "_lapor_acting_as"
_FLASH_KEY = "_lapor_flash"
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:])")


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


def md(text: str) -> str:
    """Return stored text (a citizen's, a champion's) escaped so Markdown shows it as written."""
    return _MD_SPECIAL.sub(r"\\\1", text).replace("\n", "  \n")


def label(slug: str | None, empty: str = "unknown") -> str:
    """Return a slug for display ("permintaan_informasi" -> "permintaan informasi")."""
    return (slug or empty).replace("_", " ")


def flash(kind: str, text: str) -> None:
    """Keep a message ("success", "warning", "error", "info") to show after the rerun."""
    st.session_state[_FLASH_KEY] = (kind, text)


def show_flash() -> None:
    """Show the message kept by `flash`, once."""
    if _FLASH_KEY in st.session_state:
        kind, message = st.session_state.pop(_FLASH_KEY)
        getattr(st, kind)(message)


def actor() -> str:
    """Return who is acting in this browser session (LAPOR_HANDLER_NAME until changed).

    There is no sign-in yet: the sidebar lets a person say who they are, which is what
    the rules need (nobody approves their own post) and what the audit log records.
    """
    return str(st.session_state.get(_ACTING_KEY) or settings().handler_name)


def acting_as_sidebar() -> None:
    """Show "Acting as" in the sidebar, with a field to change the name for this session."""
    name = st.sidebar.text_input(
        "Acting as", value=actor(), key="acting_as_input",
        help="No sign-in yet: your name goes into the audit log, and nobody approves their own post.",
    )  # fmt: skip
    if name.strip() and name.strip() != actor():
        st.session_state[_ACTING_KEY] = name.strip()


def reporting(action: Callable[..., tuple[str, str] | None]) -> Callable[..., None]:
    """Return a button callback that flashes what `action` says, or its InputError sentence."""

    @functools.wraps(action)
    def run(*args: Any) -> None:
        try:
            said = action(*args)
        except InputError as exc:
            flash("error", str(exc))
            return
        if said:
            flash(*said)

    return run
