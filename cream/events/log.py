"""`EventLog`: build events, commit them with a business write, wake consumers after commit."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from cream.clock import Clock, SystemClock
from cream.events.consumer import Consumer, Handler
from cream.events.envelope import EventEnvelope, EventKind
from cream.events.outbox import append
from cream.events.redis_wakeups import RedisNotifier
from cream.events.retention import DEFAULT_TTL, CleanupResult, cleanup
from cream.events.wakeups import InProcessNotifier, Notifier
from cream.storage.database import Database, ExecResult, Statement
from cream.storage.order_records import check_environment


def notifier_for(redis_url: str | None) -> Notifier:
    """Redis pub/sub when `REDIS_URL` is set, in-process wake-ups otherwise."""
    return RedisNotifier(redis_url) if redis_url else InProcessNotifier()


class EventLog:
    """The outbox of one environment, as a producer and as a factory of consumers.

    Args:
        db: An open, migrated database.
        environment: BACKTEST, PAPER or LIVE.
        producer: Written into every event built by `event()`, e.g. "engine".
        notifier: Wake-ups after commit (see `notifier_for`); None means consumers only poll.
        clock: Source of event timestamps and row timestamps.
    """

    def __init__(
        self,
        db: Database,
        environment: str,
        *,
        producer: str,
        notifier: Notifier | None = None,
        clock: Clock | None = None,
    ) -> None:
        self._db = db
        self._environment = check_environment(environment)
        self._producer = producer
        self._notifier = notifier
        self._clock = clock or SystemClock()

    @property
    def environment(self) -> str:
        """The environment of this log."""
        return self._environment

    def event(
        self,
        type: str,
        payload: dict[str, Any] | None = None,
        *,
        kind: EventKind = "event",
        version: int = 1,
        cycle_id: str = "",
        correlation_id: str = "",
        causation_id: str = "",
        headers: dict[str, str] | None = None,
    ) -> EventEnvelope:
        """A new event stamped with this log's producer and clock.

        Raises:
            InvalidEventError: The type is not namespaced or another field is malformed.
        """
        return EventEnvelope.create(
            kind=kind,
            type=type,
            version=version,
            cycle_id=cycle_id,
            correlation_id=correlation_id,
            causation_id=causation_id,
            ts=self._clock.now(),
            producer=self._producer,
            headers=headers or {},
            payload=payload or {},
        )

    def append(self, event: EventEnvelope) -> Statement:
        """The outbox INSERT of `event`, to put in the business write's batch."""
        return append(event, self._environment, clock=self._clock)

    async def commit(
        self, statements: Sequence[Statement], events: Sequence[EventEnvelope]
    ) -> list[ExecResult]:
        """Runs the business statements and appends the events in ONE batch, then wakes.

        Returns:
            The results of `statements` (the outbox inserts' results are dropped).
        """
        results = await self._db.batch([*statements, *(self.append(e) for e in events)])
        if events:
            await self.wake()
        return results[: len(statements)]

    async def wake(self) -> bool:
        """Publishes a wake-up; False when there is no notifier or it was lost."""
        if self._notifier is None:
            return False
        return await self._notifier.publish(self._environment)

    def consumer(
        self,
        name: str,
        handler: Handler,
        *,
        types: Sequence[str] | None = None,
        poll_interval: float = 1.0,
        batch_size: int = 100,
    ) -> Consumer:
        """A consumer of this log sharing its notifier and clock."""
        return Consumer(
            self._db,
            self._environment,
            name,
            handler,
            notifier=self._notifier,
            types=types,
            poll_interval=poll_interval,
            batch_size=batch_size,
            clock=self._clock,
        )

    async def cleanup(self, ttl: timedelta = DEFAULT_TTL) -> CleanupResult:
        """Retention: deletes events and inbox marks older than `ttl` (all environments)."""
        return await cleanup(self._db, ttl=ttl, clock=self._clock)
