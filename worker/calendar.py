"""The exchange calendar the trading cycle follows: sessions, holidays and half days.

The worker only needs one question answered — "when does the session of this date open and
close, if there is one?" — so the calendar is a small protocol: tests can hand in a fixed
one, and the process uses `exchange_calendars`' XNYS, which knows holidays and early closes.
"""

from __future__ import annotations

import contextlib
import logging
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, Protocol
from zoneinfo import ZoneInfo

logger = logging.getLogger(__name__)

NEW_YORK = ZoneInfo("America/New_York")


class CalendarError(Exception):
    """The calendar cannot answer (unknown exchange, or a date outside its range)."""

    code = "CALENDAR_UNAVAILABLE"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True, slots=True)
class Session:
    """One trading session: open and close in UTC (close is early on a half day)."""

    day: date
    open: datetime
    close: datetime


class TradingCalendar(Protocol):
    """Sessions of one exchange."""

    @property
    def name(self) -> str:
        """The exchange code, e.g. XNYS."""
        ...

    @property
    def timezone(self) -> ZoneInfo:
        """The exchange's local time zone (candles align to its wall clock)."""
        ...

    def session(self, day: date) -> Session | None:
        """The session on `day`, or None on a weekend or holiday.

        Raises:
            CalendarError: `day` is outside the range the calendar knows.
        """
        ...


class ExchangeCalendar:
    """A `TradingCalendar` backed by `exchange_calendars` (default: NYSE, "XNYS").

    Loading a calendar costs about a second (pandas), so a process builds one and keeps it.
    """

    def __init__(self, code: str = "XNYS") -> None:
        # Imported here: pandas and exchange_calendars are heavy and only the worker needs them.
        import exchange_calendars  # type: ignore[import-untyped]

        try:
            with _library_warnings_quiet():
                self._calendar: Any = exchange_calendars.get_calendar(code)
        except Exception as exc:  # the library raises its own InvalidCalendarName
            raise CalendarError(f"unknown exchange calendar {code!r}: {exc}") from exc
        self._name = code
        self._timezone = ZoneInfo(str(self._calendar.tz))
        self._first: date = self._calendar.first_session.date()
        self._last: date = self._calendar.last_session.date()

    @property
    def name(self) -> str:
        """The exchange code."""
        return self._name

    @property
    def timezone(self) -> ZoneInfo:
        """The exchange's time zone."""
        return self._timezone

    def session(self, day: date) -> Session | None:
        """The session on `day` (half days carry their early close)."""
        import pandas as pd  # type: ignore[import-untyped]

        if not self._first <= day <= self._last:
            raise CalendarError(
                f"{self._name} calendar covers {self._first} to {self._last}, not {day}; "
                f"upgrade exchange_calendars or set the worker's run_when_closed"
            )
        stamp = pd.Timestamp(day)
        with _library_warnings_quiet():
            if not self._calendar.is_session(stamp):
                return None
            opens = self._calendar.session_open(stamp).to_pydatetime()
            closes = self._calendar.session_close(stamp).to_pydatetime()
        return Session(day=day, open=opens.astimezone(UTC), close=closes.astimezone(UTC))


@contextlib.contextmanager
def _library_warnings_quiet() -> Iterator[None]:
    """exchange_calendars uses pandas APIs that newer pandas deprecates; those warnings are
    the library's to fix and say nothing about our calls, so they are not shown."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        warnings.simplefilter("ignore", FutureWarning)
        yield
