"""build_snapshot: quotes, bars, indicators and regime per symbol, with every gap explicit."""

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from cream.clock import ManualClock
from cream.market.indicators import compute_all
from cream.market.regime import classify_regime
from cream.market.snapshot import SnapshotRequestError, build_snapshot, format_price
from cream.market.synthetic import SyntheticFeed
from cream.v1 import common_pb2 as common

AS_OF = datetime(2026, 11, 18, 15, 0, tzinfo=UTC)
SYMBOLS = ["AAPL", "MSFT", "SPY"]


def part(view, symbol, name):
    value = getattr(view.symbols[symbol], name)
    assert value is not None, f"{symbol} has no {name}"
    return value


@pytest.fixture
def feed():
    return SyntheticFeed(SYMBOLS, ManualClock(AS_OF))


async def test_snapshot_carries_quotes_bars_and_regime_per_symbol(feed):
    view = await build_snapshot(feed, [*SYMBOLS, "ZZZZ"], AS_OF)
    proto = view.proto
    assert [s.symbol for s in proto.symbols] == SYMBOLS
    for entry in proto.symbols:
        assert len(entry.bars) == 120
        assert entry.quote.symbol == entry.symbol
        assert entry.regime != common.REGIME_UNSPECIFIED
        last_start = entry.bars[-1].timestamp.ToDatetime(tzinfo=UTC)
        assert last_start + timedelta(hours=1) <= AS_OF
        assert entry.regime == part(view, entry.symbol, "regime").regime.to_proto()
    missing = {(u.symbol, u.reason_code, u.message.split(":")[0]) for u in proto.unavailable}
    assert missing == {("ZZZZ", "UNKNOWN_SYMBOL", "quote"), ("ZZZZ", "UNKNOWN_SYMBOL", "bars")}
    assert "ZZZZ" not in view.symbols


async def test_indicator_values_match_a_single_series_computation(feed):
    view = await build_snapshot(feed, SYMBOLS, AS_OF)
    for symbol in SYMBOLS:
        bars = part(view, symbol, "bars")
        alone = compute_all(bars.high, bars.low, bars.close)
        values = part(view, symbol, "indicators")
        assert values.missing() == []
        assert values.rsi == pytest.approx(alone.rsi[-1])
        assert values.macd_histogram == pytest.approx(alone.macd.histogram[-1])
        assert values.bollinger_upper == pytest.approx(alone.bollinger.upper[-1])
        assert values.atr == pytest.approx(alone.atr[-1])
        assert view.symbols[symbol].regime == classify_regime(bars)


async def test_too_few_bars_are_reported_not_filled(feed):
    view = await build_snapshot(feed, ["AAPL"], AS_OF, bar_count=30)
    assert view.symbols["AAPL"].regime is None
    indicators = part(view, "AAPL", "indicators")
    assert indicators.sma_slow is None
    assert indicators.rsi is not None
    gaps = {(g.part, g.reason_code) for g in view.gaps}
    assert gaps == {("indicators", "INSUFFICIENT_BARS"), ("regime", "INSUFFICIENT_DATA")}
    assert view.proto.symbols[0].regime == common.REGIME_UNSPECIFIED
    assert len(view.proto.unavailable) == 2


async def test_bar_count_zero_gives_quotes_only(feed):
    view = await build_snapshot(feed, SYMBOLS, AS_OF, bar_count=0, timeframe="1d")
    assert view.gaps == ()
    assert all(len(s.bars) == 0 and s.HasField("quote") for s in view.proto.symbols)


async def test_daily_snapshot_bars_close_by_as_of(feed):
    view = await build_snapshot(feed, ["SPY"], AS_OF, bar_count=120, timeframe="1d")
    bars = part(view, "SPY", "bars")
    assert len(bars) == 120
    assert bars[-1].close_time <= AS_OF
    assert view.proto.symbols[0].bars[-1].timeframe == "1d"


async def test_digest_is_stable_for_the_same_inputs_and_changes_with_time(feed):
    first = await build_snapshot(feed, SYMBOLS, AS_OF)
    again = await build_snapshot(SyntheticFeed(SYMBOLS, ManualClock(AS_OF)), SYMBOLS, AS_OF)
    later = await build_snapshot(feed, SYMBOLS, AS_OF + timedelta(hours=1))
    assert first.digest() == again.digest()
    assert first.digest() != later.digest()


async def test_bar_prices_on_the_wire_match_the_typed_view(feed):
    view = await build_snapshot(feed, ["MSFT"], AS_OF, bar_count=5)
    wire = view.proto.symbols[0].bars
    bars = part(view, "MSFT", "bars")
    assert [float(b.close) for b in wire] == pytest.approx(bars.close.tolist())
    assert [b.volume for b in wire] == np.round(bars.volume).astype(int).tolist()


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"timeframe": "5m"}, "UNKNOWN_TIMEFRAME"),
        ({"bar_count": -1}, "INVALID_BAR_COUNT"),
        ({"bar_count": 10_000}, "INVALID_BAR_COUNT"),
    ],
)
async def test_bad_requests_raise_typed_errors(feed, kwargs, code):
    with pytest.raises(SnapshotRequestError) as info:
        await build_snapshot(feed, SYMBOLS, AS_OF, **kwargs)
    assert info.value.code == code


async def test_naive_as_of_is_refused(feed):
    with pytest.raises(SnapshotRequestError) as info:
        await build_snapshot(feed, SYMBOLS, AS_OF.replace(tzinfo=None))
    assert info.value.code == "NAIVE_DATETIME"


@pytest.mark.parametrize(
    ("value", "text"),
    [(101.1, "101.10"), (100.0, "100.00"), (124.80751, "124.8075"), (0.0001, "0.0001")],
)
def test_prices_are_written_as_short_decimal_strings(value, text):
    assert format_price(value) == text


def test_the_price_cache_gives_zero_one_spelling_whichever_sign_came_first():
    format_price.cache_clear()
    assert format_price(-0.0) == "0.00"
    assert format_price(0.0) == "0.00"
    assert format_price(-1.5) == "-1.50"
