"""MarketDataService over a real engine gRPC server: snapshots, chains, streams, typed errors."""

from __future__ import annotations

import zipfile
from datetime import UTC, timedelta

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

from cream.clock import ManualClock
from cream.engine.grpc_errors import decode_error_info
from cream.market.replay import ReplayFeed
from cream.market.replay_feed import ReplayMarketFeed
from cream.market.synthetic import SyntheticFeed
from cream.v1 import common_pb2 as common
from cream.v1 import market_snapshot_pb2 as md
from cream.v1 import market_snapshot_pb2_grpc as md_grpc
from tests.cream.engine.conftest import MARKET_OPEN, launch

UNIVERSE = ["AAPL", "MSFT", "SPY", "NVDA", "TSLA"]


async def _start(settings, feed_factory):
    clock = ManualClock(MARKET_OPEN)
    harness = await launch(settings, clock, feed_factory(clock))
    channel = grpc.aio.insecure_channel(harness.address)
    return harness, channel


@pytest.fixture
async def market(engine_settings):
    harness, channel = await _start(engine_settings, lambda clock: SyntheticFeed(UNIVERSE, clock))
    yield md_grpc.MarketDataServiceStub(channel), harness
    await channel.close()
    await harness.client.close()
    await harness.runtime.stop(grace=0)


async def _error(call):
    with pytest.raises(grpc.aio.AioRpcError) as info:
        await call
    error = info.value
    detail = decode_error_info(error.trailing_metadata())
    assert detail is not None, "the engine attaches ErrorInfo to every error"
    return error.code(), detail


async def test_snapshot_returns_quotes_bars_and_regime_at_the_engine_clock(market):
    stub, _ = market
    reply = await stub.GetSnapshot(
        md.GetSnapshotRequest(symbols=["AAPL", "SPY", "ZZZZ"], bar_count=120, timeframe="1h")
    )
    snapshot = reply.snapshot
    assert snapshot.as_of.ToDatetime(tzinfo=UTC) == MARKET_OPEN
    assert [s.symbol for s in snapshot.symbols] == ["AAPL", "SPY"]
    for entry in snapshot.symbols:
        assert len(entry.bars) == 120
        assert entry.bars[-1].timestamp.ToDatetime(tzinfo=UTC) + timedelta(hours=1) <= MARKET_OPEN
        assert float(entry.quote.bid) < float(entry.quote.ask)
        assert entry.regime != common.REGIME_UNSPECIFIED
    assert {(u.symbol, u.reason_code) for u in snapshot.unavailable} == {("ZZZZ", "UNKNOWN_SYMBOL")}


async def test_snapshot_of_quotes_only_needs_no_timeframe(market):
    stub, _ = market
    reply = await stub.GetSnapshot(md.GetSnapshotRequest(symbols=UNIVERSE))
    assert [s.symbol for s in reply.snapshot.symbols] == UNIVERSE
    assert all(len(s.bars) == 0 for s in reply.snapshot.symbols)


@pytest.mark.parametrize(
    ("request_", "code"),
    [
        (md.GetSnapshotRequest(), "NO_SYMBOLS"),
        (md.GetSnapshotRequest(symbols=[f"S{i}" for i in range(501)]), "TOO_MANY_SYMBOLS"),
        (md.GetSnapshotRequest(symbols=["aapl"]), "INVALID_SYMBOL"),
        (md.GetSnapshotRequest(symbols=["AAPL", "BRK B"]), "INVALID_SYMBOL"),
        (md.GetSnapshotRequest(symbols=["AAPL", ""]), "INVALID_SYMBOL"),
        (md.GetSnapshotRequest(symbols=["AAPL"], bar_count=5, timeframe="5m"), "UNKNOWN_TIMEFRAME"),
        (md.GetSnapshotRequest(symbols=["AAPL"], timeframe="weekly"), "UNKNOWN_TIMEFRAME"),
        (md.GetSnapshotRequest(symbols=["AAPL"], bar_count=5), "MISSING_TIMEFRAME"),
        (
            md.GetSnapshotRequest(symbols=["AAPL"], bar_count=5000, timeframe="1h"),
            "INVALID_BAR_COUNT",
        ),
    ],
)
async def test_bad_snapshot_requests_are_invalid_argument_with_a_stable_code(
    market, request_, code
):
    stub, _ = market
    status, info = await _error(stub.GetSnapshot(request_))
    assert status == grpc.StatusCode.INVALID_ARGUMENT
    assert info.code == code
    assert info.correlation_id


async def test_option_chain_lists_priced_contracts_within_expiry_bounds(market):
    stub, _ = market
    full = await stub.GetOptionChain(md.GetOptionChainRequest(underlying="AAPL"))
    expiries = sorted({o.contract.expiry for o in full.options})
    assert full.underlying == "AAPL"
    assert float(full.underlying_quote.last) > 0
    assert len(expiries) >= 5
    assert all(o.greeks.gamma > 0 and o.implied_volatility > 0 for o in full.options)
    bounded = await stub.GetOptionChain(
        md.GetOptionChainRequest(underlying="AAPL", min_expiry=expiries[2], max_expiry=expiries[2])
    )
    assert {o.contract.expiry for o in bounded.options} == {expiries[2]}


