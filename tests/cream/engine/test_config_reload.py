"""The engine follows config promotions live: a tighter limit bites with no restart."""

from __future__ import annotations

import asyncio

from cream.config.service import ConfigService
from cream.storage.database import Database
from tests.cream.engine.plans import buy, plan


async def _check_until(engine, predicate, timeout: float = 10.0):
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        response = await engine.client.check_constraints(
            plan(buy("d1", "AAPL", "10", "95", "110"), as_of=engine.clock.now())
        )
        if predicate(response) or asyncio.get_running_loop().time() > deadline:
            return response
        await asyncio.sleep(0.1)


async def test_promoting_a_tighter_limit_refuses_a_plan_that_passed_without_restart(engine):
    before = await _check_until(engine, lambda r: True)
    assert before.approved, before.violations

    # Another process (here: another connection) seeds and promotes a config whose
    # per-instrument notional limit is below this plan's ~1000 dollars.
    async with await Database.connect(engine.settings.cream_db_url) as db:
        service = ConfigService(db)
        seeded, _ = await service.seed("PAPER", by="test")
        await service.set_values("PAPER", ["risk.per_instrument.max_notional=500"], by="test")
        await service.validate("PAPER", by="test")
        promoted = await service.promote("PAPER", by="alice")
    assert promoted.version is not None and promoted.version > (seeded.version or 0)

    after = await _check_until(engine, lambda r: not r.approved)
    assert not after.approved
    assert "MAX_NOTIONAL_EXCEEDED" in {v.code for v in after.violations}
    assert after.policy_version == promoted.version


async def test_sighup_style_reload_picks_up_the_active_version(engine):
    async with await Database.connect(engine.settings.cream_db_url) as db:
        seeded, _ = await ConfigService(db).seed("PAPER", by="test")
    reloaded = await engine.runtime.reload_config()
    assert reloaded is not None and reloaded.version == seeded.version
    response = await _check_until(engine, lambda r: True)
    assert response.policy_version == seeded.version
