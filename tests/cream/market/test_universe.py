"""Universe resolution: static lists, configured indices, screeners, and reasons for every drop."""

import json
from datetime import UTC, datetime

import numpy as np
import pytest
from google.protobuf.timestamp_pb2 import Timestamp

from cream.clock import ManualClock
from cream.config import UniverseSettings
from cream.market.bars import Bars, Timeframe
from cream.market.feed import DataUnavailable, QuoteBatch, unavailable
from cream.market.synthetic import SyntheticFeed
from cream.market.universe import (
    ScreenerRules,
    UniverseCatalog,
    UniverseError,
    UniverseSpec,
    load_constituents,
    resolve_universe,
)
from cream.v1 import market_snapshot_pb2 as md

AS_OF = datetime(2026, 11, 18, 15, 0, tzinfo=UTC)


class TableFeed:
    """Quotes and average daily volumes set per symbol by the test."""

    def __init__(self, rows):
        # symbol -> (bid, ask, daily volume or None for no history, or None for no quote)
        self._rows = rows

    def knows(self, symbol):
        return symbol in self._rows

    async def latest_quotes(self, symbols, as_of):
        batch = QuoteBatch()
        stamp = Timestamp()
        stamp.FromDatetime(as_of)
        for symbol in symbols:
            row = self._rows[symbol]
            if row is None:
                batch.unavailable[symbol] = unavailable(symbol, "FEED_DOWN", "no quote")
            else:
                bid, ask, _ = row
                batch.quotes[symbol] = md.Quote(symbol=symbol, bid=bid, ask=ask, timestamp=stamp)
        return batch

    async def bars(self, symbol, timeframe, *, end, limit):
        volume = self._rows[symbol][2]
        if volume is None:
            raise DataUnavailable("NO_DATA_IN_RANGE", "no history")
        n = limit
        stamps = np.arange(n, dtype=np.int64) * 86_400 * 10**9
        price = np.full(n, 10.0)
        return Bars(symbol, Timeframe.DAY_1, stamps, price, price, price, price, np.full(n, volume))


async def test_static_list_keeps_known_symbols_and_says_why_others_were_dropped():
    feed = SyntheticFeed(["AAPL", "MSFT", "SPY"], ManualClock(AS_OF))
    spec = UniverseSpec("static", ["AAPL", "bad symbol", "MSFT", "AAPL", "ZZZZ", "spy"])
    result = await resolve_universe(spec, feed, AS_OF)
    assert result.kept == ("AAPL", "MSFT", "SPY")
    assert [(d.symbol, d.reason_code) for d in result.dropped] == [
        ("bad symbol", "INVALID_SYMBOL"),
        ("AAPL", "DUPLICATE_SYMBOL"),
        ("ZZZZ", "UNKNOWN_SYMBOL"),
    ]
    assert result.source == "static"


async def test_config_universe_settings_resolve_directly():
    feed = SyntheticFeed(["AAPL", "NVDA"], ManualClock(AS_OF))
    settings = UniverseSettings(source="static", symbols=["NVDA", "AAPL"])
    assert (await resolve_universe(settings, feed, AS_OF)).kept == ("NVDA", "AAPL")


async def test_index_constituents_come_from_a_local_catalog_file(tmp_path):
    members = tmp_path / "mini.csv"
    members.write_text("symbol,name\n# large caps\nAAPL,Apple\nMSFT,Microsoft\nQQQQ,gone\n")
    catalog_file = tmp_path / "universe.json"
    catalog_file.write_text(json.dumps({"indices": {"MINI": list(load_constituents(members))}}))
    catalog = UniverseCatalog.load(catalog_file)
    feed = SyntheticFeed(["AAPL", "MSFT"], ManualClock(AS_OF))
    result = await resolve_universe(
        UniverseSpec("index", ["IGNORED"], index="MINI"), feed, AS_OF, catalog
    )
    assert result.kept == ("AAPL", "MSFT")
    assert [(d.symbol, d.reason_code) for d in result.dropped] == [("QQQQ", "UNKNOWN_SYMBOL")]
    assert result.source == "index:MINI"


@pytest.mark.parametrize(
    ("spec", "code"),
    [
        (UniverseSpec("index", ["AAPL"]), "MISSING_INDEX"),
        (UniverseSpec("index", ["AAPL"], index="SP500"), "UNKNOWN_INDEX"),
        (UniverseSpec("screener", ["AAPL"]), "MISSING_SCREENER"),
        (UniverseSpec("screener", ["AAPL"], screener="momentum"), "UNKNOWN_SCREENER"),
        (UniverseSpec("random", ["AAPL"]), "UNKNOWN_SOURCE"),
    ],
)
async def test_configuration_mistakes_raise_typed_errors(spec, code):
    feed = SyntheticFeed(["AAPL"], ManualClock(AS_OF))
    with pytest.raises(UniverseError) as info:
        await resolve_universe(spec, feed, AS_OF, UniverseCatalog())
    assert info.value.code == code


