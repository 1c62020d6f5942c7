"""Engines, sessions and migrations for the store (SQLite in WAL mode, or PostgreSQL)."""

from __future__ import annotations

import threading
import weakref
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

MIGRATIONS = Path(__file__).parent / "migrations"


def make_engine(url: str, *, readonly: bool = False, **kwargs: Any) -> Engine:
    """Return an engine for `url`; SQLite gets WAL, a busy timeout and its folder created.

    On SQLite every transaction of a writing engine starts with BEGIN IMMEDIATE, so two
    processes that both write wait for each other instead of failing on lock upgrade;
    `readonly=True` (the console) keeps deferred BEGIN, and WAL lets it read during writes.
    """
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:" and "mode=memory" not in path:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        kwargs.setdefault("connect_args", {}).setdefault("timeout", 30)
        engine = create_engine(url, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        begin = "BEGIN" if readonly else "BEGIN IMMEDIATE"
        event.listen(engine, "begin", lambda conn: conn.exec_driver_sql(begin))
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    return create_engine(url, **kwargs)


# Every SQLite connection of the store (and the ingest bench's raw ceiling) runs these.
SQLITE_PRAGMAS = (
    "page_size=16384",  # takes effect on a new file only: rows of ~2 kB (raw JSON) pack better
    "journal_mode=WAL",
    "synchronous=NORMAL",  # durable at checkpoints; WAL keeps the file consistent on a crash
    "foreign_keys=ON",
    "busy_timeout=30000",
    "cache_size=-65536",  # 64 MiB of page cache: index pages of a million mentions stay hot
)


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    dbapi_conn.isolation_level = None  # we issue BEGIN ourselves (see make_engine)
    cur = dbapi_conn.cursor()
    for pragma in SQLITE_PRAGMAS:
        cur.execute(f"PRAGMA {pragma}")
    cur.close()


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    """Return the session factory used by services (expire_on_commit off: values stay readable)."""
    return sessionmaker(engine, expire_on_commit=False)


_WRITE_LOCKS: weakref.WeakKeyDictionary[Engine, threading.RLock] = weakref.WeakKeyDictionary()
_GUARD = threading.Lock()


def _write_lock(factory: sessionmaker[Session]) -> AbstractContextManager[object]:
    """Return the lock that queues this process's SQLite writers, or a no-op elsewhere.

    Threads that all BEGIN IMMEDIATE on one SQLite file would wait in SQLite's busy handler,
    which sleeps up to 100 ms between tries; a mutex hands the file over at once.
    """
    engine = factory.kw.get("bind")
    if not isinstance(engine, Engine) or engine.dialect.name != "sqlite":
        return nullcontext()
    with _GUARD:
        return _WRITE_LOCKS.setdefault(engine, threading.RLock())


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """Yield a session inside one transaction: commit on success, roll back on any error."""
    with _write_lock(factory), factory() as session, session.begin():
        yield session


def alembic_config(url: str) -> Any:
    """Return an Alembic Config pointing at the packaged migrations and at `url`."""
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(url: str, revision: str = "head") -> None:
    """Apply migrations up to `revision` on the database at `url`."""
    from alembic import command

    make_engine(url).dispose()  # creates the SQLite folder if needed
    command.upgrade(alembic_config(url), revision)
