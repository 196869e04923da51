"""When jobs fire: candle-close alignment with a settle delay, the exchange calendar, daily times.

Pure functions of an injected `now`, so alignment is tested without waiting. A candle of
length `interval` closes at the exchange's local midnight plus a whole number of intervals
(hourly: 10:00, 11:00, … New York time, whatever the DST offset); within a session only the
closes after the open count, plus the session close itself (13:00 on a half day). The job
fires `settle` after the close, so the bar is final at the data vendor before it is read.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

from apscheduler.triggers.base import BaseTrigger  # type: ignore[import-untyped]

from worker.calendar import NEW_YORK, CalendarError, TradingCalendar

MIN_INTERVAL = timedelta(minutes=1)
# Longest run of closed days to look across (the longest NYSE closure since 1900 is shorter,
# apart from 1914 and 9/11, which lasted 4 sessions).
SCAN_DAYS = 31


class ScheduleError(Exception):
    """A schedule cannot be built or has no next fire time."""

    code = "INVALID_SCHEDULE"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class FireTimes(Protocol):
    """A job's fire times, day by day."""

    def fire_times_on(self, day: date) -> list[datetime]:
        """The fire times (UTC, ascending) that belong to local date `day`."""
        ...

    @property
    def timezone(self) -> ZoneInfo:
        """The zone whose local dates `fire_times_on` takes."""
        ...


@dataclass(frozen=True, slots=True)
class CandleSchedule:
    """Fire `settle` after each candle close; within sessions only, unless no calendar.

    Args:
        interval: Candle length (at least one minute).
        settle: Delay after the close (zero or more).
        calendar: The exchange calendar; None fires on every day (`run_when_closed`).
        zone: Local zone of the candle grid when there is no calendar.
    """

    interval: timedelta
    settle: timedelta
    calendar: TradingCalendar | None
    zone: ZoneInfo = NEW_YORK

    def __post_init__(self) -> None:
        if self.interval < MIN_INTERVAL:
            raise ScheduleError(
                f"interval {self.interval} is shorter than {MIN_INTERVAL}: the worker does "
                f"not run a job more often (set the interval to at least 60000 ms)"
            )
        if self.settle < timedelta(0):
            raise ScheduleError(f"settle delay {self.settle} is negative")

    @property
    def timezone(self) -> ZoneInfo:
        """The calendar's zone, or `zone` without a calendar."""
        return self.calendar.timezone if self.calendar is not None else self.zone

    def candle_closes_on(self, day: date) -> list[datetime]:
        """Candle closes (UTC) of local date `day`: session ones only when there is a calendar."""
        zone = self.timezone
        midnight = datetime.combine(day, time())
        grid: set[datetime] = set()
        offset = self.interval
        while offset <= timedelta(days=1):
            # Wall-clock arithmetic, then localised: candles stay on the hour across DST.
            grid.add((midnight + offset).replace(tzinfo=zone).astimezone(UTC))
            offset += self.interval
        if self.calendar is None:
            return sorted(grid)
        session = self.calendar.session(day)
        if session is None:
            return []
        closes = {t for t in grid if session.open < t <= session.close}
        closes.add(session.close)
        return sorted(closes)

    def fire_times_on(self, day: date) -> list[datetime]:
        """Candle closes of `day` plus the settle delay."""
        return [close + self.settle for close in self.candle_closes_on(day)]


@dataclass(frozen=True, slots=True)
class DailySchedule:
    """Fire once a day at a local wall-clock time (filings: 06:00 New York)."""

    at: time
    zone: ZoneInfo = NEW_YORK

    @property
    def timezone(self) -> ZoneInfo:
        """The zone of `at`."""
        return self.zone

    def fire_times_on(self, day: date) -> list[datetime]:
        """`at` on `day`, in UTC."""
        return [datetime.combine(day, self.at, tzinfo=self.zone).astimezone(UTC)]


def _days(start: date, step: int) -> Iterator[date]:
    for n in range(SCAN_DAYS + 2):
        yield start + timedelta(days=n * step)


def next_fire_time(schedule: FireTimes, now: datetime) -> datetime:
    """The first fire time strictly after `now`.

    Raises:
        ScheduleError: None within `SCAN_DAYS` days, or the calendar cannot answer.
    """
    _aware(now)
    # Start a day early: a settle delay or a late-night grid can move a fire into the next day.
    start = now.astimezone(schedule.timezone).date() - timedelta(days=1)
    try:
        for day in _days(start, 1):
            for fire in schedule.fire_times_on(day):
                if fire > now:
                    return fire
    except CalendarError as exc:
        raise ScheduleError(exc.message) from exc
    raise ScheduleError(f"no fire time within {SCAN_DAYS} days after {now.isoformat()}")


def latest_fire_time(schedule: FireTimes, now: datetime) -> datetime | None:
    """The last fire time at or before `now` (the slot a late or coalesced run belongs to)."""
    _aware(now)
    start = now.astimezone(schedule.timezone).date() + timedelta(days=1)
    try:
        for day in _days(start, -1):
            for fire in reversed(schedule.fire_times_on(day)):
                if fire <= now:
                    return fire
    except CalendarError:
        return None
    return None


def next_cycle_time(
    now: datetime,
    interval: timedelta,
    settle: timedelta,
    calendar: TradingCalendar | None,
    *,
    run_when_closed: bool = False,
) -> datetime:
    """When the next trading cycle fires after `now` (see the module docstring).

    Args:
        now: The current time, timezone-aware.
        interval: Candle length (`trading.trading_cycle_interval_ms`).
        settle: Delay after the candle close.
        calendar: The exchange calendar (its zone is used even when `run_when_closed`).
        run_when_closed: Fire on every candle close, sessions or not.

    Raises:
        ScheduleError: The interval is too short or the calendar has no session ahead.
    """
    zone = calendar.timezone if calendar is not None else NEW_YORK
    schedule = CandleSchedule(interval, settle, None if run_when_closed else calendar, zone)
    return next_fire_time(schedule, now)


class ScheduleTrigger(BaseTrigger):  # type: ignore[misc]
    """An APScheduler trigger over `FireTimes`: one schedule model for the worker and its tests.

    If the schedule cannot answer (the calendar ran out), the trigger returns None, which
    ends the job in APScheduler; the error is kept in `error` so /health can show it.
    """

    def __init__(self, schedule: FireTimes) -> None:
        self.schedule = schedule
        self.error: str | None = None

    def get_next_fire_time(
        self, previous_fire_time: datetime | None, now: datetime
    ) -> datetime | None:
        """The first fire time after `now` (APScheduler's contract)."""
        try:
            fire = next_fire_time(self.schedule, now)
        except ScheduleError as exc:
            self.error = exc.message
            return None
        self.error = None
        return fire

    def __str__(self) -> str:
        return f"schedule[{self.schedule}]"


def _aware(now: datetime) -> None:
    if now.tzinfo is None or now.utcoffset() is None:
        raise ScheduleError(f"now {now.isoformat()} is naive; pass a timezone-aware time")
