"""Cross-process locks with a TTL: Redis when `REDIS_URL` is set, a database lease otherwise.

Several workers may run against one environment (ARCHITECTURE §9); at most one trading
cycle may run at a time. A lock is a named lease with a random token and an expiry: the
holder renews it while it works and releases it when done; if the holder dies, the lease
expires and another process takes it. Only the token's owner can renew or release.

- Redis: `SET key token NX PX ttl`; renew and release are Lua scripts that compare the token
  first, so a holder whose lease already expired cannot delete its successor's.
- Database: one row per (environment, name) in `leases`; taking it is one upsert that only
  overwrites an expired row, checked by reading the token back in the same batch. Expiry is
  judged by each process's clock, so the hosts' clocks must agree to well within the TTL.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, ClassVar, Protocol

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from cream.clock import Clock, SystemClock
from cream.storage.database import Database, Statement
from cream.storage.errors import StorageError
from cream.storage.order_records import check_environment
from cream.storage.timestamps import format_utc

logger = logging.getLogger(__name__)

_RENEW = """
if redis.call('get', KEYS[1]) == ARGV[1] then
  return redis.call('pexpire', KEYS[1], ARGV[2])
end
return 0
"""
_RELEASE = """
if redis.call('get', KEYS[1]) == ARGV[1] then
  return redis.call('del', KEYS[1])
end
return 0
"""
_DB_ACQUIRE = (
    "INSERT INTO leases (name, environment, holder, token, acquired_at, expires_at, created_at, "
    "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (environment, name) DO UPDATE SET "
    "holder = excluded.holder, token = excluded.token, acquired_at = excluded.acquired_at, "
    "expires_at = excluded.expires_at, updated_at = excluded.updated_at "
    "WHERE leases.expires_at <= excluded.acquired_at"
)


class LockError(Exception):
    """Base of lock failures; `code` is stable."""

    code: ClassVar[str] = "LOCK_ERROR"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class LockUnavailableError(LockError):
    """The lock's backend (Redis or the database) could not be asked."""

    code: ClassVar[str] = "LOCK_UNAVAILABLE"


class InvalidLockError(LockError):
    """A lock was asked for with an empty name or a non-positive TTL."""

    code: ClassVar[str] = "INVALID_LOCK"


def process_identity() -> str:
    """`host:pid:random`: who holds a lease, readable in logs and in /health."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"


class Lease(Protocol):
    """A held lock."""

    @property
    def name(self) -> str:
        """The lock's name."""
        ...

    @property
    def token(self) -> str:
        """The random token that proves ownership."""
        ...

    async def renew(self) -> bool:
        """Extends the lease by its TTL; False when it was lost (expired and taken, or gone)."""
        ...

    async def release(self) -> None:
        """Gives the lock up (a no-op when it was already lost)."""
        ...


class LockManager(Protocol):
    """Hands out named leases of one environment."""

    @property
    def holder(self) -> str:
        """This process's identity, written into every lease it takes."""
        ...

    async def try_acquire(self, name: str, ttl: timedelta) -> Lease | None:
        """Takes the lock if it is free; None when someone else holds it.

        Raises:
            LockUnavailableError: The backend did not answer.
        """
        ...

    async def holder_of(self, name: str) -> str | None:
        """Who holds the lock now (None when free)."""
        ...

    async def close(self) -> None:
        """Releases connections."""
        ...


def _check(name: str, ttl: timedelta) -> int:
    if not name or ttl <= timedelta(0):
        raise InvalidLockError(f"lock {name!r}: needs a non-empty name and a positive TTL")
    return max(1, int(ttl.total_seconds() * 1000))


