"""The order store: idempotency, environment isolation, exact decimals, lossless payloads."""

from __future__ import annotations

from datetime import timedelta

import pytest

from cream.clock import ManualClock
from cream.storage.database import Database
from cream.storage.errors import (
    ConstraintViolationError,
    DuplicateClientOrderIdError,
    DuplicateOrderIdError,
    EnvironmentMismatchError,
    InvalidRecordError,
    OrderNotFoundError,
)
from cream.storage.orders import OrderRepository
from cream.v1 import common_pb2 as common
from cream.v1 import execution_pb2 as ex
from tests.cream.storage.builders import make_fill, make_order


async def test_inserted_order_reads_back_identical_protobuf(paper: OrderRepository):
    order = make_order()
    order.legs.add(symbol="AAPL261218C00200000", side=common.ORDER_SIDE_BUY, ratio=1)
    order.reduce_only = True

    await paper.insert(order)

    assert await paper.get("ord-1") == order
    assert await paper.get_by_client_order_id("cyc-1:dec-1:0") == order


async def test_missing_order_reads_as_none(paper: OrderRepository):
    assert await paper.get("nope") is None
    assert await paper.get_by_client_order_id("nope") is None


async def test_duplicate_client_order_id_is_refused_and_names_the_existing_order(
    paper: OrderRepository,
):
    await paper.insert(make_order("ord-1", "cid-1"))

    with pytest.raises(DuplicateClientOrderIdError) as caught:
        await paper.insert(make_order("ord-2", "cid-1"))

    assert caught.value.code == "DUPLICATE_CLIENT_ORDER_ID"
    assert caught.value.existing_order_id == "ord-1"
    assert await paper.get("ord-2") is None


async def test_inserting_the_same_order_twice_is_reported_as_duplicate_client_order_id(
    paper: OrderRepository,
):
    await paper.insert(make_order("ord-1", "cid-1"))

    with pytest.raises(DuplicateClientOrderIdError) as caught:
        await paper.insert(make_order("ord-1", "cid-1"))

    assert caught.value.existing_order_id == "ord-1"


async def test_reused_order_id_with_new_client_order_id_is_refused(paper: OrderRepository):
    await paper.insert(make_order("ord-1", "cid-1"))

    with pytest.raises(DuplicateOrderIdError):
        await paper.insert(make_order("ord-1", "cid-2"))


async def test_paper_repository_never_sees_backtest_rows(db: Database):
    backtest = OrderRepository(db, "BACKTEST")
    paper = OrderRepository(db, "PAPER")
    await backtest.insert(make_order("ord-1", "cid-1", environment=common.ENVIRONMENT_BACKTEST))
    await backtest.add_fill(make_fill("fill-1", "ord-1"), "exec-1")

    assert await paper.get("ord-1") is None
    assert await paper.get_by_client_order_id("cid-1") is None
    assert await paper.list() == []
    assert await paper.list_open() == []
    assert await paper.fills("ord-1") == []
    assert await paper.exec_ids("ord-1") == frozenset()
    with pytest.raises(OrderNotFoundError):
        await paper.add_fill(make_fill("fill-2", "ord-1"), "exec-2")


async def test_same_ids_in_two_environments_do_not_collide(db: Database):
    backtest = OrderRepository(db, "BACKTEST")
    paper = OrderRepository(db, "PAPER")
    backtest_order = make_order("ord-1", "cid-1", environment=common.ENVIRONMENT_BACKTEST)
    paper_order = make_order("ord-1", "cid-1", environment=common.ENVIRONMENT_PAPER)

    await backtest.insert(backtest_order)
    await paper.insert(paper_order)

    assert await backtest.get("ord-1") == backtest_order
    assert await paper.get("ord-1") == paper_order


async def test_order_of_another_environment_is_refused(paper: OrderRepository):
    with pytest.raises(EnvironmentMismatchError, match="ENVIRONMENT_LIVE"):
        await paper.insert(make_order(environment=common.ENVIRONMENT_LIVE))
    with pytest.raises(EnvironmentMismatchError):
        await paper.insert(make_order(environment=common.ENVIRONMENT_UNSPECIFIED))


