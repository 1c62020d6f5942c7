"""Demo campaigns: a running #BeraniLAPOR campaign with posts at every step, and a template.

Loaded by `lapor-social demo seed` when the demo stream is on, so a new user sees the whole
loop without keys: posts already out on the console timeline (with their figures), posts
due in the next minutes that the scheduler publishes while they watch, one waiting for
approval, a draft, and a mudik template to copy.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from campaigns import posts
from campaigns.metrics import collect
from campaigns.publishers.console import ConsolePublisher
from campaigns.schedule import run_due
from campaigns.service import create_campaign
from core.clock import local
from core.outreach import Campaign
from core.settings import Settings

NAME = "Gerakan Sadar LAPOR! — Desember (demo)"
TEMPLATE = "Template: Kenal LAPOR saat Mudik (demo)"
CHAMPION, REVIEWER = "sari (demo)", "budi (demo)"


def _plan(name: str, start: date, end: date, **extra: Any) -> dict[str, Any]:
    plan: dict[str, Any] = {
        "name": name,
        "analysis": {
            "region_code": "3578",
            "region_name": "Kota Surabaya",
            "public_knowledge": "Survei kelurahan 2026: 31% warga pernah mendengar LAPOR!, "
            "9% pernah melapor. Banyak yang mengira laporan tidak ditindaklanjuti.",
            "knowledge_pct": 31,
            "demographics": "Warga 18-35 tahun aktif di X dan Facebook; pekerja komuter; "
            "ibu rumah tangga di grup Telegram kelurahan.",
        },
        "objectives": {
            "statement": "Lebih banyak warga melapor lewat kanal resmi, bukan hanya mengeluh.",
            "kpis": [
                {"metric": "reports_uplift_pct", "target": 20},
                {"metric": "leads_uplift_pct", "target": 20},
                {"metric": "hashtag_uses", "target": 500},
                {"metric": "impressions", "target": 100_000},
                {"metric": "engagement_rate_pct", "target": 3},
            ],
        },
        "audiences": {"primary": ["warga usia 18-35"], "secondary": ["ketua RT/RW", "jurnalis"]},
        "messages": {
            "key_messages": ["Lapor itu mudah: lapor.go.id atau SMS 1708", "Identitas dilindungi"],
            "hashtags": ["BeraniLAPOR", "AyokLAPOR", "GerakanSadarLAPOR"],
        },
        "strategy": {
            "approach": "both",
            "rationale": "online untuk jangkauan, offline untuk percaya",
        },
        "tactics": [
            {"name": "Seri posting harian", "mode": "online", "kind": "social_media"},
            {"name": "Infografik laporan terbanyak", "mode": "online", "kind": "social_media"},
            {
                "name": "Booth Car Free Day Darmo",
                "mode": "offline",
                "kind": "car_free_day",
                "on": (start + timedelta(days=6 - start.weekday())).isoformat(),
                "location": "Jl. Raya Darmo",
            },
        ],  # fmt: skip
        "timing": {"starts_on": start.isoformat(), "ends_on": end.isoformat(), "events": []},
        "resources": {
            "budget_rupiah": 25_000_000,
            "staff": [
                {"name": CHAMPION, "role": "champion"},
                {"name": REVIEWER, "role": "reviewer"},
            ],
        },
    }
    plan.update(extra)
    return plan


POSTS = (  # (title, hours from now, X text, Facebook text, Telegram text)
    ("Ajakan pembuka", -60,
     "Jalan rusak, pungli, layanan lambat? Jangan cuma ngeluh. #BeraniLAPOR di lapor.go.id "
     "atau SMS 1708. Identitasmu bisa dirahasiakan.",
     "Warga Surabaya, punya keluhan layanan publik? Sampaikan lewat LAPOR!: lapor.go.id atau "
     "SMS 1708. Laporan diteruskan ke instansi yang berwenang dan bisa dipantau. #BeraniLAPOR",
     "Lapor itu mudah: https://lapor.go.id atau SMS 1708. #BeraniLAPOR #AyokLAPOR"),
    ("Cara melapor dalam 3 langkah", -30,
     "1) Buka lapor.go.id 2) Tulis apa, di mana, kapan 3) Pantau tindak lanjutnya. "
     "#AyokLAPOR #BeraniLAPOR",
     "Tiga langkah melapor: buka lapor.go.id, tulis apa, di mana dan kapan, lalu pantau "
     "tindak lanjutnya. Bisa anonim. #AyokLAPOR", ""),
    ("Identitas pelapor dilindungi", -8,
     "Takut melapor? Pilih anonim atau rahasia di lapor.go.id: identitasmu tidak dibuka ke "
     "publik. #BeraniLAPOR", "",
     "Pilih anonim atau rahasia saat melapor di https://lapor.go.id #BeraniLAPOR"),
    ("Pengingat Car Free Day", 0.05,
     "Minggu pagi kami di CFD Darmo: tanya langsung cara melapor! #GerakanSadarLAPOR lapor.go.id",
     "Kunjungi booth LAPOR! di Car Free Day Darmo hari Minggu pagi. #GerakanSadarLAPOR",
     "Booth LAPOR! di CFD Darmo, Minggu pagi. #GerakanSadarLAPOR"),
    ("Kanal resmi", 0.25,
     "Laporan lewat kanal resmi bisa dipantau sampai selesai. #BeraniLAPOR lapor.go.id", "",
     "Pantau laporanmu sampai selesai di https://lapor.go.id #BeraniLAPOR"),
    ("Laporan terbanyak minggu ini", 26,
     "Laporan terbanyak minggu ini: infrastruktur. Ada jalan rusak di dekatmu? #BeraniLAPOR "
     "lapor.go.id", "Infrastruktur jadi topik laporan terbanyak minggu ini. #BeraniLAPOR", ""),
)  # fmt: skip


def exists(session: Session) -> bool:
    """Return True when the demo campaigns are already stored."""
    return session.scalar(select(Campaign.id).where(Campaign.name == NAME)) is not None


def seed(
    factory: sessionmaker[Session],
    settings: Settings,
    now: datetime,
    *,
    media_id: int | None = None,
) -> int:
    """Store the demo campaigns once (a second call finds them and does nothing); return posts made.

    Posts whose time has passed are published now on the console timeline (the scheduler's
    own code path) and get their first figures; the next ones wait for the scheduler.
    """
    with factory() as session:
        if exists(session):
            return 0
    today = local(now).date()
    campaign = create_campaign(
        factory, _plan(NAME, today - timedelta(days=3), today + timedelta(days=10)),
        actor=CHAMPION, now=now - timedelta(days=5),
    )  # fmt: skip
    mudik = date(today.year + 1, 3, 10)
    create_campaign(factory, _plan(TEMPLATE, mudik, mudik + timedelta(days=21),
                    tactics=[{"name": "Safari mudik di terminal", "mode": "offline",
                              "kind": "mudik_safari"}]),
                    actor=CHAMPION, now=now - timedelta(days=5), is_template=True)  # fmt: skip
    made = 0
    past: list[datetime] = []
    for i, (title, hours, x, fb, tg) in enumerate(POSTS):
        versions = {"x": x, "facebook": fb, "telegram": tg}
        at = now + timedelta(hours=hours)
        written = min(at, now) - timedelta(days=1)
        post = posts.create_post(factory, campaign.id, title=title, versions=versions,
                                 actor=CHAMPION, now=written, scheduled_at=at,
                                 media_id=media_id if i == len(POSTS) - 1 else None)  # fmt: skip
        made += 1
        if i == len(POSTS) - 1:
            posts.submit(factory, post.id, actor=CHAMPION, now=written)  # waits for approval
            continue
        posts.submit(factory, post.id, actor=CHAMPION, now=written)
        posts.approve(factory, post.id, actor=REVIEWER, now=written + timedelta(hours=1))
        if at <= now:  # approving scheduled it (it had a time); the scheduler was 'running'
            past.append(at)
    posts.create_post(factory, campaign.id, title="Draf: testimoni pelapor",
                      versions={"facebook": "Cerita Bu Sri: jalan di kampungnya diperbaiki "
                                            "setelah ia melapor. #BeraniLAPOR"},
                      actor=CHAMPION, now=now)  # fmt: skip
    _publish_past(factory, settings, past, now)
    return made + 1


def _publish_past(factory: sessionmaker[Session], settings: Settings, times: list[datetime],
                  now: datetime) -> None:  # fmt: skip
    """Publish the demo's past posts at their own times on the console, then snapshot their
    figures every six hours up to `now`, as the scheduler would have."""
    grace = settings.model_copy(update={"publish_misfire_grace_minutes": 10**6})
    for moment in sorted(times):
        clock = _stopped(moment)
        run_due(factory, _console(factory, clock), grace, clock)
    snapshot = min(times, default=now) + timedelta(hours=1)
    while snapshot <= now:
        clock = _stopped(snapshot)
        collect(factory, _console(factory, clock), snapshot, every=timedelta(minutes=1))
        snapshot += timedelta(hours=6)


def _stopped(at: datetime) -> Callable[[], datetime]:
    """A clock that stands at `at` (the demo's past)."""
    return lambda: at


def _console(
    factory: sessionmaker[Session], clock: Callable[[], datetime]
) -> Callable[[str], ConsolePublisher]:
    return lambda channel: ConsolePublisher(channel, factory, clock=clock)