@dataclass
class RedisLease:
    """A lease held in Redis."""

    name: str
    token: str
    _client: Any
    _key: str
    _ttl_ms: int

    async def renew(self) -> bool:
        """Extends the key's expiry if it still holds our token."""
        try:
            renewed = await self._client.eval(_RENEW, 1, self._key, self.token, self._ttl_ms)
        except (RedisError, OSError) as exc:
            raise LockUnavailableError(f"Redis did not renew lock {self.name!r}: {exc}") from exc
        return bool(renewed)

    async def release(self) -> None:
        """Deletes the key if it still holds our token."""
        try:
            await self._client.eval(_RELEASE, 1, self._key, self.token)
        except (RedisError, OSError) as exc:
            # The key expires by itself; logging is all that is left to do.
            logger.warning("lock %s not released (it will expire): %s", self.name, exc)


class RedisLockManager:
    """Leases as Redis keys `cream:lock:<ENV>:<name>` whose value is `holder|token`.

    Args:
        url: A `redis://` URL.
        environment: BACKTEST, PAPER or LIVE (part of every key).
        holder: This process's identity (default: `process_identity()`).
        timeout_seconds: Upper bound of one Redis call.
    """

    def __init__(
        self,
        url: str,
        environment: str,
        *,
        holder: str | None = None,
        timeout_seconds: float = 2.0,
    ) -> None:
        self._environment = check_environment(environment)
        self._holder = holder or process_identity()
        self._client: Any = aioredis.from_url(
            url, socket_timeout=timeout_seconds, socket_connect_timeout=timeout_seconds
        )

    @property
    def holder(self) -> str:
        """This process's identity."""
        return self._holder

    def _key(self, name: str) -> str:
        return f"cream:lock:{self._environment}:{name}"

    async def try_acquire(self, name: str, ttl: timedelta) -> RedisLease | None:
        """`SET key holder|token NX PX ttl`."""
        ttl_ms = _check(name, ttl)
        token = f"{self._holder}|{secrets.token_hex(16)}"
        try:
            taken = await self._client.set(self._key(name), token, nx=True, px=ttl_ms)
        except (RedisError, OSError) as exc:
            raise LockUnavailableError(f"Redis did not answer for lock {name!r}: {exc}") from exc
        if not taken:
            return None
        return RedisLease(name, token, self._client, self._key(name), ttl_ms)

    async def holder_of(self, name: str) -> str | None:
        """The holder part of the key's value."""
        try:
            value = await self._client.get(self._key(name))
        except (RedisError, OSError) as exc:
            raise LockUnavailableError(f"Redis did not answer for lock {name!r}: {exc}") from exc
        if value is None:
            return None
        text = value.decode() if isinstance(value, bytes) else str(value)
        return text.rpartition("|")[0] or text

    async def ping(self) -> bool:
        """Whether Redis answers (for /health)."""
        try:
            return bool(await self._client.ping())
        except (RedisError, OSError):
            return False

    async def close(self) -> None:
        """Closes the connection pool."""
        await self._client.aclose()


@dataclass
class DatabaseLease:
    """A lease held as a row of `leases`."""

    name: str
    token: str
    _db: Database
    _environment: str
    _ttl: timedelta
    _clock: Clock

    async def renew(self) -> bool:
        """Moves the expiry forward if the row still carries our token."""
        now = self._clock.now()
        result = await self._db.execute(
            "UPDATE leases SET expires_at = ?, updated_at = ? "
            "WHERE environment = ? AND name = ? AND token = ?",
            (
                format_utc(now + self._ttl),
                format_utc(now),
                self._environment,
                self.name,
                self.token,
            ),
        )
        return result.rows_affected == 1

    async def release(self) -> None:
        """Deletes the row if it still carries our token."""
        await self._db.execute(
            "DELETE FROM leases WHERE environment = ? AND name = ? AND token = ?",
            (self._environment, self.name, self.token),
        )


