"""Slice schedules through the PyO3 boundary: typed results, typed errors, determinism."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cream.engine.core import (
    ChildPricing,
    Release,
    TacticParams,
    Urgency,
    child_limit_price,
    slice_schedule,
)
from cream.engine.errors import FailedPreconditionError, InvalidArgumentError
from cream.engine.ids import derive_client_order_id
from cream.engine.tactics import child_client_order_id, schedule_seed
from cream.v1 import common_pb2 as c

START = datetime(2026, 11, 18, 15, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)
BID, ASK = Decimal("100.00"), Decimal("100.04")


def test_twap_schedule_is_typed_and_spread_over_the_window():
    params = TacticParams(bid=BID, ask=ASK, duration=HOUR, slices=4, jitter_pct=20, seed=11)
    s = slice_schedule(c.EXECUTION_TACTIC_TWAP, c.ORDER_SIDE_BUY, Decimal(103), START, params)
    assert s.tactic == c.EXECUTION_TACTIC_TWAP and s.side == c.ORDER_SIDE_BUY
    assert [x.quantity for x in s.slices] == [Decimal(25), Decimal(26), Decimal(26), Decimal(26)]
    assert s.total == Decimal(103)
    assert s.slices[0].release_at == START
    assert all(START <= x.release_at < START + HOUR for x in s.slices)
    assert all(x.release == Release.AT_TIME for x in s.slices)
    # ask + 5 bps, rounded down to the cent: the cap is never exceeded.
    assert {x.limit_price for x in s.slices} == {Decimal("100.09")}


def test_same_seed_same_times_other_seed_other_times_same_quantities():
    def times(seed: int) -> tuple[list[datetime], list[Decimal]]:
        p = TacticParams(duration=HOUR, slices=6, jitter_pct=40, seed=seed)
        s = slice_schedule(c.EXECUTION_TACTIC_TWAP, c.ORDER_SIDE_SELL, Decimal(60), START, p)
        return [x.release_at for x in s.slices], [x.quantity for x in s.slices]

    assert times(1) == times(1)
    assert times(1)[1] == times(2)[1]
    assert times(1)[0] != times(2)[0]


def test_vwap_shortfall_is_a_failed_precondition_carrying_the_shortfall():
    params = TacticParams(
        duration=HOUR,
        volume_profile=(Decimal(1000), Decimal(10000)),
        participation_cap=Decimal("0.02"),
    )
    with pytest.raises(FailedPreconditionError) as err:
        slice_schedule(c.EXECUTION_TACTIC_VWAP, c.ORDER_SIDE_BUY, Decimal(300), START, params)
    assert err.value.code == "PARTICIPATION_SHORTFALL"
    assert err.value.details == {"shortfall": "80"}


@pytest.mark.parametrize(
    ("tactic", "quantity", "params", "code"),
    [
        (c.EXECUTION_TACTIC_UNSPECIFIED, "10", TacticParams(), "UNKNOWN_TACTIC"),
        (c.EXECUTION_TACTIC_TWAP, "0", TacticParams(duration=HOUR, slices=2), "INVALID_QUANTITY"),
        (c.EXECUTION_TACTIC_TWAP, "10", TacticParams(slices=2), "INVALID_DURATION"),
        (c.EXECUTION_TACTIC_VWAP, "10", TacticParams(duration=HOUR), "EMPTY_VOLUME_PROFILE"),
        (
            c.EXECUTION_TACTIC_VWAP,
            "10",
            TacticParams(duration=HOUR, volume_profile=(Decimal(5),), participation_cap=Decimal(0)),
            "INVALID_PARTICIPATION_CAP",
        ),
        (c.EXECUTION_TACTIC_ICEBERG, "10", TacticParams(), "INVALID_PEAK"),
        (c.EXECUTION_TACTIC_PASSIVE_LIMIT, "10", TacticParams(), "MISSING_QUOTE"),
        (c.EXECUTION_TACTIC_TWAP, "10", TacticParams(seed=-1), "INVALID_ARGUMENT"),
        (c.EXECUTION_TACTIC_TWAP, "1E+1", TacticParams(duration=HOUR, slices=20), None),
    ],
)
def test_bad_requests_raise_invalid_argument_with_the_cores_code(tactic, quantity, params, code):
    if code is None:  # exponent notation is accepted by the facade and sent as plain digits
        s = slice_schedule(tactic, c.ORDER_SIDE_BUY, Decimal(quantity), START, params)
        assert s.total == Decimal(10)
        return
    with pytest.raises(InvalidArgumentError) as err:
        slice_schedule(tactic, c.ORDER_SIDE_BUY, Decimal(quantity), START, params)
    assert err.value.code == code


def test_adaptive_says_what_it_picked_and_why():
    params = TacticParams(
        bid=Decimal("100.00"),
        ask=Decimal("100.50"),
        urgency=Urgency.LOW,
        average_volume=Decimal(1_000_000),
    )
    s = slice_schedule(c.EXECUTION_TACTIC_ADAPTIVE, c.ORDER_SIDE_BUY, Decimal(100), START, params)
    assert s.requested == c.EXECUTION_TACTIC_ADAPTIVE
    assert s.tactic == c.EXECUTION_TACTIC_PASSIVE_LIMIT
    assert s.reason.startswith("ADAPTIVE chose PASSIVE_LIMIT")
    assert "spread 49.88 bps" in s.reason
    assert s.slices[0].limit_price == Decimal("100.00")


def test_child_prices_follow_the_cores_rule():
    bid, ask = Decimal("99.98"), Decimal("100.02")
    assert child_limit_price(c.ORDER_SIDE_BUY, ChildPricing.PASSIVE, bid, ask, Decimal(0)) == bid
    assert child_limit_price(c.ORDER_SIDE_SELL, ChildPricing.PASSIVE, bid, ask, Decimal(0)) == ask
    sell = child_limit_price(c.ORDER_SIDE_SELL, ChildPricing.AGGRESSIVE, bid, ask, Decimal(10))
    assert sell == Decimal("99.89")  # 99.98 - 10 bps = 99.88002, rounded up towards the bid
    with pytest.raises(InvalidArgumentError) as err:
        child_limit_price(c.ORDER_SIDE_BUY, ChildPricing.PASSIVE, ask, bid, Decimal(0))
    assert err.value.code == "INVALID_QUOTE"


def test_child_ids_are_derived_unique_and_within_alpacas_limit():
    parent = derive_client_order_id("cycle-2026-11-18T15", "decision-7", 3)
    ids = [child_client_order_id(parent, k) for k in range(120)]
    assert len(set(ids)) == 120 and all(len(i) <= 48 for i in ids)
    assert child_client_order_id("p-1", 2) == "p-1-s2"
    assert ids == [child_client_order_id(parent, k) for k in range(120)]
    assert schedule_seed(parent) == schedule_seed(parent) != schedule_seed("p-1")


@given(
    units=st.integers(1, 100_000),
    slices=st.integers(1, 50),
    tactic=st.sampled_from([c.EXECUTION_TACTIC_TWAP, c.EXECUTION_TACTIC_ICEBERG]),
    seed=st.integers(0, 2**64 - 1),
)
def test_children_always_add_up_to_the_parent(units, slices, tactic, seed):
    qty = Decimal(units)
    params = TacticParams(
        duration=HOUR, slices=slices, jitter_pct=50, seed=seed, peak=Decimal(max(1, units // 7))
    )
    s = slice_schedule(tactic, c.ORDER_SIDE_BUY, qty, START, params)
    assert s.total == qty
    assert all(x.quantity > 0 for x in s.slices)
