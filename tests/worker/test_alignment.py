"""Alignment: cycles fire a settle delay after each candle close, in sessions only."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from worker.alignment import (
    CandleSchedule,
    DailySchedule,
    ScheduleError,
    ScheduleTrigger,
    latest_fire_time,
    next_cycle_time,
    next_fire_time,
)
from worker.calendar import CalendarError, ExchangeCalendar, Session

NY = ZoneInfo("America/New_York")
HOUR = timedelta(hours=1)
SETTLE = timedelta(seconds=30)


def ny(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=NY)


def test_an_hourly_cycle_fires_thirty_seconds_after_the_hour(nyse: ExchangeCalendar):
    assert next_cycle_time(ny(2026, 11, 25, 9, 59), HOUR, SETTLE, nyse) == ny(
        2026, 11, 25, 10, 0, 30
    )
    assert next_cycle_time(ny(2026, 11, 25, 10, 0, 29), HOUR, SETTLE, nyse) == ny(
        2026, 11, 25, 10, 0, 30
    )
    # A fire time is never returned again once reached.
    assert next_cycle_time(ny(2026, 11, 25, 10, 0, 30), HOUR, SETTLE, nyse) == ny(
        2026, 11, 25, 11, 0, 30
    )


def test_the_first_candle_of_a_session_closes_on_the_first_hour_after_the_open(
    nyse: ExchangeCalendar,
):
    # Open 09:30: the 09:00-10:00 bar is the first to close inside the session.
    assert next_cycle_time(ny(2026, 11, 25, 4, 0), HOUR, SETTLE, nyse) == ny(
        2026, 11, 25, 10, 0, 30
    )


def test_the_session_close_is_the_last_fire_of_the_day(nyse: ExchangeCalendar):
    assert next_cycle_time(ny(2026, 11, 24, 15, 0, 31), HOUR, SETTLE, nyse) == ny(
        2026, 11, 24, 16, 0, 30
    )


def test_thanksgiving_is_skipped(nyse: ExchangeCalendar):
    after_wednesday_close = ny(2026, 11, 25, 16, 0, 31)
    assert next_cycle_time(after_wednesday_close, HOUR, SETTLE, nyse) == ny(2026, 11, 27, 10, 0, 30)


def test_the_half_day_after_thanksgiving_ends_at_its_early_close(nyse: ExchangeCalendar):
    assert next_cycle_time(ny(2026, 11, 27, 12, 0, 31), HOUR, SETTLE, nyse) == ny(
        2026, 11, 27, 13, 0, 30
    )
    # No 14:00 candle: the next fire is Monday's first, across the weekend.
    assert next_cycle_time(ny(2026, 11, 27, 13, 0, 31), HOUR, SETTLE, nyse) == ny(
        2026, 11, 30, 10, 0, 30
    )


def test_a_half_day_close_off_the_grid_still_fires(nyse: ExchangeCalendar):
    # 90-minute candles from midnight: 12:00, 13:30 … the 13:00 early close is its own fire.
    ninety = timedelta(minutes=90)
    assert next_cycle_time(ny(2026, 11, 27, 12, 0, 1), ninety, timedelta(0), nyse) == ny(
        2026, 11, 27, 13, 0
    )


def test_a_weekend_is_skipped(nyse: ExchangeCalendar):
    friday_after_close = ny(2026, 12, 4, 16, 5)
    assert next_cycle_time(friday_after_close, HOUR, SETTLE, nyse) == ny(2026, 12, 7, 10, 0, 30)


def test_run_when_closed_fires_on_holidays_and_at_night(nyse: ExchangeCalendar):
    thanksgiving_night = ny(2026, 11, 26, 3, 7)
    assert next_cycle_time(thanksgiving_night, HOUR, SETTLE, nyse, run_when_closed=True) == ny(
        2026, 11, 26, 4, 0, 30
    )


def test_candles_stay_on_the_new_york_hour_across_a_dst_change(nyse: ExchangeCalendar):
    # 2026-11-02 is the first Monday on EST; 2026-10-30 the last Friday on EDT.
    before = next_cycle_time(ny(2026, 10, 30, 10, 30), HOUR, SETTLE, nyse)
    after = next_cycle_time(ny(2026, 11, 2, 10, 30), HOUR, SETTLE, nyse)
    assert before == ny(2026, 10, 30, 11, 0, 30)
    assert after == ny(2026, 11, 2, 11, 0, 30)
    assert before.astimezone(UTC).hour == 15
    assert after.astimezone(UTC).hour == 16


def test_a_four_hour_interval_fires_on_the_local_grid_and_at_the_close(nyse: ExchangeCalendar):
    four = timedelta(hours=4)
    closes = CandleSchedule(four, timedelta(0), nyse).candle_closes_on(date(2026, 11, 25))
    assert [c.astimezone(NY).time() for c in closes] == [time(12, 0), time(16, 0)]


def test_the_latest_fire_is_the_slot_a_late_run_belongs_to(nyse: ExchangeCalendar):
    schedule = CandleSchedule(HOUR, SETTLE, nyse)
    assert latest_fire_time(schedule, ny(2026, 11, 25, 11, 3)) == ny(2026, 11, 25, 11, 0, 30)
    assert latest_fire_time(schedule, ny(2026, 11, 30, 9, 0)) == ny(2026, 11, 27, 13, 0, 30)


def test_intervals_under_a_minute_are_refused(nyse: ExchangeCalendar):
    with pytest.raises(ScheduleError, match="at least 60000"):
        next_cycle_time(ny(2026, 11, 25, 10), timedelta(seconds=59), SETTLE, nyse)


def test_a_naive_now_is_refused(nyse: ExchangeCalendar):
    with pytest.raises(ScheduleError, match="naive"):
        next_cycle_time(datetime(2026, 11, 25, 10), HOUR, SETTLE, nyse)


def test_filings_fire_daily_at_six_new_york_time():
    schedule = DailySchedule(time(6, 0))
    assert next_fire_time(schedule, ny(2026, 11, 25, 6, 0)) == ny(2026, 11, 26, 6, 0)
    assert next_fire_time(schedule, ny(2026, 11, 25, 5, 59)) == ny(2026, 11, 25, 6, 0)
    # 06:00 EST is 11:00 UTC; in July (EDT) it is 10:00 UTC.
    assert next_fire_time(schedule, ny(2026, 7, 1, 0, 0)).astimezone(UTC).hour == 10


class ClosedForever:
    name = "NONE"
    timezone = NY

    def session(self, day: date) -> Session | None:
        return None


class OutOfRange:
    name = "OLD"
    timezone = NY

    def session(self, day: date) -> Session | None:
        raise CalendarError("calendar ends")


def test_a_trigger_without_any_session_ahead_reports_why():
    trigger = ScheduleTrigger(CandleSchedule(HOUR, SETTLE, ClosedForever()))
    assert trigger.get_next_fire_time(None, ny(2026, 11, 25, 10)) is None
    assert trigger.error is not None
    assert "no fire time" in trigger.error


def test_a_calendar_out_of_range_is_an_error_not_a_silent_schedule():
    with pytest.raises(ScheduleError, match="calendar ends"):
        next_fire_time(CandleSchedule(HOUR, SETTLE, OutOfRange()), ny(2026, 11, 25, 10))


def test_the_apscheduler_trigger_agrees_with_the_pure_function(nyse: ExchangeCalendar):
    trigger = ScheduleTrigger(CandleSchedule(HOUR, SETTLE, nyse))
    now = ny(2026, 11, 25, 16, 0, 31)
    assert trigger.get_next_fire_time(None, now) == next_cycle_time(now, HOUR, SETTLE, nyse)