async def test_screener_applies_volume_spread_and_price_rules():
    feed = TableFeed(
        {
            "GOOD": ("100.00", "100.02", 5_000_000),
            "THIN": ("100.00", "100.02", 10_000),
            "WIDE": ("100.00", "101.00", 5_000_000),
            "PENNY": ("1.00", "1.0001", 5_000_000),
            "HUGE": ("9000.00", "9000.10", 5_000_000),
            "DARK": None,
            "NEW": ("50.00", "50.01", None),
        }
    )
    rules = ScreenerRules(min_avg_volume=1e6, max_spread_bps=10, min_price=5, max_price=1000)
    catalog = UniverseCatalog(screeners={"liquid": rules})
    spec = UniverseSpec(
        "screener", ["GOOD", "THIN", "WIDE", "PENNY", "HUGE", "DARK", "NEW"], screener="liquid"
    )
    result = await resolve_universe(spec, feed, AS_OF, catalog)
    assert result.kept == ("GOOD",)
    assert {d.symbol: d.reason_code for d in result.dropped} == {
        "THIN": "VOLUME_TOO_LOW",
        "WIDE": "SPREAD_TOO_WIDE",
        "PENNY": "PRICE_BELOW_MIN",
        "HUGE": "PRICE_ABOVE_MAX",
        "DARK": "NO_QUOTE",
        "NEW": "NO_VOLUME_HISTORY",
    }


async def test_screener_can_screen_an_index_over_the_synthetic_feed():
    symbols = ["AAPL", "MSFT", "SPY", "TSLA"]
    feed = SyntheticFeed(symbols, ManualClock(AS_OF))
    catalog = UniverseCatalog(
        indices={"MEGA": tuple(symbols)},
        screeners={"all": ScreenerRules(min_avg_volume=1, universe_index="MEGA")},
    )
    result = await resolve_universe(UniverseSpec("screener", screener="all"), feed, AS_OF, catalog)
    assert result.kept == tuple(symbols)
    strict = UniverseCatalog(
        indices=catalog.indices,
        screeners={"none": ScreenerRules(min_avg_volume=1e12, universe_index="MEGA")},
    )
    result = await resolve_universe(UniverseSpec("screener", screener="none"), feed, AS_OF, strict)
    assert result.kept == ()
    assert {d.reason_code for d in result.dropped} == {"VOLUME_TOO_LOW"}


@pytest.mark.parametrize(
    "rules",
    [
        {"min_price": -1},
        {"min_price": 10, "max_price": 5},
        {"lookback_days": 0},
        {"max_spread_bps": float("nan")},
    ],
)
def test_invalid_screener_rules_are_refused(rules):
    with pytest.raises(UniverseError) as info:
        ScreenerRules(**rules)
    assert info.value.code == "INVALID_SCREENER"


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("not json", "MALFORMED_CATALOG"),
        ('{"indices": {"X": "AAPL"}}', "MALFORMED_CATALOG"),
        ('{"screeners": {"s": {"min_volume": 1}}}', "MALFORMED_CATALOG"),
        ('{"screeners": {"s": {"min_price": -5}}}', "INVALID_SCREENER"),
        ('{"universe": []}', "MALFORMED_CATALOG"),
    ],
)
def test_malformed_catalogs_raise_typed_errors(tmp_path, text, code):
    path = tmp_path / "catalog.json"
    path.write_text(text)
    with pytest.raises(UniverseError) as info:
        UniverseCatalog.load(path)
    assert info.value.code == code


def test_missing_files_raise_not_found_codes(tmp_path):
    with pytest.raises(UniverseError) as info:
        UniverseCatalog.load(tmp_path / "absent.json")
    assert info.value.code == "CATALOG_NOT_FOUND"
    with pytest.raises(UniverseError) as info:
        load_constituents(tmp_path / "absent.txt")
    assert info.value.code == "CONSTITUENTS_NOT_FOUND"
    empty = tmp_path / "empty.txt"
    empty.write_text("# nothing\n\n")
    with pytest.raises(UniverseError) as info:
        load_constituents(empty)
    assert info.value.code == "MALFORMED_CONSTITUENTS"
