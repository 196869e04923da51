"""A consumer of the outbox: stored offset, de-duplication by event id, at-least-once delivery.

Each page of events is handled in order; the handlers' own statements, one inbox row per
handled event id and the new offset are then committed in ONE batch. So a crash before
that commit redelivers the page (at-least-once) and leaves no half-applied database effect,
and the inbox's primary key makes a second handling of the same event id (another instance
of the same consumer, a replay from an earlier offset) abort instead of applying twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Collection, Sequence

from cream.clock import Clock, SystemClock
from cream.events.outbox import StoredEvent, read_after
from cream.events.wakeups import Notifier, Wakeup
from cream.storage.database import Database, Statement
from cream.storage.errors import ConstraintViolationError, InvalidRecordError
from cream.storage.order_records import check_environment
from cream.storage.timestamps import format_utc

logger = logging.getLogger(__name__)

Handler = Callable[[StoredEvent], Awaitable[Sequence[Statement] | None]]

_OFFSET_UPSERT = (
    "INSERT INTO consumer_offsets (id, environment, position, created_at, updated_at) "
    "VALUES (?, ?, ?, ?, ?) ON CONFLICT (environment, id) DO UPDATE SET "
    "position = max(position, excluded.position), updated_at = excluded.updated_at"
)


class Consumer:
    """Reads one environment's events after its stored offset and hands them to `handler`.

    Args:
        db: An open, migrated database.
        environment: BACKTEST, PAPER or LIVE.
        name: The consumer's stable name; its offset and inbox are keyed by it.
        handler: Called once per new event, in log order; may return statements that are
            committed atomically with the offset. Raising stops the page: the events before
            are committed, the failing one is delivered again later.
        notifier: Wake-ups after commits; without one the consumer only polls.
        types: Only these event types reach the handler (others are skipped, offset moves).
        poll_interval: Seconds between polls when no wake-up comes (the safety net).
        batch_size: Events per page.
        clock: Source of the offset and inbox rows' timestamps.
    """

    def __init__(
        self,
        db: Database,
        environment: str,
        name: str,
        handler: Handler,
        *,
        notifier: Notifier | None = None,
        types: Collection[str] | None = None,
        poll_interval: float = 1.0,
        batch_size: int = 100,
        clock: Clock | None = None,
    ) -> None:
        if not name:
            raise InvalidRecordError("a consumer needs a non-empty name")
        if poll_interval <= 0 or batch_size < 1:
            raise InvalidRecordError("poll_interval must be > 0 and batch_size >= 1")
        self._db = db
        self._environment = check_environment(environment)
        self._name = name
        self._handler = handler
        self._notifier = notifier
        self._types = frozenset(types) if types is not None else None
        self._poll_interval = poll_interval
        self._batch_size = batch_size
        self._clock = clock or SystemClock()
        self._position: int | None = None

    @property
    def name(self) -> str:
        """The consumer's name."""
        return self._name

    async def position(self) -> int:
        """The stored offset: the `seq` of the last event this consumer is done with."""
        row = await self._db.query_one(
            "SELECT position FROM consumer_offsets WHERE environment = ? AND id = ?",
            (self._environment, self._name),
        )
        value = row["position"] if row is not None else 0
        self._position = int(value) if isinstance(value, int) else 0
        return self._position

    async def poll_once(self) -> int:
        """Handles one page of new events and commits it; returns how many were read."""
        position = self._position if self._position is not None else await self.position()
        events = await read_after(self._db, self._environment, position, limit=self._batch_size)
        if not events:
            return 0
        seen = await self._seen([stored.event.id for stored in events])
        statements: list[Statement] = []
        handled: list[StoredEvent] = []
        done = position
        try:
            for stored in events:
                wanted = self._types is None or stored.event.type in self._types
                if wanted and stored.event.id not in seen:
                    statements.extend(await self._handler(stored) or ())
                    handled.append(stored)
                    seen.add(stored.event.id)
                done = stored.seq
        finally:
            # Runs on a handler error too: what was handled before it is committed.
            await self._commit(statements, handled, done)
        return len(events)

    async def drain(self) -> int:
        """Polls until the log has nothing new; returns how many events were read."""
        total = 0
        while read := await self.poll_once():
            total += read
        return total

    async def seek(self, position: int) -> None:
        """Moves the stored offset back or forward (a replay); the inbox still de-duplicates."""
        now = format_utc(self._clock.now())
        await self._db.batch(
            [
                Statement(_OFFSET_UPSERT, (self._name, self._environment, 0, now, now)),
                Statement(
                    "UPDATE consumer_offsets SET position = ? WHERE environment = ? AND id = ?",
                    (position, self._environment, self._name),
                ),
            ]
        )
        self._position = position

    async def run(self, stop: asyncio.Event | None = None) -> None:
        """Consumes until `stop` is set: drains, then waits for a wake-up or the poll interval.

        A failing poll (database down, handler error) is logged and retried after the poll
        interval; the failing event is not skipped.
        """
        stop = stop or asyncio.Event()
        wakeup = await self._notifier.subscribe(self._environment) if self._notifier else None
        try:
            while not stop.is_set():
                try:
                    await self.drain()
                except Exception:
                    logger.exception("consumer %s failed; retrying after the poll", self._name)
                    self._position = None
                await _sleep(wakeup, stop, self._poll_interval)
        finally:
            if wakeup is not None:
                wakeup.close()

    async def _seen(self, ids: list[str]) -> set[str]:
        marks = ", ".join("?" for _ in ids)
        rows = await self._db.query(
            f"SELECT id FROM consumer_inbox WHERE environment = ? AND consumer = ? "  # noqa: S608 - placeholders only
            f"AND id IN ({marks})",
            (self._environment, self._name, *ids),
        )
        return {str(row["id"]) for row in rows}

    async def _commit(
        self, statements: list[Statement], handled: list[StoredEvent], done: int
    ) -> None:
        if self._position is not None and done <= self._position:
            return
        now = format_utc(self._clock.now())
        steps = list(statements)
        if handled:
            rows = ", ".join("(?, ?, ?, ?, ?, ?)" for _ in handled)
            params: list[str | int] = []
            for stored in handled:
                params += [stored.event.id, self._environment, self._name, stored.seq, now, now]
            steps.append(
                Statement(
                    f"INSERT INTO consumer_inbox (id, environment, consumer, seq, created_at, "  # noqa: S608 - placeholders only
                    f"updated_at) VALUES {rows}",
                    tuple(params),
                )
            )
        steps.append(Statement(_OFFSET_UPSERT, (self._name, self._environment, done, now, now)))
        try:
            await self._db.batch(steps)
        except ConstraintViolationError:
            if not await self._seen([stored.event.id for stored in handled]):
                raise  # the handler's own statements broke a constraint
            # Another instance of this consumer handled these first: nothing was applied
            # twice; continue from the offset it stored.
            logger.info("consumer %s: events already handled elsewhere, resyncing", self._name)
            await self.position()
            return
        self._position = done


async def _sleep(wakeup: Wakeup | None, stop: asyncio.Event, timeout: float) -> None:
    waiters: list[asyncio.Future[bool]] = [asyncio.ensure_future(stop.wait())]
    if wakeup is not None:
        waiters.append(asyncio.ensure_future(wakeup.wait(timeout)))
    _, pending = await asyncio.wait(waiters, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
    for task in pending:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
