"""Campaign test helpers: a planned campaign, posts at each step, and a fake platform."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from email.message import Message
from email.parser import BytesParser
from email.policy import HTTP
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from campaigns import posts
from campaigns.publishers.base import CannotTellError, Figures, Published, PublishRequest
from campaigns.service import create_campaign
from core.errors import SourceError
from core.settings import Settings

NOW = datetime(2026, 12, 7, 1, 0, tzinfo=UTC)  # Monday 08:00 WIB


def plan_data(**overrides: Any) -> dict[str, Any]:
    """A complete, valid plan for a #BeraniLAPOR campaign in Surabaya."""
    data: dict[str, Any] = {
        "name": "Berani LAPOR! Surabaya",
        "analysis": {
            "region_code": "3578",
            "region_name": "Kota Surabaya",
            "public_knowledge": "Survei kelurahan: 31% warga pernah mendengar LAPOR!",
            "knowledge_pct": 31,
            "demographics": "Usia 18-35 aktif di X dan Facebook; pekerja komuter.",
        },
        "objectives": {
            "statement": "Lebih banyak warga melapor lewat kanal resmi.",
            "kpis": [
                {"metric": "reports_uplift_pct", "target": 20},
                {"metric": "hashtag_uses", "target": 500},
                {"metric": "impressions", "target": 1_000_000},
            ],
        },
        "audiences": {"primary": ["warga usia 18-35"], "secondary": ["ketua RT/RW"]},
        "messages": {"key_messages": ["Lapor itu mudah dan aman"], "hashtags": ["#BeraniLAPOR"]},
        "strategy": {"approach": "both", "rationale": "online for reach, offline for trust"},
        "tactics": [
            {"name": "Seri posting mingguan", "mode": "online", "kind": "social_media"},
            {
                "name": "Booth Car Free Day",
                "mode": "offline",
                "kind": "car_free_day",
                "on": "2026-12-13",
                "location": "Jl. Raya Darmo",
            },
        ],  # fmt: skip
        "timing": {
            "starts_on": "2026-12-07",
            "ends_on": "2027-01-31",
            "events": [
                {"name": "CFD Darmo", "on": "2026-12-13", "joined_to": "Car Free Day Surabaya"}
            ],
        },  # fmt: skip
        "resources": {"budget_rupiah": 25_000_000, "staff": [{"name": "Sari", "role": "champion"}]},
    }
    data.update(overrides)
    return data


@pytest.fixture
def campaign(factory):
    """A stored campaign (created by 'sari')."""
    return create_campaign(factory, plan_data(), actor="sari", now=NOW - timedelta(days=3))


VERSIONS = {
    "x": "Ada pungli di layanan publik? #BeraniLAPOR lewat lapor.go.id atau SMS 1708.",
    "facebook": "Warga Surabaya, laporkan pelayanan publik yang buruk di lapor.go.id #BeraniLAPOR",
    "telegram": "Laporkan di https://lapor.go.id — identitas bisa dirahasiakan. #BeraniLAPOR",
}


def scheduled_post(factory, campaign_id: int, at: datetime, versions=None, title="Ajakan") -> int:
    """Create a post by 'sari', approve it as 'budi', schedule it at `at`; return its id."""
    post = posts.create_post(factory, campaign_id, title=title, versions=versions or VERSIONS,
                             actor="sari", now=NOW - timedelta(days=1))  # fmt: skip
    posts.submit(factory, post.id, actor="sari", now=NOW - timedelta(days=1))
    posts.approve(factory, post.id, actor="budi", now=NOW - timedelta(hours=20))
    posts.schedule(factory, post.id, at=at, actor="sari", now=NOW - timedelta(hours=20))
    return post.id


def settings(**values: Any) -> Settings:
    base = {"publish_retry_base_seconds": 60, "retry_max_seconds": 900, "publish_workers": 4}
    return Settings(_env_file=None, **(base | values))


class FakePlatform:
    """Publishers for every channel that remember each call; a script of errors per channel.

    `script[channel]` is a list of exceptions (or None for success) consumed one per call.
    `lookups` says what lookup does per channel: "find" (search the calls), "cannot" or an
    exception to raise. `delay` makes each publish call slow (to overlap two runs).
    """

    def __init__(self, delay: float = 0.0) -> None:
        self.calls: list[PublishRequest] = []
        self.posted: list[PublishRequest] = []  # what really went out
        self.script: dict[str, list[Exception | None]] = {}
        self.lookups: dict[str, Any] = {}
        self.delay = delay
        self._lock = threading.Lock()

    def __call__(self, channel: str) -> _FakePublisher:
        return _FakePublisher(self, channel)


class _FakePublisher:
    def __init__(self, platform: FakePlatform, channel: str) -> None:
        self.platform, self.channel = platform, channel

    def publish(self, request: PublishRequest) -> Published:
        p = self.platform
        if p.delay:
            time.sleep(p.delay)
        with p._lock:
            p.calls.append(request)
            script = p.script.get(self.channel) or []
            error = script.pop(0) if script else None
            if error is None or getattr(error, "posted", False):
                p.posted.append(request)
        if error is not None:
            raise error
        return Published(external_id=f"{self.channel}-{len(p.posted)}", url=None)

    def lookup(self, request: PublishRequest) -> Published | None:
        how = self.platform.lookups.get(self.channel, "find")
        if how == "cannot":
            raise CannotTellError(self.channel, "bots cannot read the channel")
        if isinstance(how, SourceError):
            raise how
        found = [r for r in self.platform.posted if r.variant_key == request.variant_key]
        return Published(external_id=f"{self.channel}-found") if found else None

    def metrics(self, external_ids: Sequence[str]) -> dict[str, Figures]:
        return {}


def jakarta(day: date, hour: int, minute: int = 0) -> datetime:
    """Return the aware UTC instant of `hour:minute` WIB on `day`."""
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC) - timedelta(hours=7)


@pytest.fixture
def image(tmp_path: Path) -> Path:
    """A small red PNG, as an attached image."""
    path = tmp_path / "berani-lapor.png"
    Image.new("RGB", (64, 64), (200, 30, 40)).save(path)
    return path


def multipart(content_type: str, body: bytes | str) -> dict[str, Message]:
    """Return the parts of a multipart/form-data body by field name."""
    raw = body if isinstance(body, bytes) else body.encode()
    message = BytesParser(policy=HTTP).parsebytes(
        f"Content-Type: {content_type}\r\n\r\n".encode() + raw
    )
    parts = message.iter_parts()  # type: ignore[attr-defined]
    return {p.get_param("name", header="content-disposition"): p for p in parts}
