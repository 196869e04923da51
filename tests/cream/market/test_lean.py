"""Lean zip, factor file and plain CSV readers, on files written by the tests."""

import datetime as dt
import zipfile
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from cream.market.bars import Timeframe, to_ns
from cream.market.lean import (
    DataFormatError,
    ny_local_to_utc,
    read_csv_bars,
    read_factor_file,
    read_lean_zip,
)

NY = ZoneInfo("America/New_York")
UTC = dt.UTC


def write_zip(path: Path, rows: list[str], member: str = "xyz.csv") -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(member, "\n".join(rows))
    return path


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=UTC)


def test_hourly_zip_is_parsed_to_dollars_and_utc_across_dst(tmp_path):
    path = write_zip(
        tmp_path / "xyz.zip",
        [
            "20210312 09:00,1000000,1010000,990000,1005000,1200",  # Friday, EST (UTC-5)
            "20210312 15:00,1005000,1006000,1004000,1006000,800",
            "20210315 09:00,1010000,1020000,1000000,1015000,1500",  # Monday, EDT (UTC-4)
        ],
    )
    series = read_lean_zip(path, "XYZ", Timeframe.HOUR_1)
    bars = series.bars
    assert bars[0].timestamp == utc(2021, 3, 12, 14, 0)
    assert bars[0].close_time == utc(2021, 3, 12, 15, 0)
    assert bars[1].close_time == utc(2021, 3, 12, 21, 0)  # the 15:00 bar closes at 16:00 NY
    assert bars[2].timestamp == utc(2021, 3, 15, 13, 0)
    assert (bars[0].open, bars[0].high, bars[0].low, bars[0].close) == (100.0, 101.0, 99.0, 100.5)
    assert bars.volume.tolist() == [1200.0, 800.0, 1500.0]
    assert series.trade_dates.tolist() == [20210312, 20210312, 20210315]


def test_daily_zip_bars_close_at_the_new_york_session_end(tmp_path):
    path = write_zip(
        tmp_path / "xyz.zip",
        [
            "20210105 00:00,1000000,1010000,990000,1005000,1200",
            "20210706 00:00,1000000,1010000,990000,1005000,1200",
        ],
    )
    bars = read_lean_zip(path, "XYZ", Timeframe.DAY_1).bars
    assert bars[0].timestamp == dt.datetime(2021, 1, 5, tzinfo=NY)
    assert bars[0].close_time == utc(2021, 1, 5, 21, 0)
    assert bars[1].close_time == utc(2021, 7, 6, 20, 0)


@pytest.mark.parametrize(
    ("rows", "code"),
    [
        (["20210105 09:00,1,2,3"], "MALFORMED_ROW"),
        (["20210105 09:00,10,11,9,10,1", "garbage"], "MALFORMED_ROW"),
        (["20210231 09:00,10,11,9,10,1"], "BAD_TIMESTAMP"),
        (["20210105 25:00,10,11,9,10,1"], "BAD_TIMESTAMP"),
        (["20210105 09:00,10,9,8,10,1"], "INVALID_BARS"),
        (["20210105 10:00,10,11,9,10,1", "20210105 09:00,10,11,9,10,1"], "INVALID_BARS"),
        ([""], "EMPTY_FILE"),
    ],
)
def test_malformed_zip_rows_raise_format_errors(tmp_path, rows, code):
    path = write_zip(tmp_path / "xyz.zip", rows)
    with pytest.raises(DataFormatError) as info:
        read_lean_zip(path, "XYZ", Timeframe.HOUR_1)
    assert info.value.code == code
    assert info.value.path == path


def test_a_file_that_is_not_a_zip_raises_bad_zip(tmp_path):
    path = tmp_path / "xyz.zip"
    path.write_text("not a zip")
    with pytest.raises(DataFormatError) as info:
        read_lean_zip(path, "XYZ", Timeframe.DAY_1)
    assert info.value.code == "BAD_ZIP"


def test_factor_rows_apply_to_dates_up_to_and_including_their_own(tmp_path):
    path = tmp_path / "xyz.csv"
    path.write_text("20200101,0.9,1,0\n20200828,0.95,0.25,499.23\n20501231,1,1,0\n")
    table = read_factor_file(path)
    price, split = table.factors_for(
        np.array([20190101, 20200101, 20200102, 20200828, 20200831, 20601231])
    )
    assert price.tolist() == [0.9, 0.9, 0.95, 0.95, 1.0, 1.0]
    assert split.tolist() == [1.0, 1.0, 0.25, 0.25, 1.0, 1.0]


@pytest.mark.parametrize(
    "text", ["20200101,0.9\n", "20200828,1,1,0\n20200101,1,1,0\n", "20200101,0,1,0\n", "x,y,z\n"]
)
def test_malformed_factor_files_raise(tmp_path, text):
    path = tmp_path / "xyz.csv"
    path.write_text(text)
    with pytest.raises(DataFormatError) as info:
        read_factor_file(path)
    assert info.value.code == "MALFORMED_FACTOR_FILE"


def test_plain_csv_with_header_is_parsed_in_any_column_order(tmp_path):
    path = tmp_path / "XYZ.csv"
    path.write_text(
        "volume,timestamp,open,high,low,close\n"
        "100,2021-03-12T14:00:00Z,10,11,9,10.5\n"
        "200,2021-03-15T09:00:00-04:00,10.5,12,10,11\n"
    )
    series = read_csv_bars(path, "XYZ", Timeframe.HOUR_1)
    assert series.bars[0].timestamp == utc(2021, 3, 12, 14)
    assert series.bars[1].timestamp == utc(2021, 3, 15, 13)
    assert series.bars[1].close_time == utc(2021, 3, 15, 14)
    assert series.bars.close.tolist() == [10.5, 11.0]
    assert series.trade_dates.tolist() == [20210312, 20210315]


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("timestamp,open,high,low,close\n2021-03-12T14:00:00Z,1,1,1,1\n", "MISSING_COLUMN"),
        (
            "timestamp,open,high,low,close,volume\n2021-03-12T14:00:00,1,1,1,1,1\n",
            "NAIVE_TIMESTAMP",
        ),
        ("timestamp,open,high,low,close,volume\nyesterday,1,1,1,1,1\n", "MALFORMED_ROW"),
        ("timestamp,open,high,low,close,volume\n2021-03-12T14:00:00Z,1,x,1,1,1\n", "MALFORMED_ROW"),
        ("timestamp,open,high,low,close,volume\n", "EMPTY_FILE"),
        (
            "timestamp,open,high,low,close,volume\n2021-03-12T14:00:00Z,1,0.5,1,1,1\n",
            "INVALID_BARS",
        ),
    ],
)
def test_malformed_csv_raises_format_errors(tmp_path, text, code):
    path = tmp_path / "XYZ.csv"
    path.write_text(text)
    with pytest.raises(DataFormatError) as info:
        read_csv_bars(path, "XYZ", Timeframe.HOUR_1)
    assert info.value.code == code


def test_new_york_wall_clock_converts_exactly_on_dst_switch_days():
    walls = [
        dt.datetime(2021, 3, 14, 1, 30),
        dt.datetime(2021, 3, 14, 3, 30),
        dt.datetime(2021, 11, 7, 0, 30),
        dt.datetime(2021, 11, 7, 3, 0),
    ]
    local_ns = np.array([to_ns(w.replace(tzinfo=UTC)) for w in walls], dtype=np.int64)
    expected = [to_ns(w.replace(tzinfo=NY)) for w in walls]
    assert ny_local_to_utc(local_ns).tolist() == expected
