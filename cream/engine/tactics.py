"""Run a slice schedule: child orders go through the engine's submission path at their times.

The schedule itself comes from the Rust core (``core.slice_schedule``). This module releases
its children: a time-released child goes out once the injected clock reaches its time, an
iceberg peak once the previous peak has filled. Each child is a normal SubmitOrder (risk
checked, persisted before it is sent) whose client order id is derived from the parent's
(``<parent>-s<k>``) and is looked up before anything is sent, so polling again after a crash
or restart never sends a child twice. A child is priced at the touch when it is released,
never worse than the parent decision's own limit.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from cream.clock import Clock
from cream.engine.core import ChildPricing, ChildSlice, Release, SliceSchedule, child_limit_price
from cream.engine.errors import FailedPreconditionError, InvalidArgumentError, NotFoundError
from cream.engine.service import ExecutionEngine
from cream.engine.tactic_plan import cap_price, decision_cap, schedule_seed, volume_profile
from cream.market.feed import MarketFeed
from cream.v1 import common_pb2 as common
from cream.v1 import decision_pb2 as decision
from cream.v1 import execution_pb2 as ex

__all__ = [
    "ChildState",
    "Progress",
    "ScheduleExecutor",
    "child_client_order_id",
    "clock_waiter",
    "schedule_seed",
    "volume_profile",
]

# Alpaca's client order id limit; the engine refuses longer ids.
_MAX_ID = 48
_TERMINAL = {
    ex.ORDER_STATUS_FILLED,
    ex.ORDER_STATUS_CANCELED,
    ex.ORDER_STATUS_REJECTED,
    ex.ORDER_STATUS_EXPIRED,
    ex.ORDER_STATUS_REPLACED,
}
# Gate codes that mean "not now" rather than "never": the child waits and is retried.
_RETRYABLE = {"BROKER_RECONCILING"}
_TACTIC_OF_PRICING = {
    ChildPricing.PASSIVE: common.EXECUTION_TACTIC_PASSIVE_LIMIT,
    ChildPricing.AGGRESSIVE: common.EXECUTION_TACTIC_AGGRESSIVE_LIMIT,
}


def child_client_order_id(parent: str, index: int) -> str:
    """``<parent>-s<k>``; a digest of the parent stands in when that would pass 48 characters."""
    if not parent or index < 0:
        raise InvalidArgumentError(
            "a child needs its parent's client order id and an index >= 0",
            code="INVALID_CLIENT_ORDER_ID",
        )
    suffix = f"-s{index}"
    if len(parent) + len(suffix) <= _MAX_ID:
        return parent + suffix
    digest = hashlib.sha256(parent.encode()).hexdigest()
    return f"ts-{digest[: _MAX_ID - 3 - len(suffix)]}{suffix}"


@dataclass(frozen=True)
class ChildState:
    """Where one child stands: not released yet (``order`` is None) or its live order."""

    slice: ChildSlice
    client_order_id: str
    order: ex.Order | None

    @property
    def filled(self) -> Decimal:
        """Quantity filled so far."""
        return Decimal(self.order.cum_qty or "0") if self.order is not None else Decimal(0)

    @property
    def working(self) -> bool:
        """Released and not final yet."""
        return self.order is not None and self.order.status not in _TERMINAL


@dataclass(frozen=True)
class Progress:
    """A schedule's state after one poll.

    Attributes:
        children: Every child in schedule order.
        halted: Why no further child will be released (risk or broker rejection, a peak that
            ended without filling, a cancel), or "" while the schedule can continue.
        waiting: Why a due child was not sent on this poll (no quote, reconciling), or "".
    """

    children: tuple[ChildState, ...]
    halted: str = ""
    waiting: str = ""

    @property
    def filled(self) -> Decimal:
        """Total filled across children."""
        return sum((c.filled for c in self.children), Decimal(0))

    @property
    def done(self) -> bool:
        """Every child was released and reached a terminal state, or the schedule halted."""
        if self.halted:
            return True
        return all(c.order is not None and c.order.status in _TERMINAL for c in self.children)

    @property
    def settled(self) -> bool:
        """Done, and no released child is still working: nothing about the parent can change."""
        return self.done and not any(c.working for c in self.children)


class ScheduleExecutor:
    """Releases one parent's children through ``ExecutionEngine.submit_order``."""

    def __init__(
        self,
        engine: ExecutionEngine,
        parent: ex.SubmitOrderRequest,
        schedule: SliceSchedule,
        *,
        feed: MarketFeed,
        clock: Clock,
        aggression_bps: Decimal = Decimal(5),
    ) -> None:
        if schedule.side not in (common.ORDER_SIDE_BUY, common.ORDER_SIDE_SELL):
            raise InvalidArgumentError("the schedule has no order side", code="UNKNOWN_SIDE")
        self._engine = engine
        self._parent = parent
        self._schedule = schedule
        self._feed = feed
        self._clock = clock
        self._aggression_bps = aggression_bps
        self._cap = decision_cap(parent.decision)
        self.stopped = ""

    @property
    def schedule(self) -> SliceSchedule:
        """The schedule being run."""
        return self._schedule

    def child_id(self, index: int) -> str:
        """The client order id of child ``index``."""
        return child_client_order_id(self._parent.client_order_id, index)

    def stop(self, reason: str) -> None:
        """Release no further child (a cancel of the parent); released ones are left alone."""
        self.stopped = self.stopped or reason

    async def _existing(self, client_order_id: str) -> ex.Order | None:
        try:
            order, _ = await self._engine.get_order("", client_order_id)
        except NotFoundError:
            return None
        return order

    async def poll(self) -> Progress:
        """Release every child that is due now; idempotent, so it is safe to call at any time."""
        now = self._clock.now()
        children: list[ChildState] = []
        halted, waiting = self.stopped, ""
        previous: ex.Order | None = None
        for piece in self._schedule.slices:
            cid = self.child_id(piece.index)
            order = await self._existing(cid)
            if order is not None and order.status == ex.ORDER_STATUS_REJECTED and not halted:
                halted = f"BROKER_REJECTED: child {piece.index} rejected: {order.reject_reason}"
            if order is None and not halted and not waiting:
                due, halted = self._due(piece, previous, now)
                if due:
                    order, halted, waiting = await self._release(piece, cid, now)
            children.append(ChildState(piece, cid, order))
            previous = order
        return Progress(tuple(children), halted=halted, waiting=waiting)

    def _due(self, piece: ChildSlice, previous: ex.Order | None, now: datetime) -> tuple[bool, str]:
        """(release now?, why the schedule halts)."""
        if piece.release == Release.AT_TIME:
            return piece.release_at <= now, ""
        if previous is None or previous.status != ex.ORDER_STATUS_FILLED:
            if previous is not None and previous.status in _TERMINAL:
                status = ex.OrderStatus.Name(previous.status)
                return False, f"PEAK_NOT_FILLED: child {piece.index - 1} ended {status}"
            return False, ""
        return piece.release_at <= now, ""

    async def _release(
        self, piece: ChildSlice, cid: str, now: datetime
    ) -> tuple[ex.Order | None, str, str]:
        """(order, halted, waiting) after submitting one child priced at the current touch."""
        symbol = self._parent.decision.instrument.symbol
        quote = (await self._feed.latest_quotes([symbol], now)).quotes.get(symbol)
        if quote is None or not quote.bid or not quote.ask:
            return None, "", f"NO_QUOTE: no quote for {symbol} to price child {piece.index}"
        price = child_limit_price(
            self._schedule.side,
            piece.pricing,
            Decimal(quote.bid),
            Decimal(quote.ask),
            self._aggression_bps,
        )
        price = cap_price(self._schedule.side, price, self._cap)
        try:
            response = await self._engine.submit_order(self._child_request(piece, cid, price))
        except FailedPreconditionError as exc:
            if exc.code in _RETRYABLE:
                return None, "", f"{exc.code}: child {piece.index} waits ({exc.message})"
            return None, f"{exc.code}: child {piece.index} refused: {exc.message}", ""
        except InvalidArgumentError as exc:  # asking again would be refused again
            return None, f"{exc.code}: child {piece.index} refused: {exc.message}", ""
        if not response.accepted:
            codes = ",".join(sorted({v.code for v in response.violations}))
            return (
                None,
                f"RISK_REJECTED: child {piece.index} refused by the risk checks ({codes})",
                "",
            )
        return response.order, "", ""

    def _child_request(self, piece: ChildSlice, cid: str, price: Decimal) -> ex.SubmitOrderRequest:
        request = ex.SubmitOrderRequest()
        request.CopyFrom(self._parent)
        request.client_order_id = cid
        d: decision.Decision = request.decision
        d.size.CopyFrom(
            decision.Size(value=format(piece.quantity, "f"), unit=common.SIZE_UNIT_SHARES)
        )
        if d.action == common.ACTION_CLOSE:
            # CLOSE sizes itself to the whole position; a child closes only its slice.
            d.action = common.ACTION_REDUCE
        d.order_plan.order_type = common.ORDER_TYPE_LIMIT
        d.order_plan.limit_price = format(price, "f")
        d.order_plan.stop_price = ""
        # A child is one order: priced (again, at the same touch) by its own pricing style.
        d.order_plan.execution_tactic = _TACTIC_OF_PRICING[piece.pricing]
        return request

    def next_release(self, progress: Progress) -> datetime | None:
        """The earliest time a not-yet-released timed child is due, or None."""
        pending = [
            c.slice.release_at
            for c in progress.children
            if c.order is None and c.slice.release == Release.AT_TIME
        ]
        return min(pending, default=None)

    async def run(self, wait: Callable[[datetime | None], Awaitable[None]]) -> Progress:
        """Poll until done; between polls ``wait(next_release)`` returns when it is worth
        polling again (the next timed release, or a fill for an iceberg)."""
        while True:
            progress = await self.poll()
            if progress.done:
                return progress
            await wait(self.next_release(progress))


def clock_waiter(clock: Clock, poll: timedelta) -> Callable[[datetime | None], Awaitable[None]]:
    """A ``run`` waiter for live use: sleeps until the release time by ``clock``, at most
    ``poll`` (so fills and quotes are re-read regularly)."""

    async def wait(until: datetime | None) -> None:
        delay = poll if until is None else min(poll, max(timedelta(0), until - clock.now()))
        await asyncio.sleep(delay.total_seconds())

    return wait