def test_unknown_environment_is_refused():
    with pytest.raises(InvalidRecordError, match="BACKTEST, PAPER, LIVE"):
        OrderRepository(None, "paper")  # type: ignore[arg-type]


async def test_decimals_round_trip_exactly_as_text(db: Database, paper: OrderRepository):
    order = make_order(quantity="12345678901234567890.123456789", limit_price="0.000000001")
    order.avg_fill_price = "189.1000"
    await paper.insert(order)

    row = await db.query_one(
        "SELECT quantity, limit_price, avg_fill_price, typeof(quantity) AS kind FROM orders"
    )

    assert row == {
        "quantity": "12345678901234567890.123456789",
        "limit_price": "0.000000001",
        "avg_fill_price": "189.1000",
        "kind": "text",
    }
    stored = await paper.get("ord-1")
    assert stored is not None
    assert stored.quantity == "12345678901234567890.123456789"
    assert stored.limit_price == "0.000000001"


@pytest.mark.parametrize(
    ("field", "value"),
    [("quantity", ""), ("quantity", "ten"), ("limit_price", "NaN"), ("cum_qty", "1e")],
)
async def test_malformed_decimal_is_refused(paper: OrderRepository, field: str, value: str):
    order = make_order()
    setattr(order, field, value)

    with pytest.raises(InvalidRecordError, match=field):
        await paper.insert(order)
    assert await paper.get("ord-1") is None


@pytest.mark.parametrize("field", ["status", "side", "order_type"])
async def test_unspecified_enum_is_refused(paper: OrderRepository, field: str):
    order = make_order()
    setattr(order, field, 0)

    with pytest.raises(InvalidRecordError, match=field):
        await paper.insert(order)


async def test_fills_are_idempotent_on_exec_id(paper: OrderRepository):
    await paper.insert(make_order())

    first = await paper.add_fill(make_fill("fill-1"), "exec-1")
    replay = await paper.add_fill(make_fill("fill-1"), "exec-1")
    second = await paper.add_fill(make_fill("fill-2", seconds=5), "exec-2")

    assert (first, replay, second) == (True, False, True)
    assert [fill.fill_id for fill in await paper.fills("ord-1")] == ["fill-1", "fill-2"]
    assert await paper.exec_ids("ord-1") == {"exec-1", "exec-2"}


async def test_fill_payload_round_trips_with_nanoseconds(paper: OrderRepository):
    await paper.insert(make_order())
    fill = make_fill(quantity="0.5", price="189.123456")

    await paper.add_fill(fill, "exec-1")

    assert await paper.fills("ord-1") == [fill]


async def test_fill_of_unknown_order_is_refused(paper: OrderRepository):
    with pytest.raises(OrderNotFoundError, match="store the order first"):
        await paper.add_fill(make_fill(order_id="ghost"), "exec-1")


async def test_update_replaces_state_and_keeps_created_at(
    db: Database, paper: OrderRepository, clock: ManualClock
):
    order = make_order()
    await paper.insert(order)
    clock.advance(timedelta(minutes=5))
    order.status = ex.ORDER_STATUS_ACCEPTED
    order.broker_order_id = "alpaca-77"

    await paper.update(order)

    assert await paper.get("ord-1") == order
    row = await db.query_one("SELECT broker_order_id, status, created_at, updated_at FROM orders")
    assert row == {
        "broker_order_id": "alpaca-77",
        "status": "ACCEPTED",
        "created_at": "2026-11-18T15:00:00.000000Z",
        "updated_at": "2026-11-18T15:05:00.000000Z",
    }


async def test_update_of_missing_order_is_refused(paper: OrderRepository):
    with pytest.raises(OrderNotFoundError):
        await paper.update(make_order())


async def test_update_cannot_change_client_order_id(paper: OrderRepository):
    await paper.insert(make_order("ord-1", "cid-1"))

    with pytest.raises(InvalidRecordError, match="cannot change"):
        await paper.update(make_order("ord-1", "cid-2"))
    stored = await paper.get("ord-1")
    assert stored is not None
    assert stored.client_order_id == "cid-1"


