"""`EventHub`: tails the outbox from its head and fans thin events out to WebSocket clients
by channel. Each client has a bounded queue: a slow client loses messages (and is told how
many) instead of slowing the others."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any, Final

from cream.events.outbox import StoredEvent, head, read_after
from cream.events.wakeups import Notifier, Wakeup
from cream.storage.database import Database

log = logging.getLogger(__name__)

CHANNELS: Final = ("QUOTES", "OPTIONS", "DECISIONS", "CYCLES", "ALERTS", "BACKTEST")
# Channels whose subscriptions name symbols; `api.market_publisher` polls the engine for them.
MARKET_CHANNELS: Final = ("QUOTES", "OPTIONS")
# Event type prefix → channel (ARCHITECTURE §7). Config promotions are operator notices.
_ROUTES: Final = (
    ("cycle.", "CYCLES"),
    ("decision.", "DECISIONS"),
    ("orders.", "DECISIONS"),
    ("alerts.", "ALERTS"),
    ("config.", "ALERTS"),
    ("backtest.", "BACKTEST"),
    ("quotes.", "QUOTES"),
    ("market.", "QUOTES"),
    ("options.", "OPTIONS"),
)
DEFAULT_QUEUE_SIZE: Final = 256


def channel_for(event_type: str) -> str | None:
    """The channel of an event type, or None when no dashboard channel carries it."""
    return next((channel for prefix, channel in _ROUTES if event_type.startswith(prefix)), None)


def thin_message(stored: StoredEvent, channel: str) -> str:
    """The JSON text sent to subscribers: ids, type, status-level payload; no details."""
    event = stored.event
    return json.dumps(
        {
            "channel": channel,
            "type": event.type,
            "id": event.id,
            "seq": stored.seq,
            "ts": event.ts.isoformat().replace("+00:00", "Z"),
            "cycle_id": event.cycle_id,
            "correlation_id": event.correlation_id,
            "payload": event.payload,
        },
        separators=(",", ":"),
    )


Sender = Callable[[str], Awaitable[None]]


class Subscriber:
    """One connected client: its channels and its bounded outgoing queue."""

    def __init__(self, send: Sender, *, queue_size: int = DEFAULT_QUEUE_SIZE) -> None:
        self.channels: set[str] = set()
        # Market channel → the symbols (QUOTES) or underlyings (OPTIONS) asked for.
        self.symbols: dict[str, set[str]] = {channel: set() for channel in MARKET_CHANNELS}
        # (channel, symbol) → item → fingerprint of the value last offered: only changes are
        # sent, and a new subscriber gets the current values first.
        self.market_seen: dict[tuple[str, str], dict[str, str]] = {}
        # Market channel → the code of the engine error this client was last told about.
        self.market_error: dict[str, str] = {}
        self._send = send
        self._queue: asyncio.Queue[str] = asyncio.Queue(maxsize=queue_size)
        self._dropped = 0
        self.delivered = 0

    def watching(self, channel: str) -> set[str]:
        """The symbols this client wants on market channel `channel` (none when unsubscribed)."""
        return self.symbols.get(channel, set()) if channel in self.channels else set()

    def forget(self, channel: str, symbols: set[str] | None = None) -> None:
        """Drops what was sent for `symbols` (all of the channel's when None)."""
        for key in [k for k in self.market_seen if k[0] == channel]:
            if symbols is None or key[1] in symbols:
                del self.market_seen[key]

    def offer(self, text: str) -> bool:
        """Queues a message without waiting; False (and counted) when the queue is full."""
        try:
            self._queue.put_nowait(text)
        except asyncio.QueueFull:
            self._dropped += 1
            return False
        return True

    async def pump(self) -> None:
        """Sends queued messages until cancelled or the socket fails; reports drops first."""
        while True:
            text = await self._queue.get()
            if self._dropped:
                count, self._dropped = self._dropped, 0
                await self._send(
                    json.dumps({"type": "dropped", "count": count, "reason": "slow consumer"})
                )
            await self._send(text)
            self.delivered += 1


class EventHub:
    """Fans the environment's new outbox events out to subscribers.

    Args:
        db: The open database.
        environment: Whose log to tail.
        notifier: Wake-ups after commits (in-process or Redis); None means poll only.
        poll_interval: Seconds between reads when no wake-up arrives (another process may
            have written without one reaching us).
    """

    def __init__(
        self,
        db: Database,
        environment: str,
        *,
        notifier: Notifier | None,
        poll_interval: float = 0.5,
    ) -> None:
        self._db = db
        self._environment = environment
        self._notifier = notifier
        self._poll_interval = poll_interval
        self._subscribers: set[Subscriber] = set()
        self._task: asyncio.Task[None] | None = None
        self._stop = asyncio.Event()
        self._position = 0
        self.failures = 0

    @property
    def position(self) -> int:
        """The seq of the last event fanned out."""
        return self._position

    @property
    def subscribers(self) -> int:
        """How many clients are connected."""
        return len(self._subscribers)

    def connected(self) -> list[Subscriber]:
        """The connected clients (a copy: the set changes as clients come and go)."""
        return list(self._subscribers)

    def add(self, subscriber: Subscriber) -> None:
        """Starts delivering to `subscriber` (events from now on)."""
        self._subscribers.add(subscriber)

    def remove(self, subscriber: Subscriber) -> None:
        """Stops delivering to `subscriber`."""
        self._subscribers.discard(subscriber)

    async def start(self) -> None:
        """Begins tailing at the log's current head."""
        self._position = await head(self._db, self._environment)
        wakeup = await self._notifier.subscribe(self._environment) if self._notifier else None
        self._stop.clear()
        self._task = asyncio.create_task(self._run(wakeup), name="cream-api-event-hub")

    async def stop(self) -> None:
        """Stops tailing."""
        self._stop.set()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def poll_once(self) -> int:
        """Reads and fans out the next page of events; returns how many were read."""
        events = await read_after(self._db, self._environment, self._position, limit=500)
        for stored in events:
            self._fan_out(stored)
            self._position = stored.seq
        return len(events)

    def _fan_out(self, stored: StoredEvent) -> None:
        channel = channel_for(stored.event.type)
        if channel is None:
            return
        text: str | None = None
        for subscriber in list(self._subscribers):
            if channel in subscriber.channels:
                text = text or thin_message(stored, channel)
                subscriber.offer(text)

    async def _run(self, wakeup: Wakeup | None) -> None:
        try:
            while not self._stop.is_set():
                try:
                    while await self.poll_once():
                        pass
                except Exception:
                    # The database may be briefly unavailable; keep the position, retry.
                    self.failures += 1
                    log.exception("event hub: reading the outbox failed; retrying")
                if wakeup is not None:
                    await wakeup.wait(self._poll_interval)
                else:
                    await asyncio.sleep(self._poll_interval)
        finally:
            if wakeup is not None:
                wakeup.close()


def parse_command(text: str) -> dict[str, Any] | None:
    """A client's JSON command, or None when it is not a JSON object."""
    try:
        value = json.loads(text)
    except json.JSONDecodeError:
        return None
    return value if isinstance(value, dict) else None
