"""Quarantine page: open items with reason and raw preview, and a retry that reports back."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from core.clock import utcnow
from core.db import make_engine, make_sessionmaker, transaction
from core.mentions import BadItem, Batch, save_batch
from tests.pages.conftest import APP

RAW = '{"update_id": 5501, "message": {"text": "Jalan rusak di Lidah Wetan"}}'


@pytest.fixture
def quarantine_page(console_db, monkeypatch):
    db_url = console_db
    engine = make_engine(db_url)
    with transaction(make_sessionmaker(engine)) as s:
        bad = BadItem(raw=RAW, reason="the message has no date")
        save_batch(s, "telegram", Batch(quarantined=[bad]), utcnow())
    engine.dispose()
    at = AppTest.from_file(APP, default_timeout=30).run()
    at.switch_page("pages/quarantine.py").run()
    assert not at.exception
    return at


def test_open_items_show_reason_listener_and_raw_preview(quarantine_page):
    assert [m.value for m in quarantine_page.markdown if "open item" in m.value] == [
        "**1 open item**"
    ]
    (item,) = quarantine_page.expander
    assert "telegram" in item.label and "the message has no date" in item.label
    assert [c.value for c in quarantine_page.code] == [RAW]


def test_retry_calls_the_service_with_the_item_and_shows_the_result(quarantine_page, monkeypatch):
    import listeners.service

    calls = []

    def fake_retry(factory, ids, now):
        calls.append(list(ids) if ids is not None else None)
        return listeners.service.RetryResult(retried=1, resolved=1, still_bad=0)

    monkeypatch.setattr(listeners.service, "retry_quarantine", fake_retry)
    quarantine_page.button(key="retry_1").click().run()
    assert calls == [[1]]
    assert [s.value for s in quarantine_page.success] == [
        "Retried 1: 1 resolved, 0 still cannot be read."
    ]
    quarantine_page.button(key="retry_all").click().run()
    assert calls == [[1], None]
