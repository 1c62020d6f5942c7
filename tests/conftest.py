"""Shared fixtures: every store test runs on SQLite, and on PostgreSQL when CI gives a URL."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker

import core.casework  # noqa: F401  (the handler tables, so TRUNCATE covers them)
import core.outreach  # noqa: F401  (and the campaign tables)
from core.db import make_engine, make_sessionmaker, upgrade
from core.models import Base

PG_URL = os.environ.get("LAPOR_TEST_POSTGRES_URL")
PG_SKIP = "LAPOR_TEST_POSTGRES_URL is not set, so the PostgreSQL half of this store test is skipped"


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "lapor.db"
    upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def _pg_schema_url() -> Iterator[str | None]:
    if not PG_URL:
        yield None
        return
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = make_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in PG_URL else "?"
    url = f"{PG_URL}{sep}options=-csearch_path%3D{schema}"
    upgrade(url)
    yield url
    with admin.begin() as conn:
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path, _sqlite_template: Path) -> Iterator[str]:
    """A migrated, empty store: a fresh SQLite file, or a clean PostgreSQL schema."""
    if request.param == "sqlite":
        path = tmp_path / "lapor.db"
        shutil.copy(_sqlite_template, path)
        yield f"sqlite:///{path}"
        return
    url = request.getfixturevalue("_pg_schema_url")
    if url is None:
        pytest.skip(PG_SKIP)
    engine = make_engine(url)
    tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    engine.dispose()
    yield url


@pytest.fixture
def factory(db_url: str) -> Iterator[sessionmaker[Session]]:
    """A session factory on the migrated store of `db_url`."""
    engine = make_engine(db_url)
    yield make_sessionmaker(engine)
    engine.dispose()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests marked `live` call real platforms: they run only when asked for with `-m live`."""
    if "live" in (config.getoption("-m") or ""):
        return
    skip = pytest.mark.skip(reason="calls a real platform; run with -m live and real keys")
    for item in items:
        if "live" in item.keywords:
            item.add_marker(skip)
