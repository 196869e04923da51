"""Bars container: validation codes, immutability, slicing and point-in-time cuts."""

import datetime as dt
from typing import Any

import numpy as np
import pytest

from cream.market.bars import Bar, Bars, BarsError, Timeframe, from_ns, to_ns

T0 = dt.datetime(2021, 3, 1, 14, 0, tzinfo=dt.UTC)
HOUR = 3_600_000_000_000


def make(n: int = 5, **overrides: Any) -> Bars:
    ts = to_ns(T0) + np.arange(n, dtype=np.int64) * HOUR
    close = 100.0 + np.arange(n, dtype=np.float64)
    columns: dict[str, Any] = {
        "symbol": "SPY",
        "timeframe": Timeframe.HOUR_1,
        "timestamps": ts,
        "open": close - 0.5,
        "high": close + 1.0,
        "low": close - 1.0,
        "close": close,
        "volume": np.full(n, 1_000.0),
    }
    columns.update(overrides)
    return Bars(**columns)


def test_valid_bars_expose_readonly_columns_and_default_close_times():
    bars = make()
    assert len(bars) == 5
    assert bars.end_times.tolist() == (bars.timestamps + HOUR).tolist()
    with pytest.raises(ValueError, match="read-only"):
        bars.close[0] = 1.0


def test_input_arrays_stay_writable_for_the_caller():
    close = 100.0 + np.arange(3.0)
    make(3, close=close, open=close, high=close + 1, low=close - 1)
    close[0] = 5.0  # the caller's array is not frozen by the container
    assert close[0] == 5.0


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"timestamps": np.array([3, 2, 1, 4, 5], dtype=np.int64)}, "UNSORTED_TIMESTAMPS"),
        ({"timestamps": np.array([1, 2, 2, 4, 5], dtype=np.int64)}, "DUPLICATE_TIMESTAMP"),
        ({"high": np.full(5, 100.0)}, "HIGH_BELOW_BODY"),
        ({"low": np.full(5, 104.0)}, "LOW_ABOVE_BODY"),
        ({"close": np.array([100.0, np.nan, 102.0, 103.0, 104.0])}, "NON_FINITE"),
        ({"volume": np.full(5, -1.0)}, "NEGATIVE_VOLUME"),
        ({"volume": np.ones(4)}, "LENGTH_MISMATCH"),
        ({"timeframe": "5m"}, "UNKNOWN_TIMEFRAME"),
        ({"symbol": ""}, "EMPTY_SYMBOL"),
        ({"close_times": np.zeros(5, dtype=np.int64)}, "CLOSE_BEFORE_START"),
    ],
)
def test_invalid_bars_raise_a_stable_code(overrides, code):
    with pytest.raises(BarsError) as info:
        make(**overrides)
    assert info.value.code == code


def test_datetime64_timestamps_are_accepted_as_utc_nanoseconds():
    bars = make(
        timestamps=np.array(
            [
                "2021-03-01T14:00",
                "2021-03-01T15:00",
                "2021-03-01T16:00",
                "2021-03-01T17:00",
                "2021-03-01T18:00",
            ],
            dtype="datetime64[m]",
        )
    )
    assert bars[0].timestamp == T0


def test_single_bar_round_trips_through_from_bars():
    bars = make()
    rebuilt = Bars.from_bars("SPY", "1h", list(bars))
    assert rebuilt.close.tolist() == bars.close.tolist()
    assert rebuilt.end_times.tolist() == bars.end_times.tolist()
    assert bars[-1] == Bar(
        "SPY",
        Timeframe.HOUR_1,
        T0 + dt.timedelta(hours=4),
        T0 + dt.timedelta(hours=5),
        103.5,
        105.0,
        103.0,
        104.0,
        1000.0,
    )


def test_from_bars_refuses_another_symbols_bar():
    other = Bar("QQQ", Timeframe.HOUR_1, T0, T0 + dt.timedelta(hours=1), 1, 1, 1, 1, 1)
    with pytest.raises(BarsError) as info:
        Bars.from_bars("SPY", "1h", [other])
    assert info.value.code == "MIXED_SERIES"


def test_closed_by_excludes_a_bar_until_its_close_instant():
    bars = make()
    first_close = from_ns(int(bars.end_times[0]))
    assert len(bars.closed_by(first_close - dt.timedelta(microseconds=1))) == 0
    assert len(bars.closed_by(first_close)) == 1
    assert len(bars.tail(2)) == 2 and bars.tail(2)[0].close == 103.0


def test_naive_datetimes_are_refused():
    with pytest.raises(BarsError) as info:
        to_ns(dt.datetime(2021, 1, 1))
    assert info.value.code == "NAIVE_DATETIME"