@pytest.mark.parametrize(
    ("request_", "status", "code"),
    [
        (md.GetOptionChainRequest(), grpc.StatusCode.INVALID_ARGUMENT, "MISSING_UNDERLYING"),
        (
            md.GetOptionChainRequest(underlying="AAPL", min_expiry="2026-13-01"),
            grpc.StatusCode.INVALID_ARGUMENT,
            "INVALID_EXPIRY",
        ),
        (
            md.GetOptionChainRequest(
                underlying="AAPL", min_expiry="2027-01-01", max_expiry="2026-12-01"
            ),
            grpc.StatusCode.INVALID_ARGUMENT,
            "INVALID_EXPIRY_RANGE",
        ),
        (
            md.GetOptionChainRequest(underlying="a/b"),
            grpc.StatusCode.INVALID_ARGUMENT,
            "INVALID_SYMBOL",
        ),
        (md.GetOptionChainRequest(underlying="ZZZZ"), grpc.StatusCode.NOT_FOUND, "UNKNOWN_SYMBOL"),
    ],
)
async def test_bad_option_chain_requests_fail_with_a_stable_code(market, request_, status, code):
    stub, _ = market
    got_status, info = await _error(stub.GetOptionChain(request_))
    assert (got_status, info.code) == (status, code)


async def test_subscription_streams_quotes_for_the_requested_symbols(market):
    stub, _ = market
    call = stub.SubscribeMarketData(md.SubscribeMarketDataRequest(symbols=["AAPL", "MSFT"]))
    seen = []
    async for reply in call:
        seen.append(reply.quote.symbol)
        if len(seen) == 4:
            break
    call.cancel()
    assert seen == ["AAPL", "MSFT", "AAPL", "MSFT"]


@pytest.mark.parametrize(
    ("symbols", "status", "code"),
    [
        ([], grpc.StatusCode.INVALID_ARGUMENT, "NO_SYMBOLS"),
        (["AAPL", "bad"], grpc.StatusCode.INVALID_ARGUMENT, "INVALID_SYMBOL"),
        (["AAPL", "ZZZZ"], grpc.StatusCode.NOT_FOUND, "UNKNOWN_SYMBOL"),
    ],
)
async def test_bad_subscriptions_fail_before_streaming(market, symbols, status, code):
    stub, _ = market
    call = stub.SubscribeMarketData(md.SubscribeMarketDataRequest(symbols=symbols))
    with pytest.raises(grpc.aio.AioRpcError) as info:
        async for _ in call:
            pass
    detail = decode_error_info(info.value.trailing_metadata())
    assert info.value.code() == status
    assert detail is not None and detail.code == code


async def test_health_and_reflection_include_the_market_data_service(market):
    _, harness = market
    async with grpc.aio.insecure_channel(harness.address) as channel:
        health = health_pb2_grpc.HealthStub(channel)
        reply = await health.Check(
            health_pb2.HealthCheckRequest(service="cream.v1.MarketDataService")
        )
        assert reply.status == health_pb2.HealthCheckResponse.SERVING
        reflection = reflection_pb2_grpc.ServerReflectionStub(channel)
        request = reflection_pb2.ServerReflectionRequest(list_services="")
        async for answer in reflection.ServerReflectionInfo(iter([request])):
            names = {s.name for s in answer.list_services_response.service}
    assert "cream.v1.MarketDataService" in names


async def test_a_replay_backed_engine_serves_bars_and_refuses_option_chains(
    engine_settings, tmp_path
):
    hour = tmp_path / "equity" / "usa" / "hour"
    hour.mkdir(parents=True)
    # 2026-11-17 (the session before MARKET_OPEN) and the 09:00 bar of 2026-11-18.
    rows = [f"20261117 {h:02d}:00,1000000,1010000,990000,1005000,500" for h in range(9, 16)]
    rows.append("20261118 09:00,1005000,1010000,1000000,1008000,900")
    with zipfile.ZipFile(hour / "xyz.zip", "w") as archive:
        archive.writestr("xyz.csv", "\n".join(rows) + "\n")
    harness, channel = await _start(
        engine_settings, lambda clock: ReplayMarketFeed(ReplayFeed(tmp_path), clock)
    )
    try:
        stub = md_grpc.MarketDataServiceStub(channel)
        reply = await stub.GetSnapshot(
            md.GetSnapshotRequest(symbols=["XYZ"], bar_count=10, timeframe="1h")
        )
        entry = reply.snapshot.symbols[0]
        assert len(entry.bars) == 8
        assert entry.quote.last == "100.80"
        assert {u.reason_code for u in reply.snapshot.unavailable} == {
            "INSUFFICIENT_BARS",
            "INSUFFICIENT_DATA",
        }
        status, info = await _error(stub.GetOptionChain(md.GetOptionChainRequest(underlying="XYZ")))
        assert (status, info.code) == (grpc.StatusCode.FAILED_PRECONDITION, "NO_OPTIONS_DATA")
    finally:
        await channel.close()
        await harness.client.close()
        await harness.runtime.stop(grace=0)
