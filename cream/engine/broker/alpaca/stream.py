"""The account's ``trade_updates`` websocket: connect, authenticate, listen, and stay alive.

One connection per account. Messages go to ``on_update``; every (re)connection calls
``on_connected`` before messages flow, so the owner can re-query orders and reconcile what
was missed while the stream was down. Lost connections are retried with exponential backoff
and full jitter. A watchdog pings the server and drops a connection whose pong does not come
back in time (a half-open TCP connection otherwise looks healthy forever).

alpaca-py's ``TradingStream`` is not used: it has no reconnect hook (so no reconciliation
after a gap), and it runs on the deprecated legacy websockets client.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
from collections.abc import Awaitable, Callable
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import WebSocketException

log = logging.getLogger(__name__)


class StreamAuthError(Exception):
    """The stream refused our keys."""


class TradeUpdatesStream:
    """A self-healing ``trade_updates`` subscription.

    Args:
        url: The stream URL (``ALPACA_STREAM_URL``), e.g. ``wss://paper-api.alpaca.markets/stream``.
        key: API key id.
        secret: API secret.
        on_update: Receives the ``data`` object of each ``trade_updates`` message.
        on_connected: Awaited after each successful subscribe, before messages are read.
        on_disconnected: Awaited when a live connection is lost.
        backoff_initial: First reconnect delay ceiling (seconds).
        backoff_max: Largest reconnect delay ceiling.
        ping_interval: Watchdog ping period.
        pong_timeout: How long a pong may take before the connection counts as stale.
    """

    def __init__(
        self,
        url: str,
        key: str,
        secret: str,
        *,
        on_update: Callable[[dict[str, Any]], Awaitable[None]],
        on_connected: Callable[[], Awaitable[None]],
        on_disconnected: Callable[[], Awaitable[None]],
        backoff_initial: float = 0.5,
        backoff_max: float = 30.0,
        ping_interval: float = 10.0,
        pong_timeout: float = 10.0,
        rng: random.Random | None = None,
    ) -> None:
        self.url = url
        self._key = key
        self._secret = secret
        self._on_update = on_update
        self._on_connected = on_connected
        self._on_disconnected = on_disconnected
        self._backoff_initial = backoff_initial
        self._backoff_max = backoff_max
        self._ping_interval = ping_interval
        self._pong_timeout = pong_timeout
        self._rng = rng or random.Random()
        self._ws: ClientConnection | None = None
        self.connected = asyncio.Event()
        self.connections = 0
        # Set (and counted) each time the watchdog drops a connection that stopped answering.
        self.stale = asyncio.Event()
        self.stale_drops = 0

    def backoff(self, failures: int) -> float:
        """Full-jitter exponential backoff: uniform in [0, min(max, initial * 2**(n-1))]."""
        ceiling = min(self._backoff_max, self._backoff_initial * 2 ** max(0, failures - 1))
        return self._rng.uniform(0, ceiling)

    async def run(self) -> None:
        """Keep a subscription alive until cancelled."""
        failures = 0
        while True:
            try:
                await self._session()
                failures = 0
            except asyncio.CancelledError:
                raise
            except (OSError, WebSocketException, StreamAuthError, TimeoutError, ValueError) as exc:
                failures += 1
                log.warning("trade_updates stream lost (%s: %s)", type(exc).__name__, exc)
            finally:
                if self.connected.is_set():
                    self.connected.clear()
                    with contextlib.suppress(Exception):
                        await self._on_disconnected()
                self._ws = None
            await asyncio.sleep(self.backoff(max(1, failures)))

    async def drop(self) -> None:
        """Close the current connection (it will reconnect); used on a stale watchdog."""
        if self._ws is not None:
            await self._ws.close()

    async def _session(self) -> None:
        async with connect(self.url, ping_interval=None, open_timeout=10, close_timeout=2) as ws:
            self._ws = ws
            await self._authenticate(ws)
            await ws.send(json.dumps({"action": "listen", "data": {"streams": ["trade_updates"]}}))
            while (await self._receive(ws)).get("stream") != "listening":
                pass
            self.connections += 1
            self.connected.set()
            await self._on_connected()
            watchdog = asyncio.create_task(self._watchdog(ws), name="trade-updates-watchdog")
            try:
                while True:
                    message = await self._receive(ws)
                    if message.get("stream") == "trade_updates" and isinstance(
                        message.get("data"), dict
                    ):
                        await self._on_update(message["data"])
            finally:
                watchdog.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await watchdog

    async def _authenticate(self, ws: ClientConnection) -> None:
        await ws.send(
            json.dumps(
                {
                    "action": "authenticate",
                    "data": {"key_id": self._key, "secret_key": self._secret},
                }
            )
        )
        reply = await self._receive(ws)
        status = (reply.get("data") or {}).get("status")
        if reply.get("stream") != "authorization" or status != "authorized":
            raise StreamAuthError(f"trade_updates stream refused the keys: {reply}")

    @staticmethod
    async def _receive(ws: ClientConnection) -> dict[str, Any]:
        raw = await ws.recv()
        # Alpaca sends JSON in binary frames; accept text frames as well.
        message = json.loads(raw.decode() if isinstance(raw, bytes) else raw)
        if not isinstance(message, dict):
            raise ValueError(f"unexpected stream message: {message!r}")
        return message

    async def _watchdog(self, ws: ClientConnection) -> None:
        while True:
            await asyncio.sleep(self._ping_interval)
            pong = await ws.ping()
            try:
                await asyncio.wait_for(pong, self._pong_timeout)
            except TimeoutError:
                log.warning("trade_updates stream stale: no pong in %.1f s", self._pong_timeout)
                self.stale_drops += 1
                self.stale.set()
                await ws.close()
                return