class DatabaseLockManager:
    """Leases as rows of the `leases` table (no Redis configured).

    Args:
        db: An open, migrated database shared by the competing processes.
        environment: BACKTEST, PAPER or LIVE.
        holder: This process's identity (default: `process_identity()`).
        clock: Judges expiry; the competing hosts' clocks must agree within the TTL.
    """

    def __init__(
        self,
        db: Database,
        environment: str,
        *,
        holder: str | None = None,
        clock: Clock | None = None,
    ) -> None:
        self._db = db
        self._environment = check_environment(environment)
        self._holder = holder or process_identity()
        self._clock = clock or SystemClock()

    @property
    def holder(self) -> str:
        """This process's identity."""
        return self._holder

    async def try_acquire(self, name: str, ttl: timedelta) -> DatabaseLease | None:
        """One batch: insert or take over an expired row, then read back whose it is."""
        _check(name, ttl)
        token = secrets.token_hex(16)
        try:
            results = await self._db.batch(self._acquire_statements(name, token, ttl))
        except StorageError as exc:
            raise LockUnavailableError(
                f"the database did not answer for lock {name!r}: {exc.message}"
            ) from exc
        rows = results[1].rows
        if not rows or rows[0]["token"] != token:
            return None
        return DatabaseLease(name, token, self._db, self._environment, ttl, self._clock)

    def _acquire_statements(self, name: str, token: str, ttl: timedelta) -> list[Statement]:
        now = self._clock.now()
        stamp = format_utc(now)
        return [
            Statement(
                _DB_ACQUIRE,
                (
                    name,
                    self._environment,
                    self._holder,
                    token,
                    stamp,
                    format_utc(now + ttl),
                    stamp,
                    stamp,
                ),
            ),
            Statement(
                "SELECT token FROM leases WHERE environment = ? AND name = ?",
                (self._environment, name),
            ),
        ]

    async def holder_of(self, name: str) -> str | None:
        """The holder of an unexpired row."""
        try:
            row = await self._db.query_one(
                "SELECT holder FROM leases WHERE environment = ? AND name = ? AND expires_at > ?",
                (self._environment, name, format_utc(self._clock.now())),
            )
        except StorageError as exc:
            raise LockUnavailableError(
                f"the database did not answer for lock {name!r}: {exc.message}"
            ) from exc
        return None if row is None else str(row["holder"])

    async def close(self) -> None:
        """Nothing to close: the database belongs to the caller."""


def lock_manager_for(
    redis_url: str | None,
    db: Database,
    environment: str,
    *,
    holder: str | None = None,
    clock: Clock | None = None,
) -> RedisLockManager | DatabaseLockManager:
    """Redis leases when `REDIS_URL` is set, database leases otherwise."""
    if redis_url:
        return RedisLockManager(redis_url, environment, holder=holder)
    return DatabaseLockManager(db, environment, holder=holder, clock=clock)


async def acquire_waiting(
    locks: LockManager,
    name: str,
    ttl: timedelta,
    *,
    stop: asyncio.Event,
    poll_seconds: float = 0.5,
) -> Lease | None:
    """Waits until the lock is free and takes it; None when `stop` is set first.

    Backend failures are logged and retried: a waiting requester is never dropped.
    """
    while not stop.is_set():
        try:
            lease = await locks.try_acquire(name, ttl)
        except LockUnavailableError as exc:
            logger.warning("%s; retrying", exc.message)
            lease = None
        if lease is not None:
            return lease
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(poll_seconds):
                await stop.wait()
    return None


@contextlib.asynccontextmanager
async def keep_renewed(
    lease: Lease, ttl: timedelta, *, lost: asyncio.Event
) -> AsyncIterator[Lease]:
    """Renews `lease` every third of its TTL while the block runs, then releases it.

    `lost` is set when a renewal finds the lease gone (or the backend unreachable for a
    whole TTL), so the work can stop at its next checkpoint instead of running unguarded.
    """
    interval = ttl.total_seconds() / 3

    async def renew_forever() -> None:
        failures = 0
        while True:
            await asyncio.sleep(interval)
            try:
                still_held = await lease.renew()
                failures = 0
            except Exception as exc:
                failures += 1
                logger.warning("lock %s renewal failed (%d): %s", lease.name, failures, exc)
                still_held = failures < 3
            if not still_held:
                logger.error("lock %s lost: stopping the guarded work", lease.name)
                lost.set()
                return

    task = asyncio.create_task(renew_forever(), name=f"renew-{lease.name}")
    try:
        yield lease
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await lease.release()
