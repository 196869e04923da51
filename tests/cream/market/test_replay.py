"""ReplayFeed: adjustments, point-in-time cuts, DST, aggregation and typed failures."""

import datetime as dt
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from cream.market.bars import Bar, Timeframe
from cream.market.replay import (
    Adjustment,
    DataUnavailable,
    ReplayFeed,
    ReplayRequestError,
)

NY = ZoneInfo("America/New_York")


def ny(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=NY)


@pytest.fixture
def feed(lean_root: Path) -> ReplayFeed:
    return ReplayFeed(lean_root)


def aapl_close_on_2020_08_28(feed: ReplayFeed, **kwargs: Any) -> Bar:
    bars = feed.bars("AAPL", "1d", ny(2020, 8, 28), ny(2020, 8, 29), **kwargs)
    assert len(bars) == 1
    return bars[0]


def test_aapl_split_adjustment_around_the_2020_08_31_four_for_one(feed):
    raw = aapl_close_on_2020_08_28(feed, adjustment=Adjustment.RAW)
    split = aapl_close_on_2020_08_28(feed, adjustment=Adjustment.SPLIT_ADJUSTED)
    full = aapl_close_on_2020_08_28(feed)  # adjusted is the default
    assert raw.close == pytest.approx(499.23)
    assert round(split.close, 2) == 124.81
    assert full.close == pytest.approx(499.23 * 0.9967882 * 0.25)
    assert split.volume == pytest.approx(raw.volume * 4)
    after = feed.bars("AAPL", "1d", ny(2020, 8, 31), ny(2020, 9, 1), adjustment="raw")[0]
    assert after.close == pytest.approx(129.04, abs=0.01)


def test_adjustment_is_rebased_to_what_was_known_at_as_of(feed):
    before_split = aapl_close_on_2020_08_28(feed, as_of=ny(2020, 8, 29, 12))
    after_split = aapl_close_on_2020_08_28(feed, as_of=ny(2020, 9, 1, 17))
    assert before_split.close == pytest.approx(499.23)
    assert round(after_split.close, 2) == 124.81


def test_spy_daily_equals_aggregated_hourly(feed):
    for day in [(2008, 10, 10), (2017, 6, 30), (2020, 3, 16), (2021, 3, 31)]:
        start, end = ny(*day), ny(*day) + dt.timedelta(days=1)
        hourly = feed.bars("SPY", "1h", start, end, adjustment="raw")
        daily = feed.bars("SPY", "1d", start, end, adjustment="raw")[0]
        assert len(hourly) == 7
        assert daily.open == hourly.open[0]
        assert daily.high == hourly.high.max()
        assert daily.low == hourly.low.min()
        assert daily.close == hourly.close[-1]
        assert daily.volume == hourly.volume.sum()
        assert daily.close_time == hourly[-1].close_time


def test_hourly_point_in_time_at_10_59_versus_11_00(feed):
    early = feed.bars("SPY", "1h", as_of=ny(2020, 3, 10, 10, 59), limit=1)[0]
    on_time = feed.bars("SPY", "1h", as_of=ny(2020, 3, 10, 11, 0), limit=1)[0]
    assert early.timestamp == ny(2020, 3, 10, 9)
    assert on_time.timestamp == ny(2020, 3, 10, 10)
    assert on_time.close_time == ny(2020, 3, 10, 11)


def test_daily_bar_is_hidden_until_the_1600_close(feed):
    assert feed.bars("SPY", "1d", as_of=ny(2020, 3, 10, 15, 59), limit=1)[0].timestamp == ny(
        2020, 3, 9
    )
    assert feed.bars("SPY", "1d", as_of=ny(2020, 3, 10, 16), limit=1)[0].timestamp == ny(
        2020, 3, 10
    )


def test_no_returned_bar_closes_after_as_of(feed):
    as_of = ny(2019, 5, 17, 13, 30)
    bars = feed.bars("IBM", "1h", ny(2019, 5, 1), as_of=as_of)
    assert bars.end_times.max() <= int(as_of.timestamp()) * 1_000_000_000
    assert len(bars) > 50


