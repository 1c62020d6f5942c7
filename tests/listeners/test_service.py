"""Polling: the cursor moves only with its mentions; errors back off or stop one listener."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import ClassVar

import pytest
from sqlalchemy import func, select

import listeners.service as service
from core.errors import FatalSourceError, RetriableSourceError
from core.mentions import BadItem, Batch, MentionIn, load_cursor
from core.models import ListenerHealth, Mention, QuarantineItem
from core.settings import Settings

NOW = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)


def item(seq: int) -> MentionIn:
    return MentionIn(
        platform="x",
        external_id=f"fake-{seq}",
        text=f"Lampu PJU mati no {seq} #BeraniLAPOR",
        created_at=NOW,
        raw={"seq": seq},
    )


class FakeListener:
    """Serves items 0..total-1, `size` per poll, from the cursor; or raises a queued error."""

    name: ClassVar[str] = "x"

    def __init__(self, total: int = 10, size: int = 4) -> None:
        self.total, self.size = total, size
        self.errors: list[Exception] = []
        self.cursors: list[dict | None] = []

    def poll(self, cursor):
        self.cursors.append(cursor)
        if self.errors:
            raise self.errors.pop(0)
        start = (cursor or {}).get("seq", 0)
        end = min(start + self.size, self.total)
        return Batch(mentions=[item(i) for i in range(start, end)], next_cursor={"seq": end})


@pytest.fixture
def settings() -> Settings:
    return Settings(
        _env_file=None,
        x_bearer_token="tok-SECRET-123",
        retry_base_seconds=10,
        retry_max_seconds=300,
    )


def stored(factory) -> list[str]:
    with factory() as s:
        return sorted(s.scalars(select(Mention.external_id)), key=lambda e: int(e.split("-")[1]))


def health(factory, name="x") -> ListenerHealth:
    with factory() as s:
        return s.get(ListenerHealth, name)


def test_polls_store_everything_once_and_advance_the_cursor(factory, settings):
    fake = FakeListener(total=10, size=4)
    for _ in range(4):
        out = service.poll_once("x", settings, factory, listener=fake, now=NOW)
        assert out.status == "ok"
    assert stored(factory) == [f"fake-{i}" for i in range(10)]
    assert fake.cursors == [None, {"seq": 4}, {"seq": 8}, {"seq": 10}]
    assert health(factory).total_count == 10


def test_crash_between_fetch_and_commit_loses_nothing_and_duplicates_nothing(
    factory, settings, monkeypatch
):
    fake = FakeListener(total=8, size=4)
    service.poll_once("x", settings, factory, listener=fake, now=NOW)
    real_save = service.save_batch

    def save_then_die(session, name, batch, now):
        real_save(session, name, batch, now)
        raise SystemExit("killed before commit")

    monkeypatch.setattr(service, "save_batch", save_then_die)
    with pytest.raises(SystemExit):
        service.poll_once("x", settings, factory, listener=fake, now=NOW)
    monkeypatch.setattr(service, "save_batch", real_save)
    # restart: the cursor did not move, so the same items come again, once
    with factory() as s:
        assert load_cursor(s, "x") == {"seq": 4}
    service.poll_once("x", settings, factory, listener=fake, now=NOW)
    service.poll_once("x", settings, factory, listener=fake, now=NOW)
    assert stored(factory) == [f"fake-{i}" for i in range(8)]


def test_cursor_cannot_commit_without_its_mentions(factory, settings, monkeypatch):
    """'Killed after commit, before the cursor' cannot happen: both are one transaction."""
    import core.mentions

    def cursor_write_fails(*args, **kwargs):
        raise SystemExit("killed while writing the cursor")

    monkeypatch.setattr(core.mentions, "store_cursor", cursor_write_fails)
    with pytest.raises(SystemExit):
        service.poll_once("x", settings, factory, listener=FakeListener(), now=NOW)
    assert stored(factory) == []


def test_rate_limit_waits_for_the_reset_time_capped_and_other_listeners_go_on(factory, settings):
    fake = FakeListener()
    fake.errors.append(RetriableSourceError("x", "429 Too Many Requests", NOW + timedelta(hours=5)))
    out = service.poll_once("x", settings, factory, listener=fake, now=NOW)
    assert out.status == "rate_limited"
    assert health(factory).retry_at == NOW + timedelta(seconds=300)  # capped at retry_max
    # while waiting, polls are skipped without calling the platform
    skipped = service.poll_once(
        "x", settings, factory, listener=fake, now=NOW + timedelta(minutes=1)
    )
    assert skipped.status == "skipped" and len(fake.cursors) == 1
    # another listener is not affected
    other = FakeListener()
    assert service.poll_once("demo", settings, factory, listener=other, now=NOW).status == "ok"
    # after the reset time the listener works again
    later = service.poll_once(
        "x", settings, factory, listener=fake, now=NOW + timedelta(seconds=301)
    )
    assert later.status == "ok" and health(factory).failures == 0


def test_retriable_errors_back_off_exponentially_with_jitter(factory, settings):
    fake = FakeListener()
    waits = []
    now = NOW
    for _ in range(4):
        fake.errors.append(RetriableSourceError("x", "503 Service Unavailable"))
        out = service.poll_once("x", settings, factory, listener=fake, now=now, rng=lambda: 1.0)
        assert out.status == "backoff"
        waits.append((health(factory).retry_at - now).total_seconds())
        now = health(factory).retry_at
    assert waits == [10, 20, 40, 80]
    assert service.backoff_delay(1, settings, lambda: 0.0).total_seconds() == 5
    assert service.backoff_delay(30, settings, lambda: 1.0).total_seconds() == 300


def test_fatal_error_stops_only_that_listener_and_hides_the_secret(factory, settings):
    fake = FakeListener()
    fake.errors.append(FatalSourceError("x", "401 Unauthorized for token tok-SECRET-123"))
    out = service.poll_once("x", settings, factory, listener=fake, now=NOW)
    assert out.status == "stopped"
    row = health(factory)
    assert row.state == "stopped" and "tok-SECRET-123" not in row.detail and "***" in row.detail
    assert service.poll_once("x", settings, factory, listener=fake, now=NOW).status == "skipped"
    assert service.clear_stopped(factory) == ["x"]
    assert service.poll_once("x", settings, factory, listener=fake, now=NOW).status == "ok"


def test_unexpected_exception_backs_off_and_is_redacted(factory, settings):
    fake = FakeListener()
    fake.errors.append(ValueError("boom at https://api/bot tok-SECRET-123/getUpdates"))
    out = service.poll_once("x", settings, factory, listener=fake, now=NOW)
    assert out.status == "backoff"
    assert "tok-SECRET-123" not in health(factory).detail


class Reparsable:
    """A stand-in reparse module: items whose raw says 'ok' parse."""

    @staticmethod
    def reparse(raw: str) -> Batch:
        from core.errors import BadPayloadError

        if raw != "ok":
            raise BadPayloadError("still no text")
        return Batch(mentions=[item(99)])


def test_quarantine_retry_resolves_what_parses_and_keeps_the_rest(factory, monkeypatch):
    monkeypatch.setitem(service.REPARSERS, "fake", "tests.listeners.test_service")
    monkeypatch.setattr("tests.listeners.test_service.reparse", Reparsable.reparse, raising=False)
    from core.db import transaction
    from core.mentions import quarantine

    with transaction(factory) as s:
        quarantine(s, "fake", [BadItem(raw="ok", reason="x"), BadItem(raw="bad", reason="y")], NOW)
    result = service.retry_quarantine(factory, now=NOW)
    assert (result.retried, result.resolved, result.still_bad) == (2, 1, 1)
    assert stored(factory) == ["fake-99"]
    with factory() as s:
        open_items = s.scalars(
            select(QuarantineItem).where(QuarantineItem.resolved_at.is_(None))
        ).all()
        assert [i.raw for i in open_items] == ["bad"]
        assert open_items[0].attempts == 1 and "still no text" in open_items[0].reason
        assert s.scalar(select(func.count()).select_from(Mention)) == 1
