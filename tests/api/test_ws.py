"""`/ws` over a real uvicorn: authentication, delivery by channel, and slow-client drops."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
import websockets

from api.websocket_hub import Subscriber, channel_for
from cream.events.log import EventLog
from tests.api.harness import AUTH, TOKEN


async def _next(socket, wanted_type: str) -> dict[str, Any]:
    while True:
        message = json.loads(await asyncio.wait_for(socket.recv(), timeout=10))
        if message["type"] == wanted_type:
            return message


async def test_events_reach_only_the_subscribers_of_their_channel(api, clock):
    url = f"{api.ws_url}?token={TOKEN}"
    async with websockets.connect(url) as cycles, websockets.connect(url) as decisions:
        for socket, channel in ((cycles, "CYCLES"), (decisions, "DECISIONS")):
            await socket.send(json.dumps({"action": "subscribe", "channels": [channel]}))
            assert (await _next(socket, "subscribed"))["channels"] in ([], [channel])
            assert (await _next(socket, "subscribed"))["channels"] == [channel]

        queued = await api.http.post("/api/system/trigger-cycle", json={}, headers=AUTH)
        cycle_id = queued.json()["cycle_id"]
        log = EventLog(api.db, "PAPER", producer="worker", notifier=api.notifier, clock=clock)
        await log.commit([], [log.event("decision.made", {"decision_id": "d1"}, cycle_id=cycle_id)])

        requested = await _next(cycles, "cycle.requested")
        assert (requested["channel"], requested["cycle_id"]) == ("CYCLES", cycle_id)
        assert requested["payload"]["requested_by"] == "api-token"
        made = await _next(decisions, "decision.made")
        assert made["channel"] == "DECISIONS"
        # The DECISIONS client never saw the cycle command: its first event was decision.made.
        await decisions.send(json.dumps({"action": "ping"}))
        assert (await _next(decisions, "pong")) == {"type": "pong"}


async def test_unknown_channels_and_commands_are_answered_with_an_error(api):
    async with websockets.connect(f"{api.ws_url}?token={TOKEN}&channels=ALERTS") as socket:
        assert (await _next(socket, "subscribed"))["channels"] == ["ALERTS"]
        await socket.send(json.dumps({"action": "subscribe", "channels": ["GOSSIP"]}))
        assert (await _next(socket, "error"))["code"] == "UNKNOWN_CHANNEL"
        await socket.send("not json")
        assert (await _next(socket, "error"))["code"] == "UNKNOWN_COMMAND"


@pytest.mark.parametrize(("query", "close_code"), [("", 4401), ("?token=wrong-token-value", 4403)])
async def test_unauthenticated_sockets_are_closed(api, query, close_code):
    async with websockets.connect(api.ws_url + query) as socket:
        error = json.loads(await asyncio.wait_for(socket.recv(), timeout=10))
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await asyncio.wait_for(socket.recv(), timeout=10)
    assert error["type"] == "error"
    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == close_code


async def test_a_session_cookie_authenticates_the_socket(api):
    login = await api.http.post("/api/auth/login", json={"token": TOKEN})
    cookie = login.cookies["cream_session"]
    async with websockets.connect(
        api.ws_url + "?channels=CYCLES", additional_headers={"Cookie": f"cream_session={cookie}"}
    ) as socket:
        assert (await _next(socket, "subscribed"))["channels"] == ["CYCLES"]


async def test_a_full_queue_drops_and_then_reports_how_many_were_lost():
    sent: list[str] = []
    gate = asyncio.Event()
    three_sent = asyncio.Event()

    async def send(text: str) -> None:
        await gate.wait()
        sent.append(text)
        if len(sent) == 3:
            three_sent.set()

    subscriber = Subscriber(send, queue_size=2)
    accepted = [subscriber.offer(f"m{n}") for n in range(5)]
    assert accepted == [True, True, False, False, False]

    pump = asyncio.create_task(subscriber.pump())
    gate.set()
    await asyncio.wait_for(three_sent.wait(), timeout=10)
    pump.cancel()

    assert json.loads(sent[0]) == {"type": "dropped", "count": 3, "reason": "slow consumer"}
    assert sent[1:] == ["m0", "m1"]


def test_event_types_map_to_the_dashboard_channels():
    assert channel_for("cycle.stage") == "CYCLES"
    assert channel_for("orders.updated") == "DECISIONS"
    assert channel_for("alerts.raised") == "ALERTS"
    assert channel_for("backtest.progress") == "BACKTEST"
    assert channel_for("engine.internal") is None
