"""How an approved decision is executed: one priced order, or a slice schedule from the core.

The decision names a tactic (seed 001); the engine owns its parameters (``TacticDefaults``).
PASSIVE_LIMIT and AGGRESSIVE_LIMIT become one limit order priced at the current touch by the
core's rule; TWAP, VWAP and ICEBERG become a schedule of children; ADAPTIVE lets the core pick
one of the others from the order's size, the spread and the urgency. A decision's own limit
price is a cap: no order or child is ever priced worse than it. Stop and stop-limit orders
and option orders are not repriced: they go out as decided, and cannot be sliced.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from decimal import ROUND_FLOOR, Decimal
from zoneinfo import ZoneInfo

from cream.engine.core import (
    ChildPricing,
    SliceSchedule,
    TacticParams,
    Urgency,
    child_limit_price,
    slice_schedule,
)
from cream.engine.errors import FailedPreconditionError, InvalidArgumentError
from cream.market.bars import Timeframe
from cream.market.feed import DataUnavailable, MarketFeed
from cream.v1 import common_pb2 as common
from cream.v1 import decision_pb2 as decision
from cream.v1 import execution_pb2 as ex

NEW_YORK = ZoneInfo("America/New_York")
SINGLE_ORDER = frozenset(
    {common.EXECUTION_TACTIC_PASSIVE_LIMIT, common.EXECUTION_TACTIC_AGGRESSIVE_LIMIT}
)
_URGENCY = {
    common.TIME_HORIZON_INTRADAY: Urgency.HIGH,
    common.TIME_HORIZON_SWING: Urgency.NORMAL,
    common.TIME_HORIZON_POSITION: Urgency.LOW,
}


@dataclass(frozen=True)
class TacticDefaults:
    """The engine's parameters of each tactic (a decision chooses the tactic, not these).

    Attributes:
        aggression_bps: How far beyond the far touch an aggressive order may be priced.
        twap_duration: Over how long a TWAP releases its children.
        twap_slices: TWAP child count (fewer when the order has fewer shares).
        jitter_pct: TWAP/VWAP release-time jitter (seeded by the parent's id).
        vwap_hours: VWAP horizon, in hourly buckets of the feed's volume profile.
        participation_cap: VWAP children stay within this share of their bucket's volume.
        volume_days: Sessions of history the volume profile and average volume come from.
        iceberg_parts: An iceberg shows about 1/parts of the order per peak.
        child_pricing: How sliced children are priced when released.
    """

    aggression_bps: Decimal = Decimal(5)
    twap_duration: timedelta = timedelta(minutes=30)
    twap_slices: int = 6
    jitter_pct: int = 10
    vwap_hours: int = 2
    participation_cap: Decimal = Decimal("0.10")
    volume_days: int = 20
    iceberg_parts: int = 5
    child_pricing: ChildPricing = ChildPricing.AGGRESSIVE


@dataclass(frozen=True)
class SinglePlan:
    """One order. ``limit_price`` None: sent exactly as the decision says (not repriced)."""

    tactic: common.ExecutionTactic.ValueType
    limit_price: Decimal | None
    reason: str


@dataclass(frozen=True)
class SlicedPlan:
    """A parent whose children the engine releases over time."""

    schedule: SliceSchedule


def schedule_seed(parent: str) -> int:
    """A 64-bit jitter seed fixed by the parent's client order id (a resume replans identically)."""
    return int.from_bytes(hashlib.sha256(f"tactic-seed:{parent}".encode()).digest()[:8], "big")


def cap_price(side: common.OrderSide.ValueType, price: Decimal, cap: Decimal | None) -> Decimal:
    """``price``, but never worse than the decision's own limit ``cap`` (when it has one)."""
    if cap is None:
        return price
    return min(price, cap) if side == common.ORDER_SIDE_BUY else max(price, cap)


def decision_cap(d: decision.Decision) -> Decimal | None:
    """The decision's limit price when it is a LIMIT order, else None."""
    plan = d.order_plan
    if plan.order_type == common.ORDER_TYPE_LIMIT and plan.limit_price:
        return Decimal(plan.limit_price)
    return None


def _repriceable(d: decision.Decision) -> bool:
    instrument = d.instrument
    return (
        instrument.instrument_type == common.INSTRUMENT_TYPE_EQUITY
        and not instrument.legs
        and d.order_plan.order_type in (common.ORDER_TYPE_MARKET, common.ORDER_TYPE_LIMIT)
    )


async def _touch(feed: MarketFeed, symbol: str, now: datetime) -> tuple[Decimal, Decimal]:
    quote = (await feed.latest_quotes([symbol], now)).quotes.get(symbol)
    if quote is None or not quote.bid or not quote.ask:
        raise FailedPreconditionError(
            f"no quote for {symbol} to price the order by its tactic; retry when the feed has one",
            code="NO_QUOTE",
        )
    return Decimal(quote.bid), Decimal(quote.ask)


async def plan_execution(
    request: ex.SubmitOrderRequest,
    check: ex.DecisionCheck,
    *,
    feed: MarketFeed,
    now: datetime,
    seed: int,
    defaults: TacticDefaults,
) -> SinglePlan | SlicedPlan:
    """How ``request`` (approved as ``check``: side and resolved quantity) is executed.

    Raises:
        InvalidArgumentError: TACTIC_NOT_SUPPORTED (a sliced tactic on an option or stop
            order), or the core's code for inputs a tactic cannot use.
        FailedPreconditionError: NO_QUOTE, NO_VOLUME_HISTORY, or the core's
            PARTICIPATION_SHORTFALL (the volume cannot absorb the order under the cap).
    """
    d = request.decision
    tactic = d.order_plan.execution_tactic
    name = common.ExecutionTactic.Name(tactic)
    if not _repriceable(d):
        if tactic in SINGLE_ORDER:
            return SinglePlan(tactic, None, f"{name}: sent as decided (not an equity limit)")
        raise InvalidArgumentError(
            f"decision {d.decision_id}: {name} slices equity market or limit orders only; use "
            "PASSIVE_LIMIT or AGGRESSIVE_LIMIT for option and stop orders",
            code="TACTIC_NOT_SUPPORTED",
        )
    side = check.side
    symbol = d.instrument.symbol
    bid, ask = await _touch(feed, symbol, now)
    cap = decision_cap(d)
    if tactic in SINGLE_ORDER:
        pricing = (
            ChildPricing.PASSIVE
            if tactic == common.EXECUTION_TACTIC_PASSIVE_LIMIT
            else ChildPricing.AGGRESSIVE
        )
        price = child_limit_price(side, pricing, bid, ask, defaults.aggression_bps)
        return SinglePlan(tactic, cap_price(side, price, cap), f"{name} at {bid}/{ask}")
    params = await _params(tactic, d, Decimal(check.quantity), feed, now, seed, defaults)
    schedule = slice_schedule(
        tactic, side, Decimal(check.quantity), now, replace(params, bid=bid, ask=ask)
    )
    if schedule.tactic in SINGLE_ORDER:
        first = schedule.slices[0]
        price = first.limit_price or child_limit_price(
            side, first.pricing, bid, ask, defaults.aggression_bps
        )
        return SinglePlan(schedule.tactic, cap_price(side, price, cap), schedule.reason)
    return SlicedPlan(schedule)


async def _params(
    tactic: common.ExecutionTactic.ValueType,
    d: decision.Decision,
    quantity: Decimal,
    feed: MarketFeed,
    now: datetime,
    seed: int,
    defaults: TacticDefaults,
) -> TacticParams:
    symbol = d.instrument.symbol
    base = TacticParams(
        aggression_bps=defaults.aggression_bps,
        duration=defaults.twap_duration,
        slices=defaults.twap_slices,
        jitter_pct=defaults.jitter_pct,
        seed=seed,
        participation_cap=defaults.participation_cap,
        child_pricing=defaults.child_pricing,
    )
    if tactic == common.EXECUTION_TACTIC_TWAP:
        return base
    if tactic == common.EXECUTION_TACTIC_ICEBERG:
        share = (quantity / defaults.iceberg_parts).to_integral_value(rounding=ROUND_FLOOR)
        return replace(base, peak=max(Decimal(1), share))
    vwap_duration = timedelta(hours=defaults.vwap_hours)
    if tactic == common.EXECUTION_TACTIC_VWAP:
        profile = await _profile(feed, symbol, now, defaults, required=True)
        return replace(base, duration=vwap_duration, volume_profile=profile)
    if tactic == common.EXECUTION_TACTIC_ADAPTIVE:
        profile = await _profile(feed, symbol, now, defaults, required=False)
        return replace(
            base,
            # A VWAP choice runs over the profile's hours; TWAP keeps its own duration.
            duration=vwap_duration if any(profile) else defaults.twap_duration,
            volume_profile=profile,
            urgency=_URGENCY.get(d.time_horizon, Urgency.NORMAL),
            average_volume=await _average_volume(feed, symbol, now, defaults),
        )
    raise InvalidArgumentError(
        f"execution tactic {tactic} is not one the engine runs", code="UNKNOWN_TACTIC"
    )


async def _profile(
    feed: MarketFeed, symbol: str, now: datetime, defaults: TacticDefaults, *, required: bool
) -> tuple[Decimal, ...]:
    try:
        return await volume_profile(
            feed, symbol, start=now, buckets=defaults.vwap_hours, days=defaults.volume_days
        )
    except DataUnavailable as exc:
        if not required:
            return ()
        raise FailedPreconditionError(
            f"VWAP needs hourly volume history for {symbol}: {exc}", code="NO_VOLUME_HISTORY"
        ) from exc


async def _average_volume(
    feed: MarketFeed, symbol: str, now: datetime, defaults: TacticDefaults
) -> Decimal:
    try:
        bars = await feed.bars(symbol, Timeframe.DAY_1, end=now, limit=defaults.volume_days)
    except DataUnavailable as exc:
        raise FailedPreconditionError(
            f"ADAPTIVE measures the order against {symbol}'s average daily volume, which the "
            f"feed does not have: {exc}",
            code="NO_VOLUME_HISTORY",
        ) from exc
    volumes = [Decimal(str(round(float(v)))) for v in bars.volume]
    if not volumes or sum(volumes) <= 0:
        raise FailedPreconditionError(
            f"{symbol} has no daily volume in the feed's last {defaults.volume_days} sessions",
            code="NO_VOLUME_HISTORY",
        )
    return sum(volumes, Decimal(0)) / len(volumes)


async def volume_profile(
    feed: MarketFeed, symbol: str, *, start: datetime, buckets: int, days: int = 20
) -> tuple[Decimal, ...]:
    """Expected volume of the next ``buckets`` hours from ``start``: the mean of each New York
    clock hour over the last ``days`` sessions of the feed's hourly bars.

    Hours with no history get zero volume (VWAP then puts nothing there); a feed without
    bars raises its ``DataUnavailable``, and an all-zero profile is refused by the core
    (``EMPTY_VOLUME_PROFILE``): VWAP never runs on an invented profile.
    """
    if buckets <= 0 or days <= 0:
        raise InvalidArgumentError("buckets and days must be positive", code="INVALID_ARGUMENT")
    bars = await feed.bars(symbol, Timeframe.HOUR_1, end=start, limit=days * 8)
    totals: dict[int, Decimal] = {}
    counts: dict[int, int] = {}
    for bar in bars:
        hour = bar.timestamp.astimezone(NEW_YORK).hour
        totals[hour] = totals.get(hour, Decimal(0)) + Decimal(str(round(bar.volume)))
        counts[hour] = counts.get(hour, 0) + 1
    first = start.astimezone(NEW_YORK)
    hours = [(first + timedelta(hours=k)).hour for k in range(buckets)]
    return tuple(totals[h] / counts[h] if h in counts else Decimal(0) for h in hours)
