"""The engine client's retry policy: which codes retry, how often, and with what backoff."""

from __future__ import annotations

import grpc
import pytest

from cream.engine.client import EngineCallError, EngineClient
from cream.engine.ids import derive_client_order_id
from cream.v1 import execution_pb2 as ex
from tests.cream.engine.plans import buy, plan


class RecordingSleep:
    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, delay: float) -> None:
        self.delays.append(delay)


async def test_unavailable_engine_is_retried_three_times_with_exponential_backoff(unused_tcp_port):
    sleep = RecordingSleep()
    client = EngineClient(f"127.0.0.1:{unused_tcp_port}", timeout=2, sleep=sleep)
    try:
        with pytest.raises(EngineCallError) as err:
            await client.get_account_state()
    finally:
        await client.close()
    assert err.value.status == grpc.StatusCode.UNAVAILABLE
    assert sleep.delays == [0.1, 0.2]


async def test_invalid_argument_is_not_retried(engine):
    sleep = RecordingSleep()
    client = EngineClient(engine.address, sleep=sleep)
    try:
        with pytest.raises(EngineCallError) as err:
            await client.check_constraints(plan(as_of=engine.clock.now()))
    finally:
        await client.close()
    assert err.value.status == grpc.StatusCode.INVALID_ARGUMENT
    assert sleep.delays == []


async def test_submit_without_client_order_id_is_refused_before_sending(engine):
    with pytest.raises(ValueError, match="client_order_id"):
        await engine.client.submit_order(ex.SubmitOrderRequest(decision=buy()))


def test_client_order_ids_are_stable_distinct_and_within_alpacas_limit():
    a = derive_client_order_id("cycle-1", "d1", 0)
    assert a == derive_client_order_id("cycle-1", "d1", 0)
    others = {
        derive_client_order_id("cycle-1", "d1", 1),
        derive_client_order_id("cycle-2", "d1", 0),
        derive_client_order_id("cycle-1", "d2", 0),
    }
    assert a not in others and len(others) == 3
    assert all(len(x) <= 48 for x in [a, *others])
