"""Legal deadlines in Asia/Jakarta working days (weekends, holidays, cuti bersama, overrides).

Counting rule: the submission day itself never counts. Day 1 is the first working day strictly
after the submission's local (WIB) date, so a report sent on a Saturday, a holiday or a cuti
bersama day starts counting on the next working day, and one sent on a working day starts
counting the next working day. A deadline is the end of the n-th such day, 23:59:59 WIB,
returned as aware UTC. Priority (Covid-like) reports count calendar days the same way.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any, Literal

import holidays
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.casework import HolidayOverride
from core.clock import JAKARTA, as_utc
from core.settings import Settings

ClockState = Literal["on_time", "due_today", "overdue"]
_END_OF_DAY = time(23, 59, 59)
# holidays' Indonesian categories: PUBLIC (national holidays) and GOVERNMENT (cuti bersama,
# the joint leave days of the SKB 3 Menteri, e.g. 20, 23 and 24 March 2026 around Idul Fitri).
CATEGORIES = ("public", "government")


class WorkingCalendar:
    """Indonesian working days: Monday-Friday minus national holidays and cuti bersama.

    `overrides` maps a day to True when a late decree made it a day off and to False when it
    made a working day; an override always wins over the weekday and the holiday list.
    """

    def __init__(self, years: Iterable[int], overrides: Mapping[date, bool] | None = None):
        self._holidays = holidays.country_holidays("ID", years=list(years), categories=CATEGORIES)
        self._overrides = dict(overrides or {})

    def is_working_day(self, day: date) -> bool:
        """Return True when `day` is a working day in Indonesia."""
        off = self._overrides.get(day)
        if off is not None:
            return not off
        return day.weekday() < 5 and day not in self._holidays

    def why_off(self, day: date) -> str | None:
        """Return why `day` is not a working day (holiday name, "override", weekend), or None."""
        if self.is_working_day(day):
            return None
        if self._overrides.get(day):
            return "override"
        return self._holidays.get(day) or "weekend"

    def add_working_days(self, start: datetime, n: int) -> datetime:
        """Return the end (23:59:59 WIB, as UTC) of the n-th working day after `start`'s day."""
        return add_working_days(start, n, self)


def _end_of_local_day(day: date) -> datetime:
    return as_utc(datetime.combine(day, _END_OF_DAY, tzinfo=JAKARTA))


def _local_date(value: datetime) -> date:
    return as_utc(value).astimezone(JAKARTA).date()


def add_working_days(start: datetime, n: int, calendar: WorkingCalendar) -> datetime:
    """Return the end (23:59:59 WIB, as aware UTC) of the n-th working day after `start`'s day.

    n = 0 gives the end of the start day itself. Raises ValueError when n is negative.
    """
    if n < 0:
        raise ValueError(f"a number of working days cannot be negative ({n})")
    day = _local_date(start)
    counted = 0
    while counted < n:
        day += timedelta(days=1)
        if calendar.is_working_day(day):
            counted += 1
    return _end_of_local_day(day)


def add_calendar_days(start: datetime, n: int) -> datetime:
    """Return the end (23:59:59 WIB, as aware UTC) of the n-th calendar day after `start`'s day.

    Raises ValueError when n is negative.
    """
    if n < 0:
        raise ValueError(f"a number of days cannot be negative ({n})")
    return _end_of_local_day(_local_date(start) + timedelta(days=n))


@dataclass(frozen=True, slots=True, kw_only=True)
class Deadlines:
    """A report's deadlines as aware UTC instants; None while that clock has not started."""

    verify_due: datetime | None
    followup_due: datetime | None
    resolve_due: datetime | None
    close_due: datetime | None


def resolve_working_days(kind: str, settings: Settings, *, supervised: bool = False) -> int:
    """Return the resolution ceiling in working days for `kind` (pengaduan, aspirasi, ...).

    Raises ValueError for an unknown kind.
    """
    if kind == "pengaduan":
        if supervised:
            return settings.resolve_working_days_pengaduan_supervised
        return settings.resolve_working_days_pengaduan
    if kind == "aspirasi":
        return settings.resolve_working_days_aspirasi
    if kind == "permintaan_informasi":
        return settings.resolve_working_days_permintaan_informasi
    raise ValueError(f"unknown report kind '{kind}'")


def deadlines(
    submitted_at: datetime,
    kind: str,
    priority: bool,
    settings: Settings,
    calendar: WorkingCalendar,
    *,
    verified_at: datetime | None = None,
    dispatched_at: datetime | None = None,
    followed_up_at: datetime | None = None,
    supervised: bool = False,
) -> Deadlines:
    """Return the report's deadlines from the times of its steps so far.

    - verify_due: `verify_working_days` after submission.
    - followup_due: `followup_working_days` after dispatch; before dispatch, after verification
      (the agency's clock cannot start before the report is verified); None before that.
    - resolve_due: the kind's ceiling (pengaduan 14, or 60 when `supervised`; aspirasi 5;
      permintaan_informasi 5 working days) after submission.
    - close_due: `close_after_silent_working_days` after the (latest) follow-up; None before.
    A priority report must be answered within `priority_calendar_days` calendar days: its
    resolve_due is that, and no other deadline may fall after it.
    Raises ValueError for an unknown kind.
    """
    verify_due = add_working_days(submitted_at, settings.verify_working_days, calendar)
    anchor = dispatched_at or verified_at
    followup_due = (
        add_working_days(anchor, settings.followup_working_days, calendar) if anchor else None
    )
    resolve_days = resolve_working_days(kind, settings, supervised=supervised)
    resolve_due = add_working_days(submitted_at, resolve_days, calendar)
    close_due = (
        add_working_days(followed_up_at, settings.close_after_silent_working_days, calendar)
        if followed_up_at
        else None
    )
    if priority:
        resolve_due = add_calendar_days(submitted_at, settings.priority_calendar_days)
        verify_due = min(verify_due, resolve_due)
        followup_due = min(followup_due, resolve_due) if followup_due else None
    return Deadlines(
        verify_due=verify_due,
        followup_due=followup_due,
        resolve_due=resolve_due,
        close_due=close_due,
    )


def clock_state(due: datetime | None, now: datetime) -> ClockState:
    """Return "overdue" after `due`, "due_today" on its WIB date, else "on_time".

    No deadline (a clock that has not started or has stopped) counts as "on_time".
    """
    if due is None:
        return "on_time"
    if as_utc(now) > as_utc(due):
        return "overdue"
    return "due_today" if _local_date(now) == _local_date(due) else "on_time"


def active_due(report: Any) -> datetime | None:
    """Return the deadline the board shows for a report-like object, by its status.

    submitted: verify_due; verified and dispatched: the earlier of followup_due and resolve_due;
    followed_up: close_due (when the silent report closes); draft and final states: None.
    """
    status = report.status
    if status == "submitted":
        return report.verify_due
    if status in ("verified", "dispatched"):
        dues = [d for d in (report.followup_due, report.resolve_due) if d is not None]
        return min(dues) if dues else None
    if status == "followed_up":
        return report.close_due
    return None


def load_calendar(session: Session, years: Iterable[int]) -> WorkingCalendar:
    """Return the working calendar of `years` with every HolidayOverride row applied."""
    rows = session.execute(select(HolidayOverride.day, HolidayOverride.off)).all()
    return WorkingCalendar(years, {day: off for day, off in rows})
