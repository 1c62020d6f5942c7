"""The console tests' store: a migrated SQLite file, no LAPOR_ setting but its URL, no .env."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker
from streamlit.testing.v1 import AppTest

from core.db import make_engine, make_sessionmaker

APP = str(Path(__file__).parents[2] / "app.py")


@pytest.fixture
def console_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, _sqlite_template: Path) -> str:
    """Return the URL of a fresh SQLite store the console under test reads (AppTest is SQLite-only)."""
    path = tmp_path / "lapor.db"
    shutil.copy(_sqlite_template, path)
    url = f"sqlite:///{path}"
    for name in [k for k in os.environ if k.startswith("LAPOR_")]:
        monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)  # no developer .env is read
    monkeypatch.setenv("LAPOR_DATABASE_URL", url)
    return url


@pytest.fixture
def store(console_db: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[sessionmaker[Session]]:
    """A session factory on the console's test store; the console acts as "sari"."""
    monkeypatch.setenv("LAPOR_HANDLER_NAME", "sari")
    engine = make_engine(console_db)
    yield make_sessionmaker(engine)
    engine.dispose()


def open_page(path: str, timeout: float = 30) -> AppTest:
    """Run the console, switch to the page at `path` ("pages/calendar.py"); no exception shown."""
    at = AppTest.from_file(APP, default_timeout=timeout).run()
    at.switch_page(path).run()
    assert not at.exception, at.exception
    return at
