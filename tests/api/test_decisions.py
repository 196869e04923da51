"""Decisions: pagination and filters over stored rows; the detail with everything behind it."""

from __future__ import annotations

from cream.clock import ManualClock
from cream.storage.agent_outputs import AgentOutputRecord, AgentOutputRepository
from cream.storage.consensus_rounds import ConsensusRoundRecord, ConsensusRoundRepository
from cream.storage.decisions import DecisionLineage, DecisionRepository
from cream.storage.orders import OrderRepository
from cream.v1 import common_pb2 as common
from tests.api.harness import AUTH, assert_error_shape, make_decision, tick
from tests.cream.storage.builders import make_order


async def _store(api, clock: ManualClock, count: int) -> list[str]:
    """`count` decisions one second apart: symbols alternate AAPL/MSFT, every third is SELL."""
    repo = DecisionRepository(api.db, "PAPER", clock=clock)
    ids = []
    for n in range(count):
        symbol = "AAPL" if n % 2 == 0 else "MSFT"
        action = common.ACTION_SELL if n % 3 == 0 else common.ACTION_BUY
        decision_id = f"dec-{n:03d}"
        await repo.insert(
            make_decision(decision_id, symbol=symbol, action=action),
            cycle_id=f"cyc-{n // 5}",
            status="approved" if n % 2 else "rejected",
            lineage=DecisionLineage(config_version=1, model="rules"),
            metadata={"constraints": [{"code": "OK", "passed": True}]} if n == 0 else {},
        )
        ids.append(decision_id)
        tick(clock)
    return ids


async def test_cursor_pages_walk_every_decision_newest_first_without_repeats(api, clock):
    ids = await _store(api, clock, 23)
    seen: list[str] = []
    cursor = None
    while True:
        query = {"limit": 10, **({"cursor": cursor} if cursor else {})}
        page = (await api.http.get("/api/decisions", params=query, headers=AUTH)).json()
        seen += [d["decision_id"] for d in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break

    assert seen == list(reversed(ids))


async def test_offset_pagination_and_cursor_together_is_422(api, clock):
    ids = await _store(api, clock, 5)
    page = (await api.http.get("/api/decisions?limit=2&offset=2", headers=AUTH)).json()
    assert [d["decision_id"] for d in page["items"]] == [ids[2], ids[1]]

    both = await api.http.get("/api/decisions?offset=1&cursor=abc", headers=AUTH)
    assert_error_shape(both, 422, "CURSOR_WITH_OFFSET")
    garbage = await api.http.get("/api/decisions?cursor=%%%", headers=AUTH)
    assert_error_shape(garbage, 422, "INVALID_CURSOR")


async def test_filters_combine(api, clock):
    ids = await _store(api, clock, 12)

    def listed(**params):
        return api.http.get("/api/decisions", params=params, headers=AUTH)

    msft_sells = (await listed(symbol="msft", action="sell")).json()["items"]
    assert [d["decision_id"] for d in msft_sells] == ["dec-009", "dec-003"]
    by_cycle = (await listed(cycle_id="cyc-1", status="approved")).json()["items"]
    assert [d["decision_id"] for d in by_cycle] == ["dec-009", "dec-007", "dec-005"]
    window = (
        await listed(**{"from": "2026-11-18T15:00:02Z", "to": "2026-11-18T15:00:04Z"})
    ).json()["items"]
    assert [d["decision_id"] for d in window] == [ids[3], ids[2]]
    assert_error_shape(await listed(action="YOLO"), 422, "INVALID_ACTION")
    assert_error_shape(await listed(status="maybe"), 422, "VALIDATION_FAILED")
    assert_error_shape(await listed(**{"from": "2026-11-18T15:00:02"}), 422, "NAIVE_TIMESTAMP")


async def test_the_detail_has_every_agent_output_round_constraint_and_order(api, clock):
    await _store(api, clock, 1)
    outputs = AgentOutputRepository(api.db, "PAPER", clock=clock)
    for agent, symbol, round_ in (
        ("technical_analyst", "AAPL", 0),
        ("trader", "", 1),
        ("risk_manager", "", 1),
        ("trader", "", 2),
    ):
        await outputs.insert(
            AgentOutputRecord(
                id=f"{agent}-{round_}",
                cycle_id="cyc-0",
                agent=agent,
                symbol=symbol,
                round=round_,
                output={"agent": agent},
            )
        )
    rounds = ConsensusRoundRepository(api.db, "PAPER", clock=clock)
    for number, approved in ((1, False), (2, True)):
        await rounds.insert(
            ConsensusRoundRecord(
                id=f"r{number}",
                cycle_id="cyc-0",
                round=number,
                plan={"decisions": []},
                verdicts=[{"approver": "critic", "approved": approved}],
                approved=approved,
            )
        )
    order = make_order("ord-1", "cyc-0:dec-000:0")
    order.cycle_id, order.decision_id = "cyc-0", "dec-000"
    await OrderRepository(api.db, "PAPER", clock=clock).insert(order)

    detail = (await api.http.get("/api/decisions/dec-000", headers=AUTH)).json()

    assert detail["summary"]["symbol"] == "AAPL"
    assert detail["decision"]["decision_id"] == "dec-000"
    assert len(detail["agent_outputs"]) == 4
    assert [r["round"] for r in detail["rounds"]] == [1, 2]
    assert detail["rounds"][1]["approved"] is True
    assert detail["constraints"] == [{"code": "OK", "passed": True}]
    assert [o["order_id"] for o in detail["orders"]] == ["ord-1"]
    assert detail["orders"][0]["limit_price"] == "189.25"


async def test_an_unknown_decision_is_404(api):
    assert_error_shape(
        await api.http.get("/api/decisions/missing", headers=AUTH), 404, "DECISION_NOT_FOUND"
    )


async def test_orders_filter_by_decision_and_status(api, clock):
    repo = OrderRepository(api.db, "PAPER", clock=clock)
    first = make_order("ord-1", "c:d1:0")
    second = make_order("ord-2", "c:d2:0", symbol="MSFT")
    second.decision_id = "dec-2"
    await repo.insert(first)
    tick(clock)
    await repo.insert(second)

    everything = (await api.http.get("/api/orders", headers=AUTH)).json()["items"]
    assert [o["order_id"] for o in everything] == ["ord-2", "ord-1"]
    msft = (await api.http.get("/api/orders?symbol=MSFT&status=NEW", headers=AUTH)).json()
    assert [o["order_id"] for o in msft["items"]] == ["ord-2"]
    assert_error_shape(
        await api.http.get("/api/orders?status=SHINY", headers=AUTH), 422, "INVALID_STATUS"
    )
