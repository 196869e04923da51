"""ReplayMarketFeed: modeled quotes from the last closed bar, point in time, no options."""

import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from cream.clock import ManualClock
from cream.market.feed import DataUnavailable
from cream.market.replay import ReplayFeed, ReplayRequestError
from cream.market.replay_feed import ReplayMarketFeed

NY = ZoneInfo("America/New_York")


def ny(day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(2021, 3, day, hour, minute, tzinfo=NY)


def write_lean(root: Path, symbol: str, hourly: list[str], daily: list[str]) -> None:
    for folder, rows in (("hour", hourly), ("daily", daily)):
        target = root / "equity" / "usa" / folder
        target.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(target / f"{symbol.lower()}.zip", "w") as archive:
            archive.writestr(f"{symbol.lower()}.csv", "\n".join(rows) + "\n")


@pytest.fixture
def root(tmp_path):
    # Two sessions of XYZ: Tuesday 2021-03-30 and Wednesday 2021-03-31; prices in deci-cents.
    hourly = [
        f"202103{day} {hour:02d}:00,{p},{p + 5000},{p - 5000},{p + 1000},{1000 + hour}"
        for day in (30, 31)
        for hour, p in zip(range(9, 16), range(1_000_000, 1_070_000, 10_000), strict=True)
    ]
    daily = [
        "20210330 00:00,1000000,1065000,995000,1061000,7084",
        "20210331 00:00,1000000,1065000,995000,1061000,7084",
    ]
    write_lean(tmp_path, "XYZ", hourly, daily)
    # ONLYD has daily bars only: quotes fall back to them.
    write_lean(tmp_path, "ONLYD", [], ["20210330 00:00,500000,510000,490000,505000,100"])
    (tmp_path / "equity" / "usa" / "hour" / "onlyd.zip").unlink()
    return tmp_path


@pytest.fixture
def feed(root):
    return ReplayMarketFeed(ReplayFeed(root), ManualClock(ny(31, 11)))


async def test_quote_is_modeled_from_the_last_closed_bar(feed):
    batch = await feed.latest_quotes(["XYZ"], ny(31, 11, 0))
    quote = batch.quotes["XYZ"]
    # The 10:00 bar (open 101.00, close 101.10) closed at 11:00.
    assert quote.last == "101.10"
    assert float(quote.bid) < 101.10 < float(quote.ask)
    assert float(quote.ask) - float(quote.bid) == pytest.approx(0.06, abs=0.011)
    assert quote.bid_size == quote.ask_size == 0
    assert quote.timestamp.ToDatetime(tzinfo=UTC) == ny(31, 11)
    assert batch.modeled["XYZ"].startswith("MODELED_FROM_BAR")


async def test_a_minute_earlier_sees_only_the_previous_bar(feed):
    quote = (await feed.latest_quotes(["XYZ"], ny(31, 10, 59))).quotes["XYZ"]
    assert quote.last == "100.10"
    assert quote.timestamp.ToDatetime(tzinfo=UTC) == ny(31, 10)


async def test_symbols_without_hourly_files_are_quoted_from_daily_bars(feed):
    batch = await feed.latest_quotes(["ONLYD"], ny(31, 9))
    assert batch.quotes["ONLYD"].last == "50.50"
    assert "1d bar" in batch.modeled["ONLYD"]


async def test_missing_old_or_unknown_data_is_unavailable_with_a_reason(feed):
    before = await feed.latest_quotes(["XYZ"], ny(29, 12))
    stale = await feed.latest_quotes(["XYZ"], ny(31, 16) + timedelta(days=5))
    unknown = await feed.latest_quotes(["NOPE"], ny(31, 12))
    assert before.unavailable["XYZ"].reason_code == "NO_DATA_IN_RANGE"
    assert stale.unavailable["XYZ"].reason_code == "STALE_QUOTE"
    assert unknown.unavailable["NOPE"].reason_code == "UNKNOWN_SYMBOL"
    assert not before.quotes and not stale.quotes and not unknown.quotes


async def test_bars_are_point_in_time(feed):
    bars = await feed.bars("XYZ", "1h", end=ny(31, 12, 30), limit=100)
    assert len(bars) == 7 + 3
    assert bars[-1].close_time == ny(31, 12)
    with pytest.raises(DataUnavailable) as info:
        await feed.bars("XYZ", "1d", end=ny(30, 15, 59), limit=5)
    assert info.value.code == "NO_DATA_IN_RANGE"
    with pytest.raises(ReplayRequestError):
        await feed.bars("XYZ", "1h", end=ny(31, 12), limit=0)


async def test_options_are_unavailable_with_no_options_data(feed):
    batch = await feed.option_quotes(["XYZ210416C00100000"], ny(31, 12))
    assert batch.unavailable["XYZ210416C00100000"].reason_code == "NO_OPTIONS_DATA"
    assert not batch.options
    with pytest.raises(DataUnavailable) as info:
        await feed.option_chain("XYZ", ny(31, 12))
    assert info.value.code == "NO_OPTIONS_DATA"


async def test_stream_yields_a_quote_each_time_a_bar_closes(root):
    clock = ManualClock(ny(31, 11, 30))
    feed = ReplayMarketFeed(ReplayFeed(root), clock, tick_seconds=0.001)
    stream = feed.stream_quotes(["XYZ"])
    first = await anext(stream)
    clock.set(ny(31, 12, 1))
    second = await anext(stream)
    await stream.aclose()
    assert (first.last, second.last) == ("101.10", "102.10")


def test_knows_the_symbols_on_disk(feed):
    assert feed.knows("XYZ") and feed.knows("ONLYD")
    assert not feed.knows("NOPE")


async def test_spy_quote_matches_the_real_hourly_close(lean_root):
    feed = ReplayMarketFeed(ReplayFeed(lean_root), ManualClock(ny(10, 11)))
    when = datetime(2020, 3, 10, 11, 0, tzinfo=NY)
    bar = (await feed.bars("SPY", "1h", end=when, limit=1))[-1]
    quote = (await feed.latest_quotes(["SPY"], when)).quotes["SPY"]
    assert bar.close_time == when
    assert float(quote.last) == pytest.approx(bar.close, abs=0.005)
