"""The MarketSnapshot additions over a real engine gRPC server: indicators, modeled quotes, and
unpriced option contracts in GetOptionChain."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import grpc
import pytest

from cream.clock import ManualClock
from cream.market.alpaca_client import AlpacaDataClients, RetryPolicy
from cream.market.alpaca_feed import AlpacaFeed
from cream.market.replay import ReplayFeed
from cream.market.replay_feed import ReplayMarketFeed
from cream.market.snapshot import build_snapshot
from cream.market.synthetic import SyntheticFeed
from cream.settings import Environment, Settings
from cream.v1 import market_snapshot_pb2 as md
from cream.v1 import market_snapshot_pb2_grpc as md_grpc
from tests.cream.engine.conftest import MARKET_OPEN, launch
from tests.cream.market.test_alpaca_feed import GREEKS, CountingLimiter
from tests.fakes.alpaca_data import KEY, SECRET, FakeAlpacaData, option_snapshot, quote, trade

INDICATORS = {
    "sma_fast",
    "sma_slow",
    "ema",
    "rsi",
    "macd",
    "macd_signal",
    "macd_histogram",
    "atr",
    "bollinger_middle",
    "bollinger_upper",
    "bollinger_lower",
}


@pytest.fixture
def engine_settings(tmp_path) -> Settings:
    return Settings(cream_env=Environment.PAPER, cream_db_url=f"file:{tmp_path / 'engine.db'}")


async def _serve(settings, feed, clock):
    harness = await launch(settings, clock, feed)
    channel = grpc.aio.insecure_channel(harness.address)
    try:
        yield md_grpc.MarketDataServiceStub(channel)
    finally:
        await channel.close()
        await harness.client.close()
        await harness.runtime.stop(grace=0)


@pytest.fixture
async def synthetic(engine_settings):
    clock = ManualClock(MARKET_OPEN)
    feed = SyntheticFeed(["AAPL", "SPY"], clock)
    async for stub in _serve(engine_settings, feed, clock):
        yield stub, feed


async def test_snapshot_carries_every_indicator_as_a_decimal_string(synthetic):
    stub, feed = synthetic
    reply = await stub.GetSnapshot(
        md.GetSnapshotRequest(symbols=["AAPL"], bar_count=120, timeframe="1h")
    )
    local = await build_snapshot(feed, ["AAPL"], MARKET_OPEN, bar_count=120)

    entry = reply.snapshot.symbols[0]
    assert set(entry.indicators) == INDICATORS
    expected = local.symbols["AAPL"].indicators
    assert expected is not None
    for name, text in entry.indicators.items():
        assert "e" not in text.lower()
        assert float(Decimal(text)) == pytest.approx(getattr(expected, name), abs=1e-6)


async def test_indicators_still_warming_up_are_absent_and_reported(synthetic):
    stub, _ = synthetic
    reply = await stub.GetSnapshot(
        md.GetSnapshotRequest(symbols=["AAPL"], bar_count=20, timeframe="1h")
    )

    entry = reply.snapshot.symbols[0]
    assert "sma_slow" not in entry.indicators and "rsi" in entry.indicators
    gaps = [u for u in reply.snapshot.unavailable if u.reason_code == "INSUFFICIENT_BARS"]
    assert len(gaps) == 1 and "sma_slow" in gaps[0].message


async def test_an_observed_quote_is_not_marked_modeled(synthetic):
    stub, _ = synthetic
    reply = await stub.GetSnapshot(md.GetSnapshotRequest(symbols=["AAPL"]))
    assert reply.snapshot.symbols[0].quote.modeled == ""


async def test_a_quote_modeled_from_a_replayed_bar_says_so(engine_settings, tmp_path):
    folder = tmp_path / "replay" / "1h"
    folder.mkdir(parents=True)
    rows = ["timestamp,open,high,low,close,volume"]
    start = MARKET_OPEN - timedelta(hours=30)
    for i in range(30):
        when = (start + timedelta(hours=i)).isoformat()
        rows.append(f"{when},100,104,99,{100 + i / 10:.2f},1000")
    (folder / "XYZ.csv").write_text("\n".join(rows) + "\n")
    clock = ManualClock(MARKET_OPEN)
    feed = ReplayMarketFeed(ReplayFeed(tmp_path / "replay"), clock)

    async for stub in _serve(engine_settings, feed, clock):
        reply = await stub.GetSnapshot(md.GetSnapshotRequest(symbols=["XYZ"]))

    observed = reply.snapshot.symbols[0].quote
    assert observed.modeled.startswith("MODELED_FROM_BAR")
    assert observed.last == "102.90"


async def test_option_chain_lists_the_contracts_it_could_not_price(engine_settings):
    now = MARKET_OPEN - timedelta(seconds=5)
    with FakeAlpacaData() as fake:
        fake.set_quote("AAPL", quote(now, 170.1, 170.12), last=trade(now, 170.11))
        fake.add_option_chain(
            "AAPL",
            {
                "AAPL261120C00170000": option_snapshot(now, 2.1, 2.2, greeks=GREEKS, iv=0.3),
                "AAPL261120P00170000": option_snapshot(now, 1.9, 2.0, greeks=None, iv=None),
            },
        )
        clients = AlpacaDataClients(
            KEY, SECRET, CountingLimiter(), base_url=fake.url, policy=RetryPolicy(attempts=1)
        )
        clock = ManualClock(MARKET_OPEN)
        async for stub in _serve(engine_settings, AlpacaFeed(clients, clock), clock):
            reply = await stub.GetOptionChain(md.GetOptionChainRequest(underlying="AAPL"))

    assert [o.contract.occ_symbol for o in reply.options] == ["AAPL261120C00170000"]
    assert reply.options[0].greeks.delta == pytest.approx(0.52)
    assert [(u.symbol, u.reason_code) for u in reply.unavailable] == [
        ("AAPL261120P00170000", "NO_GREEKS")
    ]
