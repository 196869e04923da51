"""Crash-resume exactly once, interruption at a checkpoint, and the graph's pinned topology."""

from __future__ import annotations

import asyncio
import json
import operator
import os
import subprocess
import sys
from pathlib import Path
from typing import Annotated, Any, TypedDict

import pytest
from langgraph.graph import END, START, StateGraph
from langgraph.types import Send

from tests.workflows.harness import CycleHarness
from workflows.trading_cycle.checkpoints import open_checkpointer
from workflows.trading_cycle.contract import CycleRequest
from workflows.trading_cycle.graph import compiled_graph, unknown_steps
from workflows.trading_cycle.runner import CycleSetupError

ROOT = Path(__file__).resolve().parents[2]
THREE_TRADES = "SPY,AAPL,NVDA"


async def _orders(harness: CycleHarness, cycle_id: str) -> list[str]:
    rows = await harness.db.query(
        "SELECT client_order_id FROM orders WHERE cycle_id = ? ORDER BY client_order_id",
        (cycle_id,),
    )
    return [str(r["client_order_id"]) for r in rows]


async def test_a_cycle_killed_after_its_first_order_resumes_without_a_second_copy(
    harness: CycleHarness,
) -> None:
    cycle_id = "c-crash-resume"
    checkpoints = harness.tmp / "checkpoints.sqlite"
    child = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.workflows.crash_cycle",
        f"127.0.0.1:{harness.runtime.port}",
        harness.settings.cream_db_url,
        str(checkpoints),
        cycle_id,
        THREE_TRADES,
        cwd=ROOT,
        stderr=asyncio.subprocess.PIPE,
    )
    _, err = await asyncio.wait_for(child.communicate(), timeout=120)
    assert child.returncode == 137, err.decode()
    assert len(await _orders(harness, cycle_id)) == 1
    result = await harness.runner().run(CycleRequest(cycle_id=cycle_id, provider="rules"))
    assert result.status == "completed"
    executed = [d for d in result.decisions if d["status"] == "executed"]
    assert len(executed) == 3
    orders = await _orders(harness, cycle_id)
    assert len(orders) == 3 and len(set(orders)) == 3
    assert sorted(d["client_order_id"] for d in executed) == orders
    duplicates = [o for o in result.orders if o.get("duplicate")]
    assert len(duplicates) == 1


async def test_a_stop_request_interrupts_at_a_checkpoint_and_the_cycle_resumes(
    harness: CycleHarness,
) -> None:
    stop = asyncio.Event()
    runner = harness.runner()

    async def progress(update: Any) -> None:
        if update.stage == "research" and update.state == "started":
            stop.set()

    first = await runner.run(
        CycleRequest(symbols=("NVDA",), provider="rules"), stop=stop, progress=progress
    )
    assert first.status == "interrupted"
    row = await harness.db.query_one("SELECT status FROM cycles WHERE id = ?", (first.cycle_id,))
    assert row is not None and row["status"] == "running"
    second = await runner.run(CycleRequest(cycle_id=first.cycle_id, provider="rules"))
    assert second.status == "completed"
    assert [d["symbol"] for d in second.decisions] == ["NVDA"]
    analysts = [r for r in harness.provider.requests if r.agent == "technical_analyst"]
    assert len(analysts) == 1, "a resumed cycle does not repeat finished steps"


def test_graph_topology_is_pinned_by_its_mermaid_drawing() -> None:
    drawing = compiled_graph().get_graph().draw_mermaid()
    pinned = Path(__file__).with_name("trading_cycle.mmd")
    if os.environ.get("CREAM_UPDATE_SNAPSHOTS") == "1":
        pinned.write_text(drawing)
    assert drawing == pinned.read_text(), "the graph changed: review, then update the snapshot"


