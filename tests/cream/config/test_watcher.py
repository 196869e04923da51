"""Hot reload: a running watcher picks up promotions and rollbacks without a restart."""

from __future__ import annotations

import asyncio

from cream.clock import ManualClock
from cream.config.service import ConfigService
from cream.config.versions import ConfigVersion
from cream.config.watcher import ActiveConfigWatcher
from cream.events.wakeups import InProcessNotifier
from cream.storage.database import Database


async def test_the_watcher_follows_promotions_and_rollbacks(db: Database, clock: ManualClock):
    notifier = InProcessNotifier()
    service = ConfigService(db, clock=clock, notifier=notifier)
    await service.seed("PAPER")
    seen: list[int | None] = []
    changed = asyncio.Event()

    async def on_change(version: ConfigVersion) -> None:
        seen.append(version.version)
        changed.set()

    watcher = ActiveConfigWatcher(
        service,
        "PAPER",
        consumer_name="engine.config",
        db=db,
        notifier=notifier,
        on_change=on_change,
        poll_interval=60.0,  # only the wake-up can deliver within the test's timeout
    )
    started = await watcher.start()
    assert started is not None
    assert started.version == 1
    stop = asyncio.Event()
    task = asyncio.create_task(watcher.run(stop))
    try:
        changed.clear()
        await service.set_values("PAPER", ["risk.portfolio.max_leverage=1.5"], by="a")
        await service.validate("PAPER", by="a")
        await service.promote("PAPER", by="a")
        async with asyncio.timeout(5):
            await changed.wait()
        assert watcher.current is not None
        assert watcher.current.risk_policy().portfolio.max_leverage == "1.5"

        changed.clear()
        await service.rollback("PAPER", 1, by="ops")
        async with asyncio.timeout(5):
            await changed.wait()
    finally:
        stop.set()
        await task

    assert seen == [1, 2, 3]
    assert watcher.current.risk_policy().portfolio.max_leverage == "2.0"


async def test_a_restarted_watcher_skips_old_promotions_and_loads_the_active(
    db: Database, clock: ManualClock
):
    service = ConfigService(db, clock=clock)
    await service.seed("PAPER")
    await service.set_values("PAPER", ["trading.max_consensus_iterations=2"], by="a")
    await service.validate("PAPER", by="a")
    await service.promote("PAPER", by="a")
    calls: list[int | None] = []

    async def on_change(version: ConfigVersion) -> None:
        calls.append(version.version)

    watcher = ActiveConfigWatcher(
        service, "PAPER", consumer_name="worker.config", db=db, on_change=on_change
    )
    await watcher.start()

    assert await watcher.consumer.drain() == 0
    assert calls == [2]
