"""The harness's engine in a process of its own (what the cycle benchmark measures with)."""

from __future__ import annotations

from pathlib import Path

from tests.workflows.harness import EngineProcess, start_harness
from workflows.trading_cycle.contract import CycleRequest


async def test_a_cycle_trades_against_an_engine_in_its_own_process(tmp_path: Path) -> None:
    harness = await start_harness(tmp_path, symbols=("NVDA",), separate_engine=True)
    engine = harness.runtime
    assert isinstance(engine, EngineProcess)
    try:
        result = await harness.runner().run(CycleRequest(symbols=("NVDA",), provider="rules"))
        assert result.status == "completed"
        executed = [d for d in result.decisions if d["status"] == "executed"]
        assert executed, result.decisions
        state = await harness.engine.get_order_state(client_order_id=executed[0]["client_order_id"])
        assert state.order.symbol == "NVDA"
    finally:
        await harness.close()
    assert not engine._process.is_alive()
    assert engine._process.exitcode == 0
