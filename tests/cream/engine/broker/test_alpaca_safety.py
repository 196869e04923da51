"""LIVE refuses to start without its preconditions; a lost connection mass-cancels in time."""

from __future__ import annotations

import asyncio

import pytest

from cream.engine.broker.alpaca.errors import LiveRefusedError
from cream.engine.broker.alpaca.safety import ConnectionMonitor, check_live_preconditions
from cream.engine.server import start_engine
from cream.settings import Environment, Settings
from cream.storage.database import Database
from tests.cream.engine.broker.conftest import make_broker
from tests.cream.engine.broker.test_alpaca_adapter import engine_order
from tests.fakes.alpaca import FakeAlpaca
from tests.fakes.alpaca.server import KEY, SECRET


def live(tmp_path, **fields: object) -> Settings:
    base: dict[str, object] = {
        "cream_env": Environment.LIVE,
        "cream_db_url": f"file:{tmp_path / 'live.db'}",
        "alpaca_key": KEY,
        "alpaca_secret": SECRET,
        "cream_live_confirm": "LIVE",
        "alpaca_base_url": "https://api.alpaca.markets",
    }
    base.update(fields)
    return Settings(**base)  # type: ignore[arg-type]


async def test_live_engine_refuses_to_start_under_tests(tmp_path):
    with pytest.raises(LiveRefusedError) as caught:
        await start_engine(live(tmp_path), listen="127.0.0.1:0")
    assert caught.value.code == "LIVE_UNDER_TEST"


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"alpaca_key": None}, "LIVE_KEYS_MISSING"),
        ({"cream_live_confirm": None}, "LIVE_NOT_CONFIRMED"),
        ({"cream_live_confirm": "yes"}, "LIVE_NOT_CONFIRMED"),
        ({"alpaca_base_url": "http://127.0.0.1:9"}, "LIVE_ENDPOINT"),
        ({}, "LIVE_CONFIG_MISSING"),
    ],
)
async def test_each_live_precondition_is_refused_with_its_code(tmp_path, monkeypatch, fields, code):
    # Only the test-runner guard is lifted, to reach the refusal behind it; nothing starts.
    monkeypatch.delenv("PYTEST_CURRENT_TEST", raising=False)
    async with await Database.connect(f"file:{tmp_path / 'live.db'}") as db:
        with pytest.raises(LiveRefusedError) as caught:
            await check_live_preconditions(live(tmp_path, **fields), db)
    assert caught.value.code == code


async def test_lost_connection_mass_cancels_after_the_grace_period(fake: FakeAlpaca):
    fake.auto_fill = False
    broker = make_broker(fake)
    await broker.submit(engine_order("mc-1"))
    await broker.submit(engine_order("mc-2"))
    alerts: list[str] = []
    done = asyncio.Event()

    async def alert(message: str) -> None:
        alerts.append(message)
        done.set()

    monitor = ConnectionMonitor(broker.cancel_all, 0.05, alert)
    monitor.lost()
    await asyncio.wait_for(done.wait(), 5)
    assert {o["status"] for o in fake.state.orders.values()} == {"canceled"}
    assert "canceled 2 open order(s)" in alerts[0]


async def test_restored_connection_cancels_nothing(fake: FakeAlpaca):
    fake.auto_fill = False
    broker = make_broker(fake)
    await broker.submit(engine_order("mc-3"))

    async def alert(message: str) -> None:
        raise AssertionError(message)

    monitor = ConnectionMonitor(broker.cancel_all, 30.0, alert)
    monitor.lost()
    await monitor.restored()
    assert monitor.mass_cancels == 0
    assert {o["status"] for o in fake.state.orders.values()} == {"new"}
