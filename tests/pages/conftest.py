"""The console tests' store: a migrated SQLite file, no LAPOR_ setting but its URL, no .env."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

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
