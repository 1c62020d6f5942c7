"""Figures from our own data: reports (or leads) by sector and totals, ready for an infographic."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from content.infographic import Bar, ChartSpec
from core.casework import Lead, Report
from core.clock import JAKARTA, as_utc
from core.errors import InputError
from core.models import Mention
from core.numbers import format_number, format_percent
from core.taxonomy import sector_label

MONTHS = ("Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus",
          "September", "Oktober", "November", "Desember")  # fmt: skip
OTHER = "lainnya"  # the taxonomy's catch-all sector; the smallest sectors join it on a chart
UNCOUNTED_STATES = ("draft",)  # a draft was never submitted, so it is not a report yet


@dataclass(frozen=True, slots=True, kw_only=True)
class SectorCount:
    """One sector's part of the period: its slug, display label, count and share of the total."""

    sector: str
    label: str
    count: int
    share: float


@dataclass(frozen=True, slots=True, kw_only=True)
class SectorShares:
    """Reports (or leads) by sector over Asia/Jakarta dates `start`..`end`, largest first."""

    source: str  # "reports", or "leads" when the period has no reports yet
    start: date
    end: date
    region_prefix: str | None
    total: int
    sectors: tuple[SectorCount, ...]

    def bars(self, top: int = 5) -> tuple[Bar, ...]:
        """Return at most `top` bars: the largest sectors, then the rest together as "Lainnya"."""
        if top < 1:
            raise InputError("Show at least one bar.")
        if len(self.sectors) <= top:
            shown, rest = list(self.sectors), []
        else:
            named = [s for s in self.sectors if s.sector != OTHER]
            shown, rest = named[: top - 1], [s for s in self.sectors if s not in named[: top - 1]]
        bars = [Bar(label=s.label, share=s.share) for s in shown]
        if rest:
            bars.append(Bar(label=sector_label(OTHER), share=sum(s.share for s in rest)))
        return tuple(bars)

    def headline(self, lead: str = "Laporan terbanyak minggu ini") -> str:
        """Return the top sector as a sentence: "Laporan terbanyak minggu ini: infrastruktur 42%".

        Raises InputError when the period has nothing to count.
        """
        if not self.sectors:
            raise InputError(
                f"There are no {self.source} to count in {period_text(self.start, self.end)}."
            )
        top = self.sectors[0]
        return f"{lead}: {top.label.lower()} {format_percent(top.share, 0)}"

    def chart(self, *, title: str, top: int = 5, **look: Any) -> ChartSpec:
        """Return a data-driven infographic of these shares, subtitled with the total and period.

        `look` passes on hashtags, footer and scheme. Raises InputError when there is nothing
        to show.
        """
        if not self.sectors:
            raise InputError(
                f"There are no {self.source} to count in {period_text(self.start, self.end)}."
            )
        noun = "laporan" if self.source == "reports" else "aduan di media sosial"
        subtitle = f"Dari {format_number(self.total)} {noun}, {period_text(self.start, self.end)}"
        return ChartSpec(title=title, subtitle=subtitle, bars=self.bars(top), **look)


def last_days(now: datetime, days: int) -> tuple[date, date]:
    """Return the first and last Asia/Jakarta date of the `days` days that end today.

    Raises InputError when `days` is less than 1.
    """
    if days < 1:
        raise InputError("Count at least one day.")
    today = as_utc(now).astimezone(JAKARTA).date()
    return today - timedelta(days=days - 1), today


def period_text(start: date, end: date) -> str:
    """Return a date range as Indonesians write it: "1–7 Juni 2026", "28 Mei–3 Juni 2026"."""

    def day(d: date, year: bool) -> str:
        return f"{d.day} {MONTHS[d.month - 1]}" + (f" {d.year}" if year else "")

    if start == end:
        return day(end, True)
    if (start.year, start.month) == (end.year, end.month):
        return f"{start.day}–{day(end, True)}"
    return f"{day(start, start.year != end.year)}–{day(end, True)}"


def _utc_bounds(start: date, end: date) -> tuple[datetime, datetime]:
    # Jakarta has no daylight saving, but going through the zone keeps that knowledge in one place.
    low = datetime.combine(start, time(), JAKARTA).astimezone(UTC)
    high = datetime.combine(end + timedelta(days=1), time(), JAKARTA).astimezone(UTC)
    return low, high


def _prefix(region_prefix: str | None) -> str | None:
    if region_prefix is None or not region_prefix.strip():
        return None
    digits = region_prefix.strip().replace(".", "")  # "35.78" is how people write 3578
    if not digits.isdigit():
        raise InputError(
            f"'{region_prefix}' is not a region code: use Kemendagri digits, e.g. 3578."
        )
    return digits


def _report_filter(start: date, end: date, region_prefix: str | None) -> list[Any]:
    if end < start:
        raise InputError(f"The period ends ({end}) before it starts ({start}).")
    low, high = _utc_bounds(start, end)
    where = [
        Report.created_at >= low,
        Report.created_at < high,
        Report.status.not_in(UNCOUNTED_STATES),
    ]
    if (prefix := _prefix(region_prefix)) is not None:
        where.append(Report.region_code.like(f"{prefix}%"))
    return where


def report_total(
    factory: sessionmaker[Session], *, start: date, end: date, region_prefix: str | None = None
) -> int:
    """Return how many reports were made on Asia/Jakarta dates `start`..`end` (drafts aside).

    `region_prefix` keeps reports whose region code starts with it. Raises InputError for a
    period that ends before it starts or a region code that is not digits.
    """
    with factory() as session:
        stmt = (
            select(func.count())
            .select_from(Report)
            .where(*_report_filter(start, end, region_prefix))
        )
        return int(session.scalar(stmt) or 0)


def sector_shares(
    factory: sessionmaker[Session],
    *,
    now: datetime,
    days: int = 7,
    region_prefix: str | None = None,
    min_complaint_score: float = 0.5,
) -> SectorShares:
    """Return each sector's share of the reports made in the last `days` Jakarta dates.

    With no reports in the period (and no region asked for: leads carry no region), the shares
    of the triaged complaints in the inbox are returned instead, `source="leads"`: leads not
    dismissed, with a sector and a complaint score of at least `min_complaint_score`, by the
    date the citizen posted. Raises InputError for `days` < 1 or a malformed region code.
    """
    start, end = last_days(now, days)
    with factory() as session:
        stmt = select(Report.sector, func.count()).where(*_report_filter(start, end, region_prefix))
        counts = {sector: n for sector, n in session.execute(stmt.group_by(Report.sector))}
        source = "reports"
        if not counts and _prefix(region_prefix) is None:
            low, high = _utc_bounds(start, end)
            leads = (
                select(Lead.sector, func.count())
                .join(Mention, Mention.id == Lead.mention_id)
                .where(
                    Mention.created_at >= low,
                    Mention.created_at < high,
                    Lead.state != "dismissed",
                    Lead.sector.is_not(None),
                    Lead.complaint_score >= min_complaint_score,
                )
                .group_by(Lead.sector)
            )
            counts = {sector: n for sector, n in session.execute(leads) if sector is not None}
            source = "leads"
    total = sum(counts.values())
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1], sector_label(kv[0])))
    sectors = tuple(
        SectorCount(sector=s, label=sector_label(s), count=n, share=n / total) for s, n in ranked
    )
    return SectorShares(
        source=source,
        start=start,
        end=end,
        region_prefix=_prefix(region_prefix),
        total=total,
        sectors=sectors,
    )
