"""Forwarding to the LAPOR! core against a local HTTP server with scripted answers."""

from __future__ import annotations

import json
import random
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from core.casework import AuditEntry, Report
from core.db import transaction
from core.settings import Settings
from handler.forward import ForwardResult, backoff, forward_pending
from tests.fakehttp import send_json, serving

NOW = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)
TOKEN = "core-fake-token-0123456789"


class FakeCore(ThreadingHTTPServer):
    """Records each request (path, headers, JSON body); answers from a script, then 201."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _CoreHandler)
        self.requests: list[tuple[str, dict[str, str], Any]] = []
        self.script: list[tuple[int, Any, dict[str, str]]] = []
        self.delay = 0.0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_port}/api/v1/laporan"


class _CoreHandler(BaseHTTPRequestHandler):
    server: FakeCore

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)))
        self.server.requests.append((self.path, dict(self.headers), body))
        if self.server.delay:
            threading.Event().wait(self.server.delay)
        n = len(self.server.requests)
        status, payload, headers = (
            self.server.script.pop(0) if self.server.script else (201, {"id": f"core-{n}"}, {})
        )
        try:
            send_json(self, status, payload, headers)
        except OSError:  # the client gave up waiting
            pass

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def core() -> Iterator[FakeCore]:
    with serving(FakeCore()) as server:
        yield server


def settings(url: str | None) -> Settings:
    return Settings(_env_file=None, lapor_core_url=url, lapor_core_token=TOKEN,
                    retry_base_seconds=30, retry_max_seconds=900)  # fmt: skip


def add_report(factory: sessionmaker[Session], n: int = 1, **values: Any) -> int:
    with transaction(factory) as s:
        report = Report(
            tracking_id=f"LPR-2026-{n:06d}",
            kind="pengaduan",
            sector="kesehatan",
            title="Antrean BPJS di Puskesmas Kenjeran",
            description=values.pop(
                "description", "Antre 5 jam. Hubungi saya 081234567890, NIK 3578010101900001."
            ),
            location="Puskesmas Kenjeran",
            region_code="35.78",
            agency_code="DINKES-SBY",
            status=values.pop("status", "submitted"),
            reporter_platform="x",
            reporter_handle="warga_sby",
            created_by="dina",
            created_at=NOW - timedelta(hours=1),
            updated_at=NOW - timedelta(hours=1),
            **values,
        )
        s.add(report)
        s.flush()
        return report.id


def report(factory: sessionmaker[Session], report_id: int) -> Report:
    with factory() as s:
        found = s.get(Report, report_id)
        assert found is not None
        return found


def run(factory: sessionmaker[Session], url: str | None, now: datetime = NOW) -> ForwardResult:
    return forward_pending(factory, settings(url), now, rng=random.Random(7))


def test_a_submitted_report_is_posted_once_with_its_idempotency_key(
    factory: sessionmaker[Session], core: FakeCore
) -> None:
    report_id = add_report(factory, anonim=True)
    draft_id = add_report(factory, 2, status="draft")
    assert run(factory, core.url) == ForwardResult(sent=1)
    assert run(factory, core.url) == ForwardResult()  # sent reports are not posted again
    assert len(core.requests) == 1
    path, headers, body = core.requests[0]
    assert path == "/api/v1/laporan"
    assert headers["Idempotency-Key"] == "LPR-2026-000001"
    assert headers["Authorization"] == f"Bearer {TOKEN}"
    assert body == {
        "tracking_id": "LPR-2026-000001",
        "kind": "pengaduan",
        "sector": "kesehatan",
        "title": "Antrean BPJS di Puskesmas Kenjeran",
        "description": "Antre 5 jam. Hubungi saya [TELEPON], NIK [NIK].",
        "location": "Puskesmas Kenjeran",
        "region_code": "35.78",
        "agency_code": "DINKES-SBY",
        "created_at": "2026-11-20T07:00:00+00:00",
        "anonim": True,
        "rahasia": False,
    }
    sent = report(factory, report_id)
    assert (sent.forward_state, sent.core_id, sent.forward_attempts) == ("sent", "core-1", 1)
    assert report(factory, draft_id).forward_state == "not_sent"
    with factory() as s:
        actions = list(
            s.scalars(select(AuditEntry.action).where(AuditEntry.entity_id == report_id))
        )
    assert actions == ["forward"]


def test_409_means_the_core_has_it_already(factory: sessionmaker[Session], core: FakeCore) -> None:
    report_id = add_report(factory)
    core.script.append((409, {"id": "LAP-88812", "error": "duplicate"}, {}))
    assert run(factory, core.url) == ForwardResult(sent=1)
    assert (report(factory, report_id).forward_state, report(factory, report_id).core_id) == (
        "sent",
        "LAP-88812",
    )


def test_5xx_and_429_retry_later_with_growing_jittered_waits(
    factory: sessionmaker[Session], core: FakeCore
) -> None:
    report_id = add_report(factory)
    core.script += [
        (503, {"error": "maintenance"}, {}),
        (500, {}, {}),
        (429, {}, {"Retry-After": "600"}),
    ]
    assert run(factory, core.url) == ForwardResult(retry=1)
    first = report(factory, report_id)
    assert first.forward_state == "retry" and "HTTP 503" in (first.forward_error or "")
    wait1 = first.forward_next_at - NOW  # type: ignore[operator]
    assert timedelta(seconds=15) <= wait1 <= timedelta(seconds=30)
    assert run(factory, core.url, NOW + wait1 - timedelta(seconds=1)) == ForwardResult()  # not due
    later = NOW + wait1
    assert run(factory, core.url, later) == ForwardResult(retry=1)
    wait2 = report(factory, report_id).forward_next_at - later  # type: ignore[operator]
    assert timedelta(seconds=30) <= wait2 <= timedelta(seconds=60)
    assert run(factory, core.url, later + wait2) == ForwardResult(retry=1)
    third = report(factory, report_id)
    assert third.forward_next_at == later + wait2 + timedelta(seconds=600)  # Retry-After wins
    assert run(factory, core.url, third.forward_next_at) == ForwardResult(sent=1)  # type: ignore[arg-type]
    assert report(factory, report_id).forward_attempts == 4
    assert len(core.requests) == 4
    assert {h["Idempotency-Key"] for _, h, _ in core.requests} == {"LPR-2026-000001"}


def test_a_timeout_is_retried(factory: sessionmaker[Session], core: FakeCore) -> None:
    report_id = add_report(factory)
    core.delay = 0.5
    with httpx.Client(timeout=0.1) as client:
        result = forward_pending(factory, settings(core.url), NOW, client, rng=random.Random(1))
    assert result == ForwardResult(retry=1)
    assert "did not answer in time" in (report(factory, report_id).forward_error or "")


def test_other_4xx_fail_with_the_error_and_are_not_retried(
    factory: sessionmaker[Session], core: FakeCore
) -> None:
    report_id = add_report(factory)
    core.script.append((422, {"error": "sector 'kesehatan' tidak dikenal"}, {}))
    assert run(factory, core.url) == ForwardResult(failed=1)
    failed = report(factory, report_id)
    assert failed.forward_state == "failed"
    assert "HTTP 422" in (failed.forward_error or "") and "tidak dikenal" in failed.forward_error
    assert run(factory, core.url, NOW + timedelta(days=1)) == ForwardResult()
    assert len(core.requests) == 1


def test_no_url_means_nothing_is_sent(factory: sessionmaker[Session], core: FakeCore) -> None:
    report_id = add_report(factory)
    assert run(factory, None) == ForwardResult()
    assert core.requests == [] and report(factory, report_id).forward_state == "not_sent"


def test_an_unreachable_core_is_retried_and_the_token_never_stored(
    factory: sessionmaker[Session],
) -> None:
    report_id = add_report(factory)
    assert run(factory, "http://127.0.0.1:9/laporan") == ForwardResult(retry=1)
    failed = report(factory, report_id)
    assert "could not reach" in (failed.forward_error or "") and TOKEN not in failed.forward_error


def test_backoff_doubles_up_to_the_cap_with_jitter() -> None:
    s = settings(None)
    rng = random.Random(3)
    for attempts, full in ((1, 30), (2, 60), (3, 120), (6, 900), (40, 900)):
        wait = backoff(attempts, s, rng).total_seconds()
        assert full / 2 <= wait <= full
