"""Wiring for an engine trading through Alpaca: build the broker, reconcile, keep it safe.

The supervisor holds new submissions (the engine runs HALTED) from start-up until the first
reconciliation completes, again whenever the trade_updates stream is down, and until the
reconciliation after each reconnect completes. It reconciles periodically as well, and in
LIVE it mass-cancels open orders when the stream stays down past a grace period.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
from dataclasses import dataclass
from typing import Protocol

from cream.clock import Clock
from cream.engine.broker.alpaca.adapter import AlpacaBroker
from cream.engine.broker.alpaca.reconcile import Reconciler
from cream.engine.broker.alpaca.rest import AlpacaRest
from cream.engine.broker.alpaca.safety import LIVE_TRADING_URL, ConnectionMonitor
from cream.events import types as event_types
from cream.events.envelope import EventEnvelope
from cream.events.outbox import append
from cream.resilience.circuit_breaker import CircuitBreaker
from cream.resilience.throttle import SubmitThrottle
from cream.resilience.token_bucket import RateLimiter, RedisTokenBucket, TokenBucket
from cream.settings import Environment, Settings
from cream.storage.database import Database
from cream.v1 import common_pb2 as common

log = logging.getLogger(__name__)
PAPER_TRADING_URL = "https://paper-api.alpaca.markets"
# Alpaca allows 200 requests per minute per key; stay below it with room for other callers.
RATE_PER_MINUTE = 180
BURST = 10
_STARTUP = "start-up reconciliation with Alpaca"
_STREAM_DOWN = "trade_updates stream disconnected"
_RECONNECT = "reconciliation with Alpaca after a reconnect"


def uses_alpaca(settings: Settings) -> bool:
    """Whether this engine trades through Alpaca (keys set, PAPER or LIVE)."""
    return (
        settings.cream_env in (Environment.PAPER, Environment.LIVE)
        and bool(settings.alpaca_key)
        and bool(settings.alpaca_secret)
    )


@dataclass(frozen=True)
class AlpacaOptions:
    """Tunables of the Alpaca runtime (tests shorten them)."""

    timeout_seconds: float = 10.0
    reconcile_interval_seconds: float = 300.0
    mass_cancel_grace_seconds: float | None = None
    stream_backoff_initial: float = 0.5
    stream_backoff_max: float = 30.0
    ping_interval: float = 10.0
    cache_seconds: float = 2.0


def build_broker(
    settings: Settings, *, clock: Clock, options: AlpacaOptions | None = None
) -> AlpacaBroker:
    """The AlpacaBroker for these settings (endpoints by CREAM_ENV unless overridden)."""
    options = options or AlpacaOptions()
    live = settings.cream_env == Environment.LIVE
    key, secret = settings.alpaca_key or "", settings.alpaca_secret or ""
    base_url = settings.alpaca_base_url or (LIVE_TRADING_URL if live else PAPER_TRADING_URL)
    stream_url = settings.alpaca_stream_url or (
        base_url.replace("https://", "wss://").replace("http://", "ws://").rstrip("/") + "/stream"
    )
    key_hash = hashlib.sha256(key.encode()).hexdigest()[:16]
    limiter: RateLimiter = (
        RedisTokenBucket(settings.redis_url, f"ratelimit:alpaca:{key_hash}", RATE_PER_MINUTE, BURST)
        if settings.redis_url
        else TokenBucket(RATE_PER_MINUTE, BURST)
    )
    rest = AlpacaRest(
        key,
        secret,
        base_url=base_url,
        paper=not live,
        limiter=limiter,
        breaker=CircuitBreaker("alpaca"),
        timeout_seconds=options.timeout_seconds,
    )
    return AlpacaBroker(
        rest,
        stream_url=stream_url,
        key=key,
        secret=secret,
        environment=common.ENVIRONMENT_LIVE if live else common.ENVIRONMENT_PAPER,
        clock=clock,
        throttle=SubmitThrottle(),
        cache_seconds=options.cache_seconds,
        stream_options={
            "backoff_initial": options.stream_backoff_initial,
            "backoff_max": options.stream_backoff_max,
            "ping_interval": options.ping_interval,
            "pong_timeout": options.ping_interval,
        },
    )


class SubmissionGate(Protocol):
    """The engine's gate on new orders."""

    def hold_submissions(self, reason: str) -> None: ...

    def release_submissions(self, reason: str) -> None: ...


class AlpacaSupervisor:
    """See the module docstring."""

    def __init__(
        self,
        broker: AlpacaBroker,
        reconciler: Reconciler,
        gate: SubmissionGate,
        *,
        db: Database,
        environment: str,
        clock: Clock,
        options: AlpacaOptions,
    ) -> None:
        self._broker = broker
        self._reconciler = reconciler
        self._gate = gate
        self._db = db
        self._environment = environment
        self._clock = clock
        self._options = options
        self.reconciled = asyncio.Event()
        self._first = True
        self._lock = asyncio.Lock()
        self._periodic: asyncio.Task[None] | None = None
        self.monitor = (
            ConnectionMonitor(
                broker.cancel_all, options.mass_cancel_grace_seconds, self._alert_mass_cancel
            )
            if options.mass_cancel_grace_seconds is not None
            else None
        )

    async def start(self) -> None:
        """Hold submissions, open the stream (its first connection reconciles), schedule runs."""
        self._gate.hold_submissions(_STARTUP)
        self._broker.on_connected = self._on_connected
        self._broker.on_disconnected = self._on_disconnected
        self._broker.start()
        self._periodic = asyncio.create_task(self._run_periodic(), name="alpaca-reconcile")

    async def close(self) -> None:
        """Stop the periodic runs and the stream."""
        if self._periodic is not None:
            self._periodic.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._periodic
        if self.monitor is not None:
            await self.monitor.restored()
        await self._broker.close()

    async def _on_connected(self) -> None:
        if self.monitor is not None:
            await self.monitor.restored()
        trigger = "startup" if self._first else "reconnect"
        if not self._first:
            self._gate.hold_submissions(_RECONNECT)
        self._gate.release_submissions(_STREAM_DOWN)
        await self.reconcile(trigger)

    async def _on_disconnected(self) -> None:
        self._gate.hold_submissions(_STREAM_DOWN)
        if self.monitor is not None:
            self.monitor.lost()

    async def reconcile(self, trigger: str) -> bool:
        """Run one reconciliation; on success release the holds it guards."""
        async with self._lock:
            try:
                await self._reconciler.run(trigger)
            except Exception as exc:  # recorded and alerted by the reconciler; retried later
                log.error("reconciliation (%s) failed: %s", trigger, exc)
                return False
            self._first = False
            self._gate.release_submissions(_STARTUP)
            self._gate.release_submissions(_RECONNECT)
            self.reconciled.set()
            return True

    async def _run_periodic(self) -> None:
        while True:
            await asyncio.sleep(self._options.reconcile_interval_seconds)
            if self._broker.connected:
                await self.reconcile("periodic")

    async def _alert_mass_cancel(self, message: str) -> None:
        event = EventEnvelope.create(
            type=event_types.ALERT_RAISED,
            ts=self._clock.now(),
            producer="engine.safety",
            payload={"severity": "critical", "code": "BROKER_MASS_CANCEL", "message": message},
        )
        try:
            await self._db.batch([append(event, self._environment, clock=self._clock)])
        except Exception as exc:  # logged critical already by the monitor
            log.error("mass-cancel alert not stored: %s", exc)
