"""QUOTES and OPTIONS over `/ws`: the API polls a real engine for the watched symbols only."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from datetime import datetime
from typing import Any

import pytest
import websockets

from cream.clock import ManualClock
from cream.market.feed import QuoteBatch
from tests.api.harness import TOKEN, ApiServer, running_api
from tests.cream.engine.conftest import MARKET_OPEN, PRICES, EngineHarness, launch
from tests.cream.engine.feeds import ScriptedFeed

# A liveness bound for waiting on the server, never a speed assertion.
WAIT_S = 15


class CountingFeed(ScriptedFeed):
    """The scripted feed, counting how often the engine was asked for quotes."""

    def __init__(self, clock, prices: dict[str, str]) -> None:
        super().__init__(clock, prices)
        self.quote_calls = 0

    async def latest_quotes(self, symbols, as_of: datetime) -> QuoteBatch:
        self.quote_calls += 1
        return await super().latest_quotes(symbols, as_of)


@pytest.fixture
async def engine(engine_settings) -> AsyncIterator[EngineHarness]:
    clock = ManualClock(MARKET_OPEN)
    harness = await launch(engine_settings, clock, CountingFeed(clock, PRICES))
    yield harness
    await harness.client.close()
    await harness.runtime.stop(grace=0)


@pytest.fixture
async def live_api(tmp_path, clock, engine: EngineHarness) -> AsyncIterator[ApiServer]:
    async with running_api(tmp_path / "api", clock, engine_address=engine.address) as server:
        yield server


async def _next(socket, wanted: str) -> dict[str, Any]:
    while True:
        message = json.loads(await asyncio.wait_for(socket.recv(), timeout=WAIT_S))
        if message["type"] == wanted:
            return message


async def _until(condition: Callable[[], bool]) -> None:
    async with asyncio.timeout(WAIT_S):
        while not condition():  # noqa: ASYNC110 - counters of a background task
            await asyncio.sleep(0.01)


def _publisher(api: ApiServer):
    return api.app.state.context.market


async def test_a_quotes_subscriber_gets_the_quote_then_only_changes(live_api, engine):
    async with websockets.connect(f"{live_api.ws_url}?token={TOKEN}") as socket:
        await socket.send(
            json.dumps({"action": "subscribe", "channels": ["QUOTES"], "symbols": ["aapl"]})
        )
        ack = await _next(socket, "subscribed")
        while ack["channels"] != ["QUOTES"]:
            ack = await _next(socket, "subscribed")
        assert ack["symbols"] == {"QUOTES": ["AAPL"], "OPTIONS": []}

        first = await _next(socket, "quote")
        publisher = _publisher(live_api)
        polls = publisher.polls
        await _until(lambda: publisher.polls >= polls + 3)  # unchanged polls: nothing to send
        engine.feed.set_price("AAPL", "101.00")
        second = await _next(socket, "quote")

    assert (first["channel"], first["symbol"]) == ("QUOTES", "AAPL")
    assert (first["payload"]["last"], first["payload"]["ask"]) == ("100.00", "100.01")
    # Unchanged values are not repeated: the next quote is the changed one.
    assert second["payload"]["last"] == "101.00"


async def test_unsubscribing_stops_the_engine_polls(live_api, engine):
    publisher = _publisher(live_api)
    async with websockets.connect(f"{live_api.ws_url}?token={TOKEN}") as socket:
        await socket.send(
            json.dumps({"action": "subscribe", "channels": ["QUOTES"], "symbols": ["MSFT"]})
        )
        await _next(socket, "quote")
        assert publisher.watched()["QUOTES"] == {"MSFT"}

        await socket.send(
            json.dumps({"action": "unsubscribe", "channels": ["QUOTES"], "symbols": ["MSFT"]})
        )
        ack = await _next(socket, "subscribed")
        while ack["symbols"]["QUOTES"]:
            ack = await _next(socket, "subscribed")
        await _until(publisher.idle.is_set)
        polls, calls = publisher.polls, engine.feed.quote_calls
        # Twenty poll intervals of silence: an idle publisher asks the engine nothing.
        await asyncio.sleep(20 * 0.05)

        assert (publisher.polls, engine.feed.quote_calls) == (polls, calls)
        assert ack["channels"] == ["QUOTES"]


async def test_an_options_subscriber_gets_the_whole_chain_first(live_api):
    url = f"{live_api.ws_url}?token={TOKEN}&channels=OPTIONS&symbols=SPY"
    async with websockets.connect(url) as socket:
        ack = await _next(socket, "subscribed")
        chain = await _next(socket, "option_chain")

    assert ack["symbols"]["OPTIONS"] == ["SPY"]
    payload = chain["payload"]
    assert (chain["channel"], chain["symbol"], payload["complete"]) == ("OPTIONS", "SPY", True)
    assert payload["options"], "the synthetic feed lists SPY contracts"
    contract = payload["options"][0]
    assert contract["occ_symbol"].startswith("SPY")
    assert contract["option_type"] in ("CALL", "PUT")
    assert payload["underlying_quote"]["symbol"] == "SPY"


async def test_an_unknown_symbol_is_reported_not_dropped(live_api):
    url = f"{live_api.ws_url}?token={TOKEN}&channels=QUOTES&symbols=ZZZZ"
    async with websockets.connect(url) as socket:
        missing = await _next(socket, "quote.unavailable")
    assert missing["payload"]["reason_code"] == "UNKNOWN_SYMBOL"


async def test_an_engine_that_is_down_gives_one_error_message_not_one_per_poll(tmp_path, clock):
    async with running_api(tmp_path, clock) as api:
        publisher = _publisher(api)
        async with websockets.connect(f"{api.ws_url}?token={TOKEN}") as socket:
            await socket.send(
                json.dumps({"action": "subscribe", "channels": ["QUOTES"], "symbols": ["AAPL"]})
            )
            error = await _next(socket, "market.error")
            polls = publisher.polls
            await _until(lambda: publisher.polls >= polls + 3)
            await socket.send(json.dumps({"action": "ping"}))
            between: list[str] = []
            while (message := json.loads(await asyncio.wait_for(socket.recv(), WAIT_S)))[
                "type"
            ] != "pong":
                between.append(message["type"])

    assert error["channel"] == "QUOTES"
    assert error["payload"]["code"] == "ENGINE_UNAVAILABLE"
    assert error["payload"]["symbols"] == ["AAPL"]
    assert "market.error" not in between


@pytest.mark.parametrize(
    ("command", "code"),
    [
        (
            {"action": "subscribe", "channels": ["QUOTES"], "symbols": ["not a ticker"]},
            "INVALID_SYMBOL",
        ),
        ({"action": "subscribe", "channels": ["QUOTES"], "symbols": "AAPL"}, "INVALID_SYMBOL"),
        (
            {"action": "subscribe", "channels": ["CYCLES"], "symbols": ["AAPL"]},
            "SYMBOLS_NEED_MARKET_CHANNEL",
        ),
        (
            {
                "action": "subscribe",
                "channels": ["OPTIONS"],
                "symbols": [f"S{n}" for n in range(51)],
            },
            "TOO_MANY_SYMBOLS",
        ),
    ],
)
async def test_malformed_market_subscriptions_are_refused(api, command, code):
    async with websockets.connect(f"{api.ws_url}?token={TOKEN}") as socket:
        await socket.send(json.dumps(command))
        error = await _next(socket, "error")
        await socket.send(json.dumps({"action": "ping"}))
        await _next(socket, "pong")
    assert error["code"] == code
    assert _publisher(api).watched() == {"QUOTES": set(), "OPTIONS": set()}
