"""Tracking IDs: readable, per-year sequences, no duplicates under concurrent writers."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from core.casework import Counter
from core.db import transaction
from core.errors import InputError
from handler.tracking import find_tracking_id, next_tracking_id


def test_ids_are_readable_and_sequential_per_year(factory: sessionmaker[Session]) -> None:
    with transaction(factory) as session:
        first = [next_tracking_id(session, "LPR", 2026) for _ in range(3)]
        other_year = next_tracking_id(session, "LPR", 2027)
    assert first == ["LPR-2026-000001", "LPR-2026-000002", "LPR-2026-000003"]
    assert other_year == "LPR-2027-000001"
    with factory() as session:
        values = dict(session.execute(select(Counter.name, Counter.value)).all())
    assert values == {"tracking:LPR:2026": 3, "tracking:LPR:2027": 1}


def test_a_rolled_back_transaction_gives_its_number_back(factory: sessionmaker[Session]) -> None:
    with transaction(factory) as session:
        next_tracking_id(session, "LPR", 2026)
    with pytest.raises(RuntimeError), transaction(factory) as session:
        next_tracking_id(session, "LPR", 2026)
        raise RuntimeError("conversion failed")
    with transaction(factory) as session:
        assert next_tracking_id(session, "LPR", 2026) == "LPR-2026-000002"


def test_eight_concurrent_writers_never_share_an_id(factory: sessionmaker[Session]) -> None:
    per_thread, threads = 12, 8
    got: list[str] = []
    errors: list[BaseException] = []
    lock = threading.Lock()
    barrier = threading.Barrier(threads)

    def work() -> None:
        try:
            barrier.wait()  # every thread's first call races for the counter's first row
            for _ in range(per_thread):
                with transaction(factory) as session:
                    tracking_id = next_tracking_id(session, "LPR", 2026)
                with lock:
                    got.append(tracking_id)
        except BaseException as exc:  # surfaced below with the thread's traceback
            errors.append(exc)

    workers = [threading.Thread(target=work) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert errors == []
    total = per_thread * threads
    assert sorted(got) == [f"LPR-2026-{n:06d}" for n in range(1, total + 1)]


def test_a_bad_prefix_is_refused(factory: sessionmaker[Session]) -> None:
    with transaction(factory) as session, pytest.raises(InputError, match="capital letters"):
        next_tracking_id(session, "lpr 1", 2026)


def test_find_tracking_id_in_a_chat_message() -> None:
    assert find_tracking_id("cek lpr-2026-000123 dong min") == "LPR-2026-000123"
    assert find_tracking_id("cek laporan saya") is None
