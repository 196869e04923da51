"""AlpacaFeed through alpaca-py against a fake speaking Alpaca's market-data wire format."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from cream.clock import ManualClock
from cream.market.alpaca_client import AlpacaDataClients, AlpacaDataError, RetryPolicy
from cream.market.alpaca_feed import AlpacaFeed
from cream.market.replay import DataUnavailable
from cream.market.snapshot import build_snapshot
from cream.v1 import common_pb2 as common
from tests.fakes.alpaca_data import (
    KEY,
    SECRET,
    FakeAlpacaData,
    bar,
    option_snapshot,
    quote,
    trade,
)

NEW_YORK = ZoneInfo("America/New_York")
# Mid-bar on a Wednesday: the 17:00 UTC hourly bar is still forming.
AS_OF = datetime(2024, 4, 10, 17, 30, tzinfo=UTC)
GREEKS = {"delta": 0.52, "gamma": 0.031, "rho": 0.11, "theta": -0.09, "vega": 0.21}


class CountingLimiter:
    """A limiter that lets everything through and counts the tokens taken."""

    def __init__(self) -> None:
        self.acquired = 0

    async def acquire(self) -> None:
        self.acquired += 1


def hourly_rows(end: datetime, count: int, start_price: float = 100.0) -> list[dict[str, Any]]:
    """`count` hourly bars on weekdays, 13:00-19:00 UTC labels, the newest starting at `end`."""
    rows: list[dict[str, Any]] = []
    when, price = end, start_price
    while len(rows) < count:
        if when.weekday() < 5 and 13 <= when.hour <= 19:
            rows.append(bar(when, price, price + 1, price - 1, price + 0.5, 1000 + len(rows)))
            price += 0.1
        when -= timedelta(hours=1)
    return rows[::-1]


@pytest.fixture
def fake():
    with FakeAlpacaData(page_size=50) as server:
        yield server


@pytest.fixture
def limiter() -> CountingLimiter:
    return CountingLimiter()


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def feed(fake, limiter, sleeps) -> AlpacaFeed:
    return make_feed(fake, limiter, sleeps)


def make_feed(fake, limiter, sleeps, *, key=KEY, attempts=3, **options) -> AlpacaFeed:
    clients = AlpacaDataClients(
        key,
        SECRET,
        limiter,
        base_url=fake.url,
        policy=RetryPolicy(attempts=attempts, base_delay=0.25, max_delay=10, timeout=5),
        sleep=sleeps.append,
    )
    return AlpacaFeed(clients, ManualClock(AS_OF), **options)


def _data_requests(fake, path: str) -> int:
    return sum(1 for r in fake.requests if r.path == path)


# -- bars ---------------------------------------------------------------------------------


async def test_bars_follow_pages_and_never_include_the_bar_still_forming(fake, feed, limiter):
    rows = hourly_rows(datetime(2024, 4, 10, 17, tzinfo=UTC), 300)
    fake.add_bars("AAPL", "1h", rows)

    bars = await feed.bars("AAPL", "1h", end=AS_OF, limit=120)

    assert len(bars) == 120
    newest = bars[-1]
    assert newest.timestamp == datetime(2024, 4, 10, 16, tzinfo=UTC)
    assert newest.close_time <= AS_OF
    assert bars[0].timestamp < newest.timestamp  # oldest first
    assert newest.close == pytest.approx(rows[-2]["c"])
    # 121 rows asked, 50 a page: three pages, each one rate-limited request.
    assert _data_requests(fake, "/v2/stocks/bars") == 3
    assert limiter.acquired == len(fake.requests) == 3
    sent = fake.requests[0].query
    assert sent["timeframe"] == ["1Hour"] and sent["sort"] == ["desc"]
    assert sent["feed"] == ["iex"] and sent["adjustment"] == ["all"]
    assert datetime.fromisoformat(sent["end"][0]) == AS_OF


async def test_daily_bar_of_today_is_hidden_until_the_day_is_over(fake, feed):
    days = [datetime(2024, 4, d, tzinfo=NEW_YORK) for d in (8, 9, 10)]
    fake.add_bars("SPY", "1d", [bar(d, 500, 505, 495, 502 + i, 10**6) for i, d in enumerate(days)])

    during = await feed.bars("SPY", "1d", end=AS_OF, limit=5)
    after = await feed.bars("SPY", "1d", end=datetime(2024, 4, 11, 1, tzinfo=UTC), limit=5)

    assert [b.timestamp.astimezone(NEW_YORK).day for b in during] == [8, 9]
    assert [b.timestamp.astimezone(NEW_YORK).day for b in after] == [8, 9, 10]


async def test_bars_of_a_symbol_without_data_are_unavailable_not_empty(feed):
    with pytest.raises(DataUnavailable) as info:
        await feed.bars("ZZZZ", "1h", end=AS_OF, limit=10)
    assert info.value.code == "NO_DATA_IN_RANGE"


# -- quotes -------------------------------------------------------------------------------


async def test_latest_quotes_are_observed_with_last_trade_and_typed_gaps(fake, feed):
    fresh = AS_OF - timedelta(seconds=3)
    fake.set_quote("AAPL", quote(fresh, 170.1, 170.12), last=trade(fresh, 170.11))
    fake.set_quote("MSFT", quote(AS_OF - timedelta(days=5), 400, 400.1))
    fake.set_quote("NVDA", quote(fresh, 900.5, 900.1))
    fake.set_quote("TSLA", quote(fresh, 0, 170))
    fake.set_quote("AMD", quote(AS_OF + timedelta(minutes=1), 150, 150.1))

    batch = await feed.latest_quotes(["AAPL", "MSFT", "NVDA", "TSLA", "AMD", "ZZZZ"], AS_OF)

    aapl = batch.quotes["AAPL"]
    assert (aapl.bid, aapl.ask, aapl.last, aapl.bid_size, aapl.ask_size) == (
        "170.10",
        "170.12",
        "170.11",
        3,
        4,
    )
    assert aapl.timestamp.ToDatetime(tzinfo=UTC) == fresh
    assert batch.modeled == {}
    reasons = {s: u.reason_code for s, u in batch.unavailable.items()}
    assert reasons == {
        "MSFT": "STALE_QUOTE",
        "NVDA": "CROSSED_QUOTE",
        "TSLA": "ONE_SIDED_QUOTE",
        "AMD": "NOT_POINT_IN_TIME",
        "ZZZZ": "UNKNOWN_SYMBOL",
    }
    assert fake.requests[0].path == "/v2/stocks/snapshots"


async def test_quote_poll_yields_a_quote_each_time_it_changes(fake, fake_clock_feed):
    feed, clock = fake_clock_feed
    fake.set_quote("AAPL", quote(AS_OF - timedelta(seconds=1), 170.1, 170.12))
    stream = feed.stream_quotes(["AAPL"])

    first = await anext(stream)
    fake.set_quote("AAPL", quote(AS_OF, 170.2, 170.22))
    clock.advance(timedelta(seconds=1))
    second = await anext(stream)
    await stream.aclose()

    assert (first.bid, second.bid) == ("170.10", "170.20")


@pytest.fixture
def fake_clock_feed(fake, limiter, sleeps):
    feed = make_feed(fake, limiter, sleeps, poll_seconds=0)
    return feed, feed._clock


# -- options ------------------------------------------------------------------------------


def _chain(fake) -> None:
    fresh = AS_OF - timedelta(seconds=30)
    fake.set_quote("AAPL", quote(fresh, 170.1, 170.12), last=trade(fresh, 170.11))
    contracts = {}
    for expiry in ("240419", "240517"):
        for strike in (165, 170, 175):
            for cp in "CP":
                occ = f"AAPL{expiry}{cp}{strike * 1000:08d}"
                contracts[occ] = option_snapshot(fresh, 2.1, 2.2, greeks=GREEKS, iv=0.27, last=2.15)
    contracts["AAPL240517C00175000"] = option_snapshot(fresh, 0.5, 0.6, greeks=None, iv=None)
    fake.add_option_chain("AAPL", contracts)


async def test_option_chain_carries_greeks_and_iv_and_lists_unpriced_contracts(fake, feed):
    _chain(fake)

    chain = await feed.option_chain("AAPL", AS_OF)

    assert chain.underlying_quote.last == "170.11"
    assert len(chain.options) == 11
    keys = [(o.contract.expiry, o.contract.strike) for o in chain.options]
    assert keys == sorted(keys)
    first = chain.options[0]
    assert first.contract.option_type in (common.OPTION_TYPE_CALL, common.OPTION_TYPE_PUT)
    assert first.greeks.delta == pytest.approx(0.52) and first.greeks.vega == pytest.approx(0.21)
    assert first.implied_volatility == pytest.approx(0.27)
    assert (first.quote.bid, first.quote.ask, first.quote.last) == ("2.10", "2.20", "2.15")
    assert [(u.symbol, u.reason_code) for u in chain.unavailable] == [
        ("AAPL240517C00175000", "NO_GREEKS")
    ]
    # 12 contracts, 50 a page: one chain request (plus the underlying's snapshot).
    assert _data_requests(fake, "/v1beta1/options/snapshots/AAPL") == 1


async def test_option_chain_pages_and_honours_expiry_bounds(fake, limiter, sleeps):
    with FakeAlpacaData(page_size=4) as small:
        _chain(small)
        feed = make_feed(small, limiter, sleeps)

        chain = await feed.option_chain(
            "AAPL", AS_OF, min_expiry=date(2024, 5, 1), max_expiry=date(2024, 5, 31)
        )

        assert {o.contract.expiry for o in chain.options} == {"2024-05-17"}
        assert len(chain.options) + len(chain.unavailable) == 6
        pages = [r for r in small.requests if r.path == "/v1beta1/options/snapshots/AAPL"]
        assert len(pages) == 2
        assert pages[0].query["expiration_date_gte"] == ["2024-05-01"]
        assert pages[0].query["feed"] == ["indicative"]


async def test_option_chain_without_contracts_is_unavailable(fake, feed):
    fake.set_quote("XYZ", quote(AS_OF, 10, 10.1))
    fake.add_option_chain("XYZ", {})
    with pytest.raises(DataUnavailable) as info:
        await feed.option_chain("XYZ", AS_OF)
    assert info.value.code == "NO_OPTIONS_DATA"


async def test_option_quotes_by_occ_symbol(fake, feed):
    _chain(fake)

    batch = await feed.option_quotes(["AAPL240419C00170000", "AAPL240419C00999000", "BAD"], AS_OF)

    assert batch.options["AAPL240419C00170000"].greeks.theta == pytest.approx(-0.09)
    assert {s: u.reason_code for s, u in batch.unavailable.items()} == {
        "AAPL240419C00999000": "UNKNOWN_SYMBOL",
        "BAD": "INVALID_OCC_SYMBOL",
    }


# -- rate limit, retries, failures ----------------------------------------------------------


async def test_429_is_retried_after_its_retry_after(fake, feed, limiter, sleeps):
    fake.set_quote("AAPL", quote(AS_OF, 170.1, 170.12))
    fake.fail_next(429, retry_after="7")

    batch = await feed.latest_quotes(["AAPL"], AS_OF)

    assert "AAPL" in batch.quotes
    assert sleeps == [7.0]
    assert len(fake.requests) == 2
    assert limiter.acquired == 2  # the retry took its own token


async def test_5xx_until_attempts_run_out_reports_feed_down_not_an_exception(fake, feed, sleeps):
    fake.set_quote("AAPL", quote(AS_OF, 170.1, 170.12))
    fake.fail_next(500, times=3)

    batch = await feed.latest_quotes(["AAPL", "MSFT"], AS_OF)

    assert batch.quotes == {}
    assert {u.reason_code for u in batch.unavailable.values()} == {"FEED_DOWN"}
    assert "gave up after 3 attempts" in batch.unavailable["AAPL"].message
    assert len(fake.requests) == 3
    assert len(sleeps) == 2 and sleeps[0] < sleeps[1] <= 10  # exponential backoff


async def test_a_5xx_then_success_recovers(fake, feed, sleeps):
    fake.add_bars("AAPL", "1h", hourly_rows(datetime(2024, 4, 10, 16, tzinfo=UTC), 20))
    fake.fail_next(503)

    bars = await feed.bars("AAPL", "1h", end=AS_OF, limit=10)

    assert len(bars) == 10
    assert len(sleeps) == 1


async def test_bars_fail_closed_with_the_feed_down_code(fake, feed):
    fake.fail_next(502, times=3)
    with pytest.raises(DataUnavailable) as info:
        await feed.bars("AAPL", "1h", end=AS_OF, limit=10)
    assert info.value.code == "FEED_DOWN"


async def test_a_wrong_key_fails_clearly_and_is_not_retried(fake, limiter, sleeps):
    feed = make_feed(fake, limiter, sleeps, key="WRONG")
    fake.set_quote("AAPL", quote(AS_OF, 170.1, 170.12))

    batch = await feed.latest_quotes(["AAPL"], AS_OF)
    with pytest.raises(AlpacaDataError) as info:
        await feed.bars("AAPL", "1h", end=AS_OF, limit=10)

    assert batch.unavailable["AAPL"].reason_code == "AUTH_FAILED"
    assert "ALPACA_KEY" in batch.unavailable["AAPL"].message
    assert info.value.code == "AUTH_FAILED" and info.value.status == 401
    assert len(fake.requests) == 2 and sleeps == []


def test_clients_refuse_missing_keys(limiter):
    with pytest.raises(AlpacaDataError) as info:
        AlpacaDataClients("", "secret", limiter)
    assert info.value.code == "AUTH_FAILED"


async def test_snapshot_over_the_alpaca_feed_has_indicators_and_observed_quotes(fake, feed):
    fake.add_bars("AAPL", "1h", hourly_rows(datetime(2024, 4, 10, 16, tzinfo=UTC), 130))
    fake.set_quote("AAPL", quote(AS_OF, 170.1, 170.12), last=trade(AS_OF, 170.11))

    view = await build_snapshot(feed, ["AAPL"], AS_OF, bar_count=120)

    entry = view.proto.symbols[0]
    assert len(entry.bars) == 120
    assert entry.quote.modeled == ""
    assert set(entry.indicators) >= {"rsi", "atr", "sma_fast", "macd", "bollinger_upper"}
    assert entry.regime != common.REGIME_UNSPECIFIED


class BrokenLimiter:
    """A shared limiter whose store is down."""

    async def acquire(self) -> None:
        raise ConnectionError("redis down")


async def test_nothing_is_sent_when_the_rate_limit_cannot_be_taken(fake, sleeps):
    feed = make_feed(fake, BrokenLimiter(), sleeps)
    fake.set_quote("AAPL", quote(AS_OF, 170.1, 170.12))

    batch = await feed.latest_quotes(["AAPL"], AS_OF)

    assert batch.unavailable["AAPL"].reason_code == "RATE_LIMITER_UNAVAILABLE"
    assert fake.requests == []


async def test_bars_between_follow_every_page_and_stop_at_as_of(fake, feed):
    rows = hourly_rows(datetime(2024, 4, 10, 17, tzinfo=UTC), 140)
    fake.add_bars("AAPL", "1h", rows)
    start = datetime(2024, 3, 25, tzinfo=UTC)

    everything = await feed.bars_between("AAPL", "1h", start=start, end=AS_OF + timedelta(days=1))
    until = await feed.bars_between(
        "AAPL", "1h", start=start, end=AS_OF + timedelta(days=1), as_of=AS_OF
    )

    assert everything[0].timestamp >= start
    assert everything[-1].timestamp == datetime(2024, 4, 10, 17, tzinfo=UTC)
    assert until[-1].timestamp == datetime(2024, 4, 10, 16, tzinfo=UTC)
    assert len(everything) == len(until) + 1 > 50  # more than one 50-bar page
    assert fake.requests[0].query["sort"] == ["asc"]
