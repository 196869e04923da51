"""Sliced parent orders: accepted at once, their children released by the engine in the background.

A parent (TWAP, VWAP, ICEBERG, or ADAPTIVE when it slices) is stored with its schedule before
SubmitOrder answers; one task per parent then polls a ``ScheduleExecutor`` whenever a child
is due by the engine's clock or a child's execution report arrives. The parent's state is
aggregated from its children and streamed like any order's. Canceling the parent stops the
schedule and cancels the children still working. A restarted engine resumes every running
schedule from the stored copy: children already stored (by their derived client order id)
are never sent again.

Timing follows the injected ``Clock``: with a ``ManualClock`` nothing is released until the
clock is advanced and the runner is woken (``kick``), so tests need no sleeps.

What protects a sliced entry: every child of an opening parent is an entry of its own that
carries the parent's stop loss and take profit. Through Alpaca each child goes out as a
bracket, so the exits for exactly that child's quantity rest at the broker from the moment
it fills; on the simulator the engine's stop monitor covers the filled quantity from the
first fill. A child whose bracket is refused halts the schedule, so no unprotected child is
ever followed by another. The unreleased remainder does not reserve buying power: each child
is risk-checked when it is released, and one that no longer fits halts the schedule.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass, field, replace
from datetime import datetime

from google.protobuf.timestamp_pb2 import Timestamp

from cream.clock import Clock
from cream.engine.core import SliceSchedule
from cream.engine.errors import FailedPreconditionError
from cream.engine.order_factory import build_order
from cream.engine.parent_state import parent_order, parent_report, schedule_of, slices_to_json
from cream.engine.service import ExecutionEngine
from cream.engine.tactic_plan import TacticDefaults
from cream.engine.tactics import Progress, ScheduleExecutor, child_client_order_id
from cream.market.feed import MarketFeed
from cream.storage.order_schedules import (
    OrderScheduleRepository,
    ScheduleRecord,
    ScheduleStatus,
)
from cream.storage.orders import OrderRepository
from cream.v1 import common_pb2 as common
from cream.v1 import execution_pb2 as ex

log = logging.getLogger(__name__)
_TERMINAL = {
    ex.ORDER_STATUS_FILLED,
    ex.ORDER_STATUS_CANCELED,
    ex.ORDER_STATUS_REJECTED,
    ex.ORDER_STATUS_EXPIRED,
    ex.ORDER_STATUS_REPLACED,
}


@dataclass
class _Run:
    record: ScheduleRecord
    executor: ScheduleExecutor
    child_ids: frozenset[str]
    wake: asyncio.Event = field(default_factory=asyncio.Event)
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    task: asyncio.Task[None] | None = None
    last: ex.Order | None = None


class ScheduleRunner:
    """The engine's sliced parents; see the module docstring.

    Args:
        engine: The engine children are submitted through (it is attached to this runner).
        schedules: Where parents and their schedules are stored.
        orders: The engine's order store (children are read from it).
        feed: Quotes to price each child when it is released.
        clock: The engine's clock; release times are read from it.
        defaults: Tactic parameters (the aggression cap of the children).
        tick_seconds: How often a waiting schedule re-reads the clock and the market.
    """

    def __init__(
        self,
        engine: ExecutionEngine,
        schedules: OrderScheduleRepository,
        orders: OrderRepository,
        *,
        feed: MarketFeed,
        clock: Clock,
        defaults: TacticDefaults | None = None,
        tick_seconds: float = 1.0,
    ) -> None:
        self._engine = engine
        self._schedules = schedules
        self._orders = orders
        self._feed = feed
        self._clock = clock
        self._defaults = defaults or TacticDefaults()
        self._tick = tick_seconds
        self._runs: dict[str, _Run] = {}
        self._by_child: dict[str, _Run] = {}
        engine.attach_parents(self)

    # -- lifecycle -----------------------------------------------------------------------

    async def start(self) -> None:
        """Resume every schedule that was still running when the engine stopped."""
        for record in await self._schedules.list_running():
            log.info("resuming %s schedule of %s", record.tactic, record.client_order_id)
            self._launch(record)

    async def close(self) -> None:
        """Stop the background tasks (the stored schedules resume on the next start)."""
        for run in list(self._runs.values()):
            if run.task is not None:
                run.task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await run.task
        self._runs.clear()
        self._by_child.clear()

    def kick(self) -> None:
        """Wake every schedule now (after a ManualClock was advanced, or a quote came back)."""
        for run in self._runs.values():
            run.wake.set()

    @property
    def running(self) -> frozenset[str]:
        """Client order ids of the parents whose schedules are being run."""
        return frozenset(run.record.client_order_id for run in self._runs.values())

    # -- the engine's parent-order hooks -------------------------------------------------

    async def create(
        self,
        request: ex.SubmitOrderRequest,
        check: ex.DecisionCheck,
        schedule: SliceSchedule,
        created: Timestamp,
    ) -> ex.Order:
        """Store an approved parent with its schedule and start releasing its children."""
        parent = build_order(request, check, created)
        record = ScheduleRecord(
            order_id=parent.order_id,
            client_order_id=parent.client_order_id,
            requested_tactic=common.ExecutionTactic.Name(schedule.requested),
            tactic=common.ExecutionTactic.Name(schedule.tactic),
            status="RUNNING",
            reason=schedule.reason,
            halt_reason="",
            request=request,
            parent=parent,
            slices=slices_to_json(schedule),
        )
        await self._schedules.insert(record)
        log.info("%s accepted as %s: %s", parent.client_order_id, record.tactic, schedule.reason)
        run = self._launch(record)
        order = parent_order(record, [])
        self._publish(run, order)
        return order

    async def get(
        self, order_id: str, client_order_id: str
    ) -> tuple[ex.Order, list[ex.Fill]] | None:
        """A parent with every fill of its children, or None when no parent has this id."""
        record = await self._record(order_id, client_order_id)
        if record is None:
            return None
        children = await self._children(record)
        fills = [fill for child in children for fill in await self._orders.fills(child.order_id)]
        return parent_order(record, children), fills

    async def cancel(self, order_id: str, client_order_id: str, reason: str) -> ex.Order | None:
        """Stop releasing and cancel the working children; None when no parent has this id."""
        record = await self._record(order_id, client_order_id)
        if record is None:
            return None
        current = parent_order(record, await self._children(record))
        if current.status in _TERMINAL:
            raise FailedPreconditionError(
                f"order {current.order_id} is {ex.OrderStatus.Name(current.status)}: nothing "
                "to cancel",
                code="ORDER_NOT_CANCELABLE",
            )
        why = f"CANCELED: {reason or 'canceled by request'}"
        record = replace(record, status="CANCELED", halt_reason=why)
        run = self._runs.get(record.order_id)
        if run is None:
            await self._schedules.set_status(record.order_id, "CANCELED", why)
        else:
            async with run.lock:  # no child is mid-release once the schedule is stopped
                run.executor.stop(why)
                await self._schedules.set_status(record.order_id, "CANCELED", why)
                run.record = record
        for child in await self._children(record):
            if child.status in _TERMINAL or child.status == ex.ORDER_STATUS_PENDING_CANCEL:
                continue
            with contextlib.suppress(FailedPreconditionError):
                await self._engine.cancel_order(child.order_id, "", why)
        order = parent_order(record, await self._children(record))
        if run is not None:
            self._publish(run, order)
            run.wake.set()
        return order

    def child_updated(self, order: ex.Order) -> None:
        """An execution report moved a child: let its parent's schedule look again."""
        run = self._by_child.get(order.client_order_id)
        if run is not None:
            run.wake.set()

    # -- running -------------------------------------------------------------------------

    def _launch(self, record: ScheduleRecord) -> _Run:
        executor = ScheduleExecutor(
            self._engine,
            record.request,
            schedule_of(record),
            feed=self._feed,
            clock=self._clock,
            aggression_bps=self._defaults.aggression_bps,
        )
        ids = frozenset(executor.child_id(int(s["index"])) for s in record.slices)
        run = _Run(record, executor, ids)
        self._runs[record.order_id] = run
        for cid in ids:
            self._by_child[cid] = run
        run.task = asyncio.create_task(self._drive(run), name=f"schedule-{record.client_order_id}")
        return run

    async def _drive(self, run: _Run) -> None:
        try:
            while True:
                run.wake.clear()
                try:
                    async with run.lock:
                        progress = await run.executor.poll()
                        await self._settle(run, progress)
                except asyncio.CancelledError:
                    raise
                except Exception:  # a background loop must outlive one bad round; logged
                    log.exception("schedule of %s: poll failed", run.record.client_order_id)
                    await self._wait(run, None)
                    continue
                if progress.settled:
                    return
                due = (
                    None
                    if progress.waiting or progress.done
                    else run.executor.next_release(progress)
                )
                await self._wait(run, due)
        finally:
            if self._runs.get(run.record.order_id) is run:
                del self._runs[run.record.order_id]
                for cid in run.child_ids:
                    self._by_child.pop(cid, None)

    async def _settle(self, run: _Run, progress: Progress) -> None:
        """Store how the schedule ended (once) and stream the parent's new state."""
        record = run.record
        if record.status == "RUNNING" and progress.done:
            status: ScheduleStatus = "HALTED" if progress.halted else "COMPLETED"
            await self._schedules.set_status(record.order_id, status, progress.halted)
            run.record = replace(record, status=status, halt_reason=progress.halted)
            if progress.halted:
                log.warning("schedule of %s halted: %s", record.client_order_id, progress.halted)
        if progress.waiting:
            log.info("schedule of %s waits: %s", record.client_order_id, progress.waiting)
        children = [c.order for c in progress.children if c.order is not None]
        self._publish(run, parent_order(run.record, children))

    def _publish(self, run: _Run, order: ex.Order) -> None:
        report = parent_report(run.last, order)
        run.last = order
        if report is not None:
            self._engine.publish(ex.StreamExecutionsResponse(report=report, order=order))

    async def _wait(self, run: _Run, until: datetime | None) -> None:
        """Until ``until`` by the clock, a wake-up, or (with no due time) one tick."""
        while True:
            now = self._clock.now()
            if until is not None and now >= until:
                return
            timeout = self._tick
            if until is not None:
                timeout = min(timeout, (until - now).total_seconds())
            try:
                async with asyncio.timeout(timeout):
                    await run.wake.wait()
                return
            except TimeoutError:
                if until is None:
                    return

    async def _record(self, order_id: str, client_order_id: str) -> ScheduleRecord | None:
        if order_id:
            return await self._schedules.get(order_id)
        return await self._schedules.get_by_client_order_id(client_order_id)

    async def _children(self, record: ScheduleRecord) -> list[ex.Order]:
        children = []
        for piece in record.slices:
            cid = child_client_order_id(record.client_order_id, int(piece["index"]))
            child = await self._orders.get_by_client_order_id(cid)
            if child is not None:
                children.append(child)
        return children
