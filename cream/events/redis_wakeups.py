"""Cross-process wake-ups over Redis pub/sub, one channel per environment."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from cream.events.errors import WakeupUnavailableError
from cream.events.wakeups import Wakeup

logger = logging.getLogger(__name__)

CHANNEL_PREFIX = "cream:events:"


class RedisNotifier:
    """Publishes wake-ups to `cream:events:<ENV>` and turns received ones into `Wakeup`s.

    One pattern subscription per notifier, read by one background task that reconnects with
    a backoff. A publish that fails is logged and reported as lost: the event is already
    committed, so consumers still get it by polling.

    Args:
        url: A `redis://` URL (`REDIS_URL`).
        channel_prefix: Prefix of the per-environment channels.
        timeout_seconds: Upper bound of one Redis call.
    """

    def __init__(
        self, url: str, *, channel_prefix: str = CHANNEL_PREFIX, timeout_seconds: float = 2.0
    ) -> None:
        self._url = url
        self._prefix = channel_prefix
        self._timeout = timeout_seconds
        self._client: Any = aioredis.from_url(
            url, socket_timeout=timeout_seconds, socket_connect_timeout=timeout_seconds
        )
        self._wakeups: dict[str, set[Wakeup]] = {}
        self._listener: asyncio.Task[None] | None = None
        self._ready = asyncio.Event()

    async def publish(self, environment: str) -> bool:
        """Publishes a wake-up; False (logged) when Redis could not take it."""
        try:
            async with asyncio.timeout(self._timeout):
                await self._client.publish(self._prefix + environment, "1")
        except (RedisError, OSError, TimeoutError) as exc:
            logger.warning("event wake-up for %s lost (consumers will poll): %s", environment, exc)
            return False
        return True

    async def subscribe(self, environment: str) -> Wakeup:
        """A `Wakeup` for the environment, once Redis confirmed the subscription.

        Raises:
            WakeupUnavailableError: Redis did not confirm within the timeout.
        """
        wakeup = Wakeup(on_close=lambda w: self._wakeups[environment].discard(w))
        self._wakeups.setdefault(environment, set()).add(wakeup)
        if self._listener is None:
            self._listener = asyncio.create_task(self._listen(), name="redis-event-wakeups")
        try:
            async with asyncio.timeout(self._timeout * 3):
                await self._ready.wait()
        except TimeoutError as exc:
            raise WakeupUnavailableError(
                f"Redis at {_safe(self._url)} did not confirm the wake-up subscription; "
                f"check REDIS_URL or unset it to use in-process wake-ups"
            ) from exc
        return wakeup

    async def close(self) -> None:
        """Stops the listener and closes the connection pool."""
        if self._listener is not None:
            self._listener.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._listener
            self._listener = None
        await self._client.aclose()

    async def _listen(self) -> None:
        delay = 0.1
        while True:
            pubsub = self._client.pubsub()
            try:
                await pubsub.psubscribe(self._prefix + "*")
                while True:
                    message = await pubsub.get_message(timeout=1.0)
                    if message is None:
                        continue
                    delay = 0.1
                    if message["type"] == "psubscribe":
                        self._ready.set()
                    elif message["type"] == "pmessage":
                        self._dispatch(message["channel"])
            except (RedisError, OSError) as exc:
                self._ready.clear()
                logger.warning("Redis wake-up listener lost its connection (polling): %s", exc)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)
            finally:
                with contextlib.suppress(RedisError, OSError):
                    await pubsub.aclose()

    def _dispatch(self, channel: bytes | str) -> None:
        name = channel.decode() if isinstance(channel, bytes) else channel
        for wakeup in list(self._wakeups.get(name.removeprefix(self._prefix), ())):
            wakeup.set()


def _safe(url: str) -> str:
    return url.rpartition("@")[2]
