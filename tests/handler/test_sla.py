"""Working-day deadlines in Asia/Jakarta around Lebaran 2026, weekends, overrides, priority."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy.orm import Session, sessionmaker

from core.casework import HolidayOverride
from core.clock import JAKARTA
from core.db import transaction
from core.settings import Settings
from handler.sla import (
    WorkingCalendar,
    active_due,
    add_working_days,
    clock_state,
    deadlines,
    load_calendar,
)

CAL = WorkingCalendar([2026])
SETTINGS = Settings(_env_file=None)


def wib(*args: int) -> datetime:
    return datetime(*args, tzinfo=JAKARTA)


def end_of(day: date) -> datetime:
    """23:59:59 WIB of `day`, as UTC (16:59:59Z)."""
    return datetime(day.year, day.month, day.day, 16, 59, 59, tzinfo=UTC)


def test_lebaran_2026_nyepi_idul_fitri_and_cuti_bersama_are_off() -> None:
    # 18 Mar cuti Nyepi, 19 Nyepi, 20 cuti, 21-22 Idul Fitri (weekend), 23-24 cuti bersama.
    off = [date(2026, 3, d) for d in range(18, 25)]
    assert [CAL.is_working_day(d) for d in off] == [False] * 7
    assert CAL.is_working_day(date(2026, 3, 17)) and CAL.is_working_day(date(2026, 3, 25))
    assert "Joint Holiday" in (CAL.why_off(date(2026, 3, 23)) or "")


def test_verify_within_three_working_days_across_lebaran() -> None:
    # Submitted Tuesday 17 March: 25, 26, 27 March are the three working days.
    assert add_working_days(wib(2026, 3, 17, 10), 3, CAL) == end_of(date(2026, 3, 27))


@pytest.mark.parametrize("day", [18, 20, 21, 23, 24])
def test_a_report_sent_on_a_holiday_starts_counting_on_the_next_working_day(day: int) -> None:
    assert add_working_days(wib(2026, 3, day, 9), 1, CAL) == end_of(date(2026, 3, 25))


def test_the_day_is_the_jakarta_day_not_the_utc_day() -> None:
    # 20:00 UTC on Monday 16 March is 03:00 WIB on Tuesday 17 March.
    start = datetime(2026, 3, 16, 20, tzinfo=UTC)
    assert add_working_days(start, 3, CAL) == end_of(date(2026, 3, 27))


def test_weekend_and_imlek_cuti_bersama() -> None:
    # Friday 13 Feb 2026: weekend, then 16 Feb (cuti Imlek) and 17 Feb (Imlek) are off.
    assert add_working_days(wib(2026, 2, 13, 15), 3, CAL) == end_of(date(2026, 2, 20))
    assert add_working_days(wib(2026, 2, 6, 15), 3, CAL) == end_of(date(2026, 2, 11))


def test_an_override_makes_a_day_off_or_a_working_day() -> None:
    late_decree = WorkingCalendar([2026], {date(2026, 3, 25): True})
    assert add_working_days(wib(2026, 3, 17, 10), 3, late_decree) == end_of(date(2026, 3, 30))
    cuti_cancelled = WorkingCalendar([2026], {date(2026, 3, 20): False})
    assert add_working_days(wib(2026, 3, 17, 10), 3, cuti_cancelled) == end_of(date(2026, 3, 26))


def test_deadlines_per_kind() -> None:
    start = wib(2026, 3, 17, 10)
    pengaduan = deadlines(start, "pengaduan", False, SETTINGS, CAL)
    # 14 working days: 25-27, 30-31 Mar, 1-2 Apr, (3 Apr Good Friday off) 6-10, 13-14 Apr.
    assert pengaduan.resolve_due == end_of(date(2026, 4, 14))
    assert pengaduan.verify_due == end_of(date(2026, 3, 27))
    assert pengaduan.followup_due is None and pengaduan.close_due is None
    for kind in ("aspirasi", "permintaan_informasi"):
        assert deadlines(start, kind, False, SETTINGS, CAL).resolve_due == end_of(date(2026, 3, 31))
    supervised = deadlines(start, "pengaduan", False, SETTINGS, CAL, supervised=True)
    assert supervised.resolve_due == add_working_days(start, 60, CAL)
    with pytest.raises(ValueError, match="unknown report kind"):
        deadlines(start, "pujian", False, SETTINGS, CAL)


def test_followup_from_dispatch_else_verification_and_close_after_silence() -> None:
    start = wib(2026, 3, 2, 9)
    verified = wib(2026, 3, 4, 9)
    dues = deadlines(start, "pengaduan", False, SETTINGS, CAL, verified_at=verified)
    assert dues.followup_due == end_of(date(2026, 3, 11))
    dispatched = wib(2026, 3, 16, 9)  # 5 working days: 17, 25, 26, 27, 30 March
    dues = deadlines(start, "pengaduan", False, SETTINGS, CAL, verified_at=verified,
                     dispatched_at=dispatched)  # fmt: skip
    assert dues.followup_due == end_of(date(2026, 3, 30))
    followed = wib(2026, 4, 1, 14)  # 10 working days: 2, 6-10, 13-16 April
    dues = deadlines(start, "pengaduan", False, SETTINGS, CAL, followed_up_at=followed)
    assert dues.close_due == end_of(date(2026, 4, 16))


def test_priority_reports_count_calendar_days_and_cap_the_others() -> None:
    start = wib(2026, 3, 20, 10)  # cuti bersama Friday: calendar days still run
    dues = deadlines(start, "pengaduan", True, SETTINGS, CAL)
    assert dues.resolve_due == end_of(date(2026, 3, 23))
    assert dues.verify_due == end_of(date(2026, 3, 23))
    custom = Settings(_env_file=None, priority_calendar_days=1, verify_working_days=1)
    assert deadlines(start, "aspirasi", True, custom, CAL).resolve_due == end_of(date(2026, 3, 21))


def test_clock_states_in_jakarta() -> None:
    due = end_of(date(2026, 3, 27))
    assert clock_state(due, wib(2026, 3, 26, 23, 59)) == "on_time"
    assert clock_state(due, wib(2026, 3, 27, 0, 0)) == "due_today"
    assert clock_state(due, wib(2026, 3, 27, 23, 59, 59)) == "due_today"
    assert clock_state(due, wib(2026, 3, 28, 0, 0)) == "overdue"
    assert clock_state(None, wib(2026, 3, 28)) == "on_time"


def test_the_board_shows_the_clock_of_the_current_step() -> None:
    class Row:
        status = "dispatched"
        verify_due = end_of(date(2026, 3, 1))
        followup_due = end_of(date(2026, 3, 10))
        resolve_due = end_of(date(2026, 3, 5))
        close_due = None

    assert active_due(Row()) == end_of(date(2026, 3, 5))
    Row.status = "completed"
    assert active_due(Row()) is None


def test_negative_days_are_refused() -> None:
    with pytest.raises(ValueError):
        add_working_days(wib(2026, 1, 5), -1, CAL)


def test_overrides_come_from_the_store(factory: sessionmaker[Session]) -> None:
    with transaction(factory) as session:
        session.add(HolidayOverride(day=date(2026, 3, 25), off=True, name="Keppres susulan"))
        session.add(HolidayOverride(day=date(2026, 3, 21), off=False, name="hari kerja pengganti"))
    with factory() as session:
        cal = load_calendar(session, [2026])
    assert not cal.is_working_day(date(2026, 3, 25))
    assert cal.is_working_day(date(2026, 3, 21))
    # Saturday 21 March now counts, Wednesday 25 March does not.
    assert add_working_days(wib(2026, 3, 17, 10), 1, cal) == end_of(date(2026, 3, 21))
    assert add_working_days(wib(2026, 3, 17, 10), 2, cal) == end_of(date(2026, 3, 26))