@pytest.mark.parametrize(
    ("before", "after"),
    [((2020, 3, 6), (2020, 3, 9)), ((2020, 10, 30), (2020, 11, 2))],
)
def test_hourly_utc_stamps_shift_with_dst(feed, before, after):
    first = feed.bars("SPY", "1h", ny(*before), ny(*before) + dt.timedelta(days=1))
    second = feed.bars("SPY", "1h", ny(*after), ny(*after) + dt.timedelta(days=1))
    utc_hours = [bar.timestamp.astimezone(dt.UTC).hour for bar in (first[0], second[0])]
    ny_hours = [bar.timestamp.astimezone(NY).hour for bar in (first[0], second[0])]
    assert ny_hours == [9, 9]
    assert abs(utc_hours[0] - utc_hours[1]) == 1


def test_results_are_utc_read_only_and_upper_case(feed):
    bars = feed.bars("spy", Timeframe.DAY_1, limit=3)
    assert bars.symbol == "SPY" and len(bars) == 3
    assert bars[0].timestamp.tzinfo == dt.UTC
    with pytest.raises(ValueError, match="read-only"):
        bars.close[0] = 0.0
    assert "SPY" in feed.symbols("1h") and "QQQ" in feed.symbols("1d")


@pytest.mark.parametrize(
    ("call", "error", "code"),
    [
        (lambda f: f.bars("NOPE", "1d"), DataUnavailable, "UNKNOWN_SYMBOL"),
        (lambda f: f.bars("QQQ", "1h"), DataUnavailable, "UNKNOWN_SYMBOL"),
        (
            lambda f: f.bars("SPY", "1d", ny(1990, 1, 1), ny(1991, 1, 1)),
            DataUnavailable,
            "NO_DATA_IN_RANGE",
        ),
        (
            lambda f: f.bars("SPY", "1d", as_of=ny(1998, 1, 2, 15)),
            DataUnavailable,
            "NO_DATA_IN_RANGE",
        ),
        (
            lambda f: f.bars("SPY", "1d", dt.datetime(2020, 1, 1)),
            ReplayRequestError,
            "NAIVE_DATETIME",
        ),
        (
            lambda f: f.bars("SPY", "1d", ny(2020, 2, 1), ny(2020, 1, 1)),
            ReplayRequestError,
            "INVALID_RANGE",
        ),
        (lambda f: f.bars("SPY", "1d", limit=0), ReplayRequestError, "INVALID_LIMIT"),
        (lambda f: f.bars("../../spy", "1d"), ReplayRequestError, "INVALID_SYMBOL"),
        (
            lambda f: f.bars("SPY", "1d", adjustment="total"),
            ReplayRequestError,
            "UNKNOWN_ADJUSTMENT",
        ),
    ],
)
def test_unanswerable_requests_raise_typed_errors(feed, call, error, code):
    with pytest.raises(error) as info:
        call(feed)
    assert info.value.code == code


def test_missing_root_is_source_not_found(tmp_path):
    with pytest.raises(DataUnavailable) as info:
        ReplayFeed(tmp_path / "absent")
    assert info.value.code == "SOURCE_NOT_FOUND"


def test_csv_layout_is_replayed_with_optional_factor_file(tmp_path):
    (tmp_path / "1h").mkdir()
    (tmp_path / "factor_files").mkdir()
    (tmp_path / "1h" / "XYZ.csv").write_text(
        "timestamp,open,high,low,close,volume\n"
        "2021-03-12T14:00:00Z,100,102,99,101,1000\n"
        "2021-03-12T15:00:00Z,101,103,100,102,1000\n"
        "2021-03-15T13:00:00Z,51,52,50,51.5,2000\n"
    )
    (tmp_path / "factor_files" / "xyz.csv").write_text("20210312,1,0.5,0\n20501231,1,1,0\n")
    feed = ReplayFeed(tmp_path)
    assert feed.bars("xyz", "1h", adjustment="raw").close.tolist() == [101.0, 102.0, 51.5]
    assert feed.bars("xyz", "1h").close.tolist() == [50.5, 51.0, 51.5]
    as_of = dt.datetime(2021, 3, 12, 16, tzinfo=dt.UTC)
    assert feed.bars("xyz", "1h", as_of=as_of).close.tolist() == [101.0, 102.0]
    with pytest.raises(DataUnavailable) as info:
        feed.bars("xyz", "1d")
    assert info.value.code == "UNKNOWN_SYMBOL"
