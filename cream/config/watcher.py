"""Hot reload: `ActiveConfigWatcher` follows `config.promoted` events and keeps the active config.

Usage in a process (engine, worker)::

    watcher = ActiveConfigWatcher(service, "PAPER", consumer_name="engine.config",
                                  notifier=notifier, on_change=apply_policy)
    await watcher.start()             # loads the active version now
    task = asyncio.create_task(watcher.run(stop))   # follows promotions and rollbacks
    watcher.current                   # the ConfigVersion in force
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence

from cream.config.service import PROMOTED_EVENT, ConfigService
from cream.config.versions import ConfigVersion
from cream.events.consumer import Consumer
from cream.events.outbox import StoredEvent, head
from cream.events.wakeups import Notifier
from cream.storage.database import Database, Statement

logger = logging.getLogger(__name__)

OnChange = Callable[[ConfigVersion], Awaitable[None]]


class ActiveConfigWatcher:
    """Keeps the active config of one environment current without a restart.

    Args:
        service: The config service over the process's database.
        environment: BACKTEST, PAPER or LIVE.
        consumer_name: The event consumer's stable name, one per process role.
        db: The database the events are read from (the service's).
        notifier: Wake-ups (Redis or in-process); polling covers a missing or lost one.
        on_change: Awaited with each newly active version, after `current` is updated.
        poll_interval: Seconds between polls (the bound on delay when a wake-up is lost).
    """

    def __init__(
        self,
        service: ConfigService,
        environment: str,
        *,
        consumer_name: str,
        db: Database,
        notifier: Notifier | None = None,
        on_change: OnChange | None = None,
        poll_interval: float = 1.0,
    ) -> None:
        self._service = service
        self._environment = environment
        self._db = db
        self._on_change = on_change
        self._current: ConfigVersion | None = None
        self._consumer = Consumer(
            db,
            environment,
            consumer_name,
            self._handle,
            notifier=notifier,
            types=(PROMOTED_EVENT,),
            poll_interval=poll_interval,
        )

    @property
    def current(self) -> ConfigVersion | None:
        """The active version as last loaded (None before `start` or before any seed)."""
        return self._current

    @property
    def consumer(self) -> Consumer:
        """The underlying event consumer (for `poll_once` in tests and one-shot tools)."""
        return self._consumer

    async def start(self) -> ConfigVersion | None:
        """Loads the active version and skips promotions that happened before it."""
        await self._consumer.seek(await head(self._db, self._environment))
        await self._reload()
        return self._current

    async def reload(self) -> ConfigVersion | None:
        """Re-reads the active version now (SIGHUP), calling `on_change` if it changed."""
        await self._reload()
        return self._current

    async def run(self, stop: asyncio.Event | None = None) -> None:
        """Follows promotions until `stop` is set."""
        await self._consumer.run(stop)

    async def _handle(self, stored: StoredEvent) -> Sequence[Statement]:
        await self._reload()
        return ()

    async def _reload(self) -> None:
        active = await self._service.active(self._environment)
        if active is None or (self._current is not None and active.id == self._current.id):
            return
        self._current = active
        logger.info("config %s %s is now active", self._environment, active.label)
        if self._on_change is not None:
            await self._on_change(active)
