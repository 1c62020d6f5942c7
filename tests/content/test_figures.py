"""Figures from our own reports and leads, by Asia/Jakarta date, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from itertools import count

import pytest
from sqlalchemy.orm import Session, sessionmaker

from content.figures import last_days, period_text, report_total, sector_shares
from content.infographic import render
from core.casework import Lead, Report
from core.db import transaction
from core.errors import InputError
from core.models import Mention

# 08:00 WIB on Sunday 7 June 2026: "the last 7 days" are 1..7 June in Jakarta.
NOW = datetime(2026, 6, 7, 1, 0, tzinfo=UTC)
_ids = count(1)


def wib(day: int, hour: int = 10, minute: int = 0) -> datetime:
    """The UTC instant of hour:minute WIB (UTC+7) on `day` June 2026."""
    return datetime(2026, 6, day, hour, minute, tzinfo=UTC) - timedelta(hours=7)


def add_report(factory: sessionmaker[Session], sector: str, at: datetime, *,
               status: str = "submitted", region: str | None = "3578") -> None:  # fmt: skip
    n = next(_ids)
    with transaction(factory) as session:
        session.add(Report(tracking_id=f"LPR-2026-{n:06d}", kind="pengaduan", sector=sector,
                           title="Jalan rusak", description="Jalan berlubang", status=status,
                           region_code=region, created_by="handler", created_at=at,
                           updated_at=at))  # fmt: skip


def add_lead(factory: sessionmaker[Session], sector: str | None, posted: datetime, *,
             state: str = "open", score: float = 0.9) -> None:  # fmt: skip
    n = next(_ids)
    with transaction(factory) as session:
        mention = Mention(platform="x", external_id=f"t{n}", text="jalan rusak", created_at=posted,
                          listener="x", retrieved_at=posted, first_seen_at=posted)  # fmt: skip
        session.add(mention)
        session.flush()
        session.add(Lead(mention_id=mention.id, state=state, sector=sector, complaint_score=score,
                         triaged_at=posted, updated_at=posted))  # fmt: skip


def test_sector_shares_of_the_reports_of_the_last_days(factory: sessionmaker[Session]) -> None:
    for _ in range(3):
        add_report(factory, "infrastruktur", wib(3))
    add_report(factory, "kesehatan", wib(1, 0, 0))  # 00:00 WIB on 1 June: the first instant
    add_report(factory, "kependudukan", wib(7, 7, 59))  # today, just before NOW
    add_report(factory, "kesehatan", wib(5), status="draft")  # never submitted: not counted
    add_report(factory, "sosial", wib(1, 0, 0) - timedelta(seconds=1))  # 31 May, 23:59:59 WIB
    add_report(factory, "sosial", wib(8, 0, 30))  # 8 June in Jakarta (still 7 June in UTC)

    shares = sector_shares(factory, now=NOW, days=7)

    assert (shares.source, shares.start, shares.end, shares.total) == (
        "reports", date(2026, 6, 1), date(2026, 6, 7), 5,
    )  # fmt: skip
    got = [(s.sector, s.label, s.count, s.share) for s in shares.sectors]
    assert got == [
        ("infrastruktur", "Infrastruktur", 3, 0.6),
        ("kependudukan", "Kependudukan", 1, 0.2),  # ties in label order
        ("kesehatan", "Kesehatan", 1, 0.2),
    ]
    assert shares.headline() == "Laporan terbanyak minggu ini: infrastruktur 60%"


def test_a_region_prefix_keeps_that_region_only(factory: sessionmaker[Session]) -> None:
    add_report(factory, "infrastruktur", wib(2), region="3578")  # Kota Surabaya
    add_report(factory, "kesehatan", wib(2), region="3522")  # Bojonegoro
    add_report(factory, "kesehatan", wib(2), region="3578")
    add_report(factory, "sosial", wib(2), region=None)

    surabaya = sector_shares(factory, now=NOW, region_prefix="35.78")
    jatim = sector_shares(factory, now=NOW, region_prefix="35")

    assert [(s.sector, s.count) for s in surabaya.sectors] == [
        ("infrastruktur", 1),
        ("kesehatan", 1),
    ]
    assert (surabaya.region_prefix, jatim.total) == ("3578", 3)
    with pytest.raises(InputError, match="'Surabaya' is not a region code"):
        sector_shares(factory, now=NOW, region_prefix="Surabaya")


def test_without_reports_the_inbox_complaints_are_counted(factory: sessionmaker[Session]) -> None:
    add_lead(factory, "infrastruktur", wib(2))
    add_lead(factory, "infrastruktur", wib(3))
    add_lead(factory, "energi", wib(4), state="converted")
    add_lead(factory, "energi", wib(4), state="dismissed")  # spam or not a complaint
    add_lead(factory, "sosial", wib(4), score=0.2)  # probably not a complaint
    add_lead(factory, None, wib(4))  # no sector yet
    add_lead(factory, "sosial", wib(1) - timedelta(days=1))  # before the period

    shares = sector_shares(factory, now=NOW, days=7)

    assert (shares.source, shares.total) == ("leads", 3)
    assert [(s.label, s.count) for s in shares.sectors] == [("Infrastruktur", 2), ("Energi", 1)]
    # Leads carry no region: asking for one counts reports only.
    assert sector_shares(factory, now=NOW, region_prefix="3578").total == 0


def test_shares_become_bars_with_the_rest_as_lainnya(factory: sessionmaker[Session]) -> None:
    for sector, n in (("infrastruktur", 5), ("kesehatan", 2), ("lainnya", 1), ("sosial", 1),
                      ("energi", 1)):  # fmt: skip
        for _ in range(n):
            add_report(factory, sector, wib(4))

    shares = sector_shares(factory, now=NOW)
    bars = shares.bars(top=3)

    assert [(b.label, b.share) for b in bars] == [
        ("Infrastruktur", 0.5),
        ("Kesehatan", 0.2),
        ("Lainnya", pytest.approx(0.3)),
    ]
    assert len(shares.bars(top=5)) == 5
    chart = shares.chart(title="Laporan terbanyak minggu ini", top=3, scheme="diskominfo_biru")
    assert chart.subtitle == "Dari 10 laporan, 1–7 Juni 2026"
    rendered = render(chart, "x")
    assert "Infrastruktur: 50%. Kesehatan: 20%. Lainnya: 30%." in rendered.alt_text


def test_nothing_to_count_says_so(factory: sessionmaker[Session]) -> None:
    shares = sector_shares(factory, now=NOW)

    assert (shares.total, shares.sectors) == (0, ())
    with pytest.raises(InputError, match="no leads to count in 1–7 Juni 2026"):
        shares.chart(title="Laporan terbanyak")


def test_report_total_counts_a_period_of_jakarta_dates(factory: sessionmaker[Session]) -> None:
    add_report(factory, "infrastruktur", wib(1, 0, 0))
    add_report(factory, "kesehatan", wib(3))
    add_report(factory, "kesehatan", wib(3), status="draft")
    add_report(factory, "sosial", wib(4, 0, 0))  # the day after the period
    add_report(factory, "sosial", wib(2), region="3522")

    assert report_total(factory, start=date(2026, 6, 1), end=date(2026, 6, 3)) == 3
    assert report_total(factory, start=date(2026, 6, 1), end=date(2026, 6, 3),
                        region_prefix="3578") == 2  # fmt: skip
    with pytest.raises(InputError, match="ends .* before it starts"):
        report_total(factory, start=date(2026, 6, 3), end=date(2026, 6, 1))


def test_periods_in_jakarta_dates_and_indonesian_words() -> None:
    assert last_days(NOW, 7) == (date(2026, 6, 1), date(2026, 6, 7))
    assert last_days(datetime(2026, 6, 7, 17, 0, tzinfo=UTC), 1) == (date(2026, 6, 8),) * 2
    assert period_text(date(2026, 6, 1), date(2026, 6, 7)) == "1–7 Juni 2026"
    assert period_text(date(2026, 5, 28), date(2026, 6, 3)) == "28 Mei–3 Juni 2026"
    assert period_text(date(2025, 12, 29), date(2026, 1, 4)) == "29 Desember 2025–4 Januari 2026"
    assert period_text(date(2026, 6, 7), date(2026, 6, 7)) == "7 Juni 2026"
    with pytest.raises(InputError, match="at least one day"):
        last_days(NOW, 0)
