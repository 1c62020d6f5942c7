"""Campaign windows in Asia/Jakarta dates, and counting by Jakarta day on either back end."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Date, and_, cast, func
from sqlalchemy.orm import Session

from core.clock import JAKARTA
from core.errors import InputError


@dataclass(frozen=True, slots=True, kw_only=True)
class Window:
    """Asia/Jakarta dates from `start` to `end`, both included."""

    start: date
    end: date

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError(f"a window cannot end ({self.end}) before it starts ({self.start})")

    @property
    def days(self) -> int:
        """Return how many days the window holds."""
        return (self.end - self.start).days + 1

    def dates(self) -> list[date]:
        """Return every date of the window in order."""
        return [self.start + timedelta(days=i) for i in range(self.days)]

    def bounds(self) -> tuple[datetime, datetime]:
        """Return [first instant, instant after the last day) in aware UTC."""
        first = datetime.combine(self.start, time(), JAKARTA)
        after = datetime.combine(self.end + timedelta(days=1), time(), JAKARTA)
        return first.astimezone(UTC), after.astimezone(UTC)


@dataclass(frozen=True, slots=True, kw_only=True)
class CampaignWindows:
    """The campaign so far, the as-long baseline just before it, and the after window."""

    campaign: Window
    baseline: Window
    after: Window | None  # None while the campaign runs


def campaign_windows(starts_on: date, ends_on: date, today: date) -> CampaignWindows:
    """Return the windows of a campaign on `today` (Asia/Jakarta dates, today included).

    Campaign: start .. min(end, today). Baseline: as many days just before the start.
    After: end + 1 .. at most the campaign's length, clipped to today; None until the end has
    passed. Raises InputError when the dates are reversed or the campaign has not started.
    """
    if ends_on < starts_on:
        raise InputError(f"The campaign ends on {ends_on}, before it starts ({starts_on}).")
    if today < starts_on:
        raise InputError(f"The campaign starts on {starts_on}; there is nothing to evaluate yet.")
    campaign = Window(start=starts_on, end=min(ends_on, today))
    baseline = Window(start=starts_on - timedelta(days=campaign.days), end=starts_on - timedelta(1))
    after = None
    if today > ends_on:
        length = (ends_on - starts_on).days + 1
        after = Window(start=ends_on + timedelta(1), end=min(ends_on + timedelta(length), today))
    return CampaignWindows(campaign=campaign, baseline=baseline, after=after)


@dataclass(frozen=True, slots=True, kw_only=True)
class DayCount:
    """A count on one Asia/Jakarta date."""

    day: date
    count: int


def jakarta_day(session: Session, column: Any) -> ColumnElement[Any]:
    """Return the SQL for the Asia/Jakarta date of a UTC timestamp column on this back end."""
    if session.get_bind().dialect.name == "sqlite":
        # Naive UTC text; date() rounds .9995 s up into the next second, so cut the fraction.
        # Jakarta has kept +07:00 with no daylight saving since 1964.
        return func.date(func.substr(column, 1, 19), "+7 hours")
    return cast(func.timezone("Asia/Jakarta", column), Date)


def as_date(value: date | str) -> date:
    return value if isinstance(value, date) else date.fromisoformat(value)


def within(column: Any, window: Window) -> ColumnElement[bool]:
    first, after = window.bounds()
    return and_(column >= first, column < after)


def filled(window: Window, counts: Mapping[date, int]) -> tuple[DayCount, ...]:
    return tuple(DayCount(day=d, count=counts.get(d, 0)) for d in window.dates())