def test_cream_cycle_json_runs_offline_and_starts_its_own_engine(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "CREAM_DB_URL": f"file:{tmp_path / 'cream.db'}",
        "CREAM_ENGINE_ADDR": "127.0.0.1:1",
        "CREAM_ENV": "PAPER",
    }
    for key in ("GOOGLE_API_KEY", "ANTHROPIC_API_KEY", "ALPACA_KEY", "ALPACA_SECRET"):
        env.pop(key, None)
    seeded = subprocess.run(
        [sys.executable, "-m", "cream.cli", "db", "seed"], env=env, cwd=tmp_path, check=False
    )
    assert seeded.returncode == 0
    done = subprocess.run(
        [sys.executable, "-m", "cream.cli", "cycle", "--json", "--symbols", "NVDA,TSLA"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert done.returncode in (0, 1), done.stderr
    document = json.loads(done.stdout)
    assert document["status"] in ("completed", "failed")
    assert {"cycle_id", "status", "decisions", "rounds", "orders"} <= set(document)
    assert {d["symbol"] for d in document["decisions"]} == {"NVDA", "TSLA"}
    for d in document["decisions"]:
        assert {"symbol", "action", "status"} <= set(d)
        if d["action"] == "NO_TRADE":
            assert d["reason_code"]
    assert "starting a local engine" in done.stderr
    assert "[observe] completed" in done.stderr


async def test_the_checkpoint_store_closes_after_the_result_and_aclose_waits_for_it(
    harness: CycleHarness,
) -> None:
    runner = harness.runner()
    result = await runner.run(CycleRequest(symbols=("NVDA",), provider="rules"))
    assert result.status == "completed"
    wal = harness.tmp / "checkpoints.sqlite-wal"
    await runner.aclose()
    # The last connection closed: SQLite copied the WAL back into the file and removed it.
    assert not wal.exists()
    assert not runner._closing
    # A later run of the same runner resumes nothing and opens the store again.
    again = await runner.run(CycleRequest(cycle_id=result.cycle_id, provider="rules"))
    assert again.status == "completed" and again.cycle_id == result.cycle_id
    await runner.aclose()


class _Toy(TypedDict, total=False):
    n: Annotated[list[int], operator.add]


async def _toy_checkpoint(path: Path, thread: str, *, fan_out: bool) -> None:
    """A checkpoint of a graph with a step `analyst` that the cycle graph no longer has,
    stopped with work queued for it (a pending Send, or a plain edge)."""

    async def start(_state: _Toy) -> _Toy:
        return {"n": [1]}

    async def analyst(_state: _Toy) -> _Toy:
        return {"n": [2]}

    graph = StateGraph(_Toy)
    graph.add_node("start", start)  # type: ignore[call-overload]
    graph.add_node("analyst", analyst)  # type: ignore[call-overload]
    graph.add_edge(START, "start")
    if fan_out:
        graph.add_conditional_edges("start", lambda _s: [Send("analyst", {})], ["analyst"])
    else:
        graph.add_edge("start", "analyst")
    graph.add_edge("analyst", END)
    async with open_checkpointer(path) as saver:
        toy = graph.compile(checkpointer=saver, interrupt_before=["analyst"])
        await toy.ainvoke({"n": []}, {"configurable": {"thread_id": thread}})


@pytest.mark.parametrize("fan_out", [True, False])
async def test_a_checkpoint_with_work_for_a_step_the_graph_lost_is_refused(
    harness: CycleHarness, fan_out: bool
) -> None:
    cycle_id = f"c-old-topology-{fan_out}"
    await _toy_checkpoint(harness.tmp / "checkpoints.sqlite", cycle_id, fan_out=fan_out)
    async with open_checkpointer(harness.tmp / "checkpoints.sqlite") as saver:
        saved = await saver.aget_tuple({"configurable": {"thread_id": cycle_id}})
    assert saved is not None
    assert unknown_steps(saved, compiled_graph().nodes) == {"analyst"}
    assert unknown_steps(saved, {*compiled_graph().nodes, "analyst"}) == set()
    with pytest.raises(CycleSetupError) as refused:
        await harness.runner().run(CycleRequest(cycle_id=cycle_id, provider="rules"))
    assert refused.value.code == "CHECKPOINT_INCOMPATIBLE"
    assert "analyst" in refused.value.message
    assert harness.provider.requests == [], "nothing ran"


async def test_an_interrupted_cycle_of_this_graph_has_no_unknown_steps(
    harness: CycleHarness,
) -> None:
    stop = asyncio.Event()

    async def progress(update: Any) -> None:
        if update.stage == "research" and update.state == "started":
            stop.set()

    runner = harness.runner()
    first = await runner.run(
        CycleRequest(symbols=("NVDA", "SPY"), provider="rules"), stop=stop, progress=progress
    )
    assert first.status == "interrupted"
    await runner.aclose()
    async with open_checkpointer(harness.tmp / "checkpoints.sqlite") as saver:
        saved = await saver.aget_tuple({"configurable": {"thread_id": first.cycle_id}})
    assert saved is not None
    assert unknown_steps(saved, compiled_graph().nodes) == set()
    # A step that really ran under the old name is history, not queued work.
    assert unknown_steps(saved, set(compiled_graph().nodes) - {"observe"}) == set()