async def test_save_execution_inserts_then_updates_with_fills(paper: OrderRepository):
    order = make_order()
    created = await paper.save_execution(order, None, "exec-pending")
    order.status = ex.ORDER_STATUS_PARTIALLY_FILLED
    order.cum_qty = "4"
    filled = await paper.save_execution(order, make_fill("fill-1"), "exec-1")
    replayed = await paper.save_execution(order, make_fill("fill-1"), "exec-1")

    assert (created.order_created, created.fill_added) == (True, False)
    assert (filled.order_created, filled.fill_added) == (False, True)
    assert (replayed.order_created, replayed.fill_added) == (False, False)
    assert await paper.get("ord-1") == order
    assert len(await paper.fills("ord-1")) == 1


async def test_save_execution_is_atomic_when_the_fill_is_refused(paper: OrderRepository):
    await paper.insert(make_order("ord-1", "cid-1"))
    await paper.add_fill(make_fill("fill-1", "ord-1"), "exec-1")
    new_order = make_order("ord-2", "cid-2")
    clashing_fill = make_fill("fill-1", "ord-2")  # fill ids are unique per environment

    with pytest.raises(ConstraintViolationError, match="fill_id"):
        await paper.save_execution(new_order, clashing_fill, "exec-9")

    assert await paper.get("ord-2") is None


async def test_save_execution_refuses_duplicate_client_order_id(paper: OrderRepository):
    await paper.insert(make_order("ord-1", "cid-1"))

    with pytest.raises(DuplicateClientOrderIdError):
        await paper.save_execution(make_order("ord-2", "cid-1"), make_fill("f", "ord-2"), "e")
    assert await paper.fills("ord-2") == []


async def test_save_execution_refuses_fill_of_another_order(paper: OrderRepository):
    with pytest.raises(InvalidRecordError, match="not 'ord-1'"):
        await paper.save_execution(make_order("ord-1"), make_fill("f", "ord-2"), "e")


async def test_list_open_excludes_terminal_orders_oldest_first(
    paper: OrderRepository, clock: ManualClock
):
    statuses = [
        ex.ORDER_STATUS_ACCEPTED,
        ex.ORDER_STATUS_FILLED,
        ex.ORDER_STATUS_PARTIALLY_FILLED,
        ex.ORDER_STATUS_CANCELED,
        ex.ORDER_STATUS_REJECTED,
        ex.ORDER_STATUS_EXPIRED,
        ex.ORDER_STATUS_PENDING_NEW,
    ]
    for index, status in enumerate(statuses):
        await paper.insert(make_order(f"ord-{index}", f"cid-{index}", status=status))
        clock.advance(timedelta(seconds=1))

    open_ids = [order.order_id for order in await paper.list_open()]

    assert open_ids == ["ord-0", "ord-2", "ord-6"]


async def test_list_pages_newest_first_and_filters(paper: OrderRepository, clock: ManualClock):
    for index in range(5):
        symbol = "AAPL" if index % 2 == 0 else "MSFT"
        status = ex.ORDER_STATUS_FILLED if index < 2 else ex.ORDER_STATUS_NEW
        await paper.insert(make_order(f"ord-{index}", f"cid-{index}", symbol=symbol, status=status))
        clock.advance(timedelta(seconds=1))

    def ids(orders: list[ex.Order]) -> list[str]:
        return [order.order_id for order in orders]

    assert ids(await paper.list(limit=2)) == ["ord-4", "ord-3"]
    assert ids(await paper.list(limit=2, offset=2)) == ["ord-2", "ord-1"]
    assert ids(await paper.list(symbol="AAPL")) == ["ord-4", "ord-2", "ord-0"]
    assert ids(await paper.list(status=ex.ORDER_STATUS_FILLED)) == ["ord-1", "ord-0"]
    assert ids(await paper.list(symbol="MSFT", status=ex.ORDER_STATUS_NEW)) == ["ord-3"]


@pytest.mark.parametrize(("limit", "offset"), [(0, 0), (1001, 0), (10, -1)])
async def test_list_refuses_out_of_range_pages(paper: OrderRepository, limit: int, offset: int):
    with pytest.raises(InvalidRecordError, match="page limit"):
        await paper.list(limit=limit, offset=offset)
