"""The execution engine's application layer: risk checks, idempotent submission, fills.

The gRPC servicer is a thin shell over this class. Submissions are serialized so cumulative
checks (buying power, limits) always see every earlier order; the client order id is
persisted before anything is sent to the broker; the broker's execution reports drive the
core's order state machine and are persisted with their fills in one transaction.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Protocol
from zoneinfo import ZoneInfo

from google.protobuf.timestamp_pb2 import Timestamp

from cream.clock import Clock
from cream.engine.broker.port import BrokerPort, BrokerRejectedError, BrokerUnavailableError
from cream.engine.core import OrderBook, RiskCore, SliceSchedule, request_instruments
from cream.engine.errors import (
    EngineError,
    FailedPreconditionError,
    InvalidArgumentError,
    NotFoundError,
)
from cream.engine.market_state import market_state, plan_market_state
from cream.engine.order_factory import build_order, derive_order_id
from cream.engine.tactic_plan import SlicedPlan, TacticDefaults, plan_execution, schedule_seed
from cream.events import types as event_types
from cream.events.envelope import EventEnvelope
from cream.events.outbox import append
from cream.market.feed import MarketFeed
from cream.storage.database import Statement
from cream.storage.errors import DuplicateClientOrderIdError
from cream.storage.exit_legs import ExitLegRepository
from cream.storage.orders import OrderRepository
from cream.v1 import common_pb2 as common
from cream.v1 import decision_pb2 as decision
from cream.v1 import execution_pb2 as ex

log = logging.getLogger(__name__)
NEW_YORK = ZoneInfo("America/New_York")
# Alpaca accepts client order ids up to 48 characters; keep ours within that.
_CLIENT_ORDER_ID = re.compile(r"^[A-Za-z0-9._:\-]{1,48}$")
_SUBSCRIBER_QUEUE = 1024
_WORKING = {ex.ORDER_STATUS_ACCEPTED, ex.ORDER_STATUS_PARTIALLY_FILLED}
_TERMINAL = {
    ex.ORDER_STATUS_FILLED,
    ex.ORDER_STATUS_CANCELED,
    ex.ORDER_STATUS_REJECTED,
    ex.ORDER_STATUS_EXPIRED,
    ex.ORDER_STATUS_REPLACED,
}


class SubscriberOverflowError(EngineError):
    """A StreamExecutions client fell too far behind and was disconnected."""

    code = "SUBSCRIBER_OVERFLOW"


@dataclass
class _Subscriber:
    order_ids: frozenset[str]
    queue: asyncio.Queue[ex.StreamExecutionsResponse | None] = field(
        default_factory=lambda: asyncio.Queue(_SUBSCRIBER_QUEUE)
    )
    overflowed: bool = False


@dataclass
class _DayBook:
    """Per-day figures the breakers and the day-trade rule need."""

    day: date | None = None
    start_equity: Decimal = Decimal(0)
    high_water_mark: Decimal = Decimal(0)
    opened_today: set[str] = field(default_factory=set)


class ParentOrders(Protocol):
    """Sliced parent orders (``cream.engine.schedules.ScheduleRunner``), as the engine sees them."""

    async def create(
        self,
        request: ex.SubmitOrderRequest,
        check: ex.DecisionCheck,
        schedule: SliceSchedule,
        created: Timestamp,
    ) -> ex.Order:
        """Store an approved parent and start its schedule; the parent as accepted."""
        ...

    async def get(
        self, order_id: str, client_order_id: str
    ) -> tuple[ex.Order, list[ex.Fill]] | None:
        """A parent and its children's fills, or None."""
        ...

    async def cancel(self, order_id: str, client_order_id: str, reason: str) -> ex.Order | None:
        """Cancel a parent; None when no parent has this id."""
        ...

    def child_updated(self, order: ex.Order) -> None:
        """An execution report changed ``order`` (maybe a child)."""
        ...

    def kick(self) -> None:
        """Look at every running schedule again now (e.g. new orders are accepted again)."""
        ...


def _stamp(clock: Clock) -> Timestamp:
    ts = Timestamp()
    ts.FromDatetime(clock.now())
    return ts


class ExecutionEngine:
    """Risk-checked, idempotent order flow over one broker account."""

    def __init__(
        self,
        *,
        core: RiskCore,
        book: OrderBook,
        orders: OrderRepository,
        broker: BrokerPort,
        feed: MarketFeed,
        clock: Clock,
        environment: common.Environment.ValueType,
        exit_legs: ExitLegRepository,
        tactics: TacticDefaults | None = None,
        exit_cancel_seconds: float = 10.0,
    ) -> None:
        self.core = core
        self.book = book
        self._orders = orders
        self._broker = broker
        self._feed = feed
        self._clock = clock
        self.environment = environment
        self.trading_state: common.TradingState.ValueType = common.TRADING_STATE_ACTIVE
        self._submit_lock = asyncio.Lock()
        self._state_lock = asyncio.Lock()
        self._subscribers: list[_Subscriber] = []
        self._levels: dict[str, tuple[str, str]] = {}
        self._day = _DayBook()
        self._portfolio = ex.PortfolioState()
        self._consumer: asyncio.Task[None] | None = None
        self._held: set[str] = set()
        self._tactics = tactics or TacticDefaults()
        self._exit_legs = exit_legs
        self._exit_cancel_seconds = exit_cancel_seconds
        self._parents: ParentOrders | None = None

    # -- lifecycle ---------------------------------------------------------------------

    async def start(self) -> None:
        """Reload open orders into the core, refresh the portfolio, consume broker reports."""
        for order in await self._orders.list_open():
            self.book.restore(order, sorted(await self._orders.exec_ids(order.order_id)))
            if not order.reduce_only and order.stop_loss:
                self._levels[order.symbol] = (order.stop_loss, order.take_profit)
        await self.refresh_portfolio()
        self._consumer = asyncio.create_task(self._consume_reports(), name="broker-reports")

    async def close(self) -> None:
        """Stop consuming reports and end every execution stream."""
        if self._consumer is not None:
            self._consumer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._consumer
            self._consumer = None
        for sub in self._subscribers:
            with contextlib.suppress(asyncio.QueueFull):
                sub.queue.put_nowait(None)

    # -- submission gate (broker reconciliation) ---------------------------------------

    def hold_submissions(self, reason: str) -> None:
        """Refuse new orders and run HALTED until every hold is released (e.g. reconciling)."""
        self._held.add(reason)
        self.trading_state = common.TRADING_STATE_HALTED

    def release_submissions(self, reason: str) -> None:
        """Release one hold; trading resumes when none is left."""
        self._held.discard(reason)
        if not self._held:
            self.trading_state = common.TRADING_STATE_ACTIVE
            if self._parents is not None:
                self._parents.kick()  # children that waited on the gate go out now

    @property
    def submission_holds(self) -> frozenset[str]:
        """Why new orders are refused now (empty when they are accepted)."""
        return frozenset(self._held)

    def _check_gate(self) -> None:
        if self._held:
            raise FailedPreconditionError(
                "new orders wait until the broker is reconciled: "
                + "; ".join(sorted(self._held))
                + " (retry shortly)",
                code="BROKER_RECONCILING",
            )

    async def apply_report(self, report: ex.ExecutionReport) -> ex.Order:
        """Apply a report that did not come from the broker's stream (reconciliation)."""
        return await self._apply(report)

    # -- end submission gate -----------------------------------------------------------

    def attach_parents(self, parents: ParentOrders) -> None:
        """Run sliced tactics through ``parents`` (without it, they are refused)."""
        self._parents = parents

    def set_levels(self, levels: dict[str, tuple[str, str]]) -> None:
        """Stop-loss / take-profit levels by symbol (restored from persisted orders)."""
        self._levels.update(levels)

    # -- queries -----------------------------------------------------------------------

    @property
    def portfolio(self) -> ex.PortfolioState:
        """The portfolio the core currently checks against."""
        return self._portfolio

    async def refresh_portfolio(self) -> ex.PortfolioState:
        """Re-read account and positions from the broker and hand them to the core."""
        async with self._state_lock:
            account = await self._broker.account()
            positions = await self._broker.positions()
            equity = Decimal(account.equity or "0")
            today = self._clock.now().astimezone(NEW_YORK).date()
            if self._day.day != today:
                self._day = _DayBook(day=today, start_equity=equity, high_water_mark=equity)
            self._day.high_water_mark = max(self._day.high_water_mark, equity)
            account.day_start_equity = str(self._day.start_equity)
            account.high_water_mark = str(self._day.high_water_mark)
            account.trading_state = self.trading_state
            for position in positions:
                stop, take = self._levels.get(position.symbol, ("", ""))
                position.stop_loss, position.take_profit = stop, take
            portfolio = ex.PortfolioState(
                account=account,
                positions=positions,
                open_orders=self.book.open_orders(),
                opened_today=sorted(self._day.opened_today),
            )
            self.core.set_portfolio(portfolio)
            self._portfolio = portfolio
            return portfolio

    async def account_state(self) -> ex.AccountState:
        """The account with the trading state the breakers give."""
        portfolio = await self.refresh_portfolio()
        account = ex.AccountState()
        account.CopyFrom(portfolio.account)
        account.trading_state = self.core.trading_state()
        return account

    async def positions(self) -> list[ex.Position]:
        """Current positions with their stop-loss and take-profit levels."""
        return list((await self.refresh_portfolio()).positions)

    async def get_order(
        self, order_id: str, client_order_id: str
    ) -> tuple[ex.Order, list[ex.Fill]]:
        """An order (or a sliced parent) by engine id or client order id, with its fills."""
        order = await self._lookup(order_id, client_order_id)
        if order is not None:
            return order, await self._orders.fills(order.order_id)
        parent = await self._parents.get(order_id, client_order_id) if self._parents else None
        if parent is None:
            raise self._not_found(order_id or client_order_id)
        return parent

    async def _lookup(self, order_id: str, client_order_id: str) -> ex.Order | None:
        if not order_id and not client_order_id:
            raise InvalidArgumentError("give order_id or client_order_id", code="MISSING_ORDER_ID")
        if order_id:
            return await self._orders.get(order_id)
        return await self._orders.get_by_client_order_id(client_order_id)

    def _not_found(self, key: str) -> NotFoundError:
        return NotFoundError(
            f"no order with id '{key}' in {common.Environment.Name(self.environment)}",
            code="ORDER_NOT_FOUND",
        )

    async def _existing(self, client_order_id: str) -> ex.Order | None:
        """The order or parent already holding this client order id."""
        order = await self._orders.get_by_client_order_id(client_order_id)
        if order is None and self._parents is not None:
            found = await self._parents.get("", client_order_id)
            order = found[0] if found else None
        return order

    # -- risk --------------------------------------------------------------------------

    def _require_environment(self, environment: common.Environment.ValueType) -> None:
        if environment != self.environment:
            raise FailedPreconditionError(
                f"this engine trades {common.Environment.Name(self.environment)}, the request is "
                f"for {common.Environment.Name(environment)}",
                code="ENVIRONMENT_MISMATCH",
            )

    async def check_constraints(self, plan: decision.DecisionPlan) -> ex.CheckConstraintsResponse:
        """The whole plan, checked cumulatively against the current portfolio."""
        market = await plan_market_state(self._feed, plan, self._clock.now())
        # Structural errors surface before the environment check so a malformed plan
        # always gets its precise code.
        response = self.core.check(plan, market)
        self._require_environment(plan.environment)
        return response

    async def check_constraints_bytes(self, request: bytes) -> bytes:
        """The gRPC hot path: a serialized CheckConstraintsRequest in, the response's bytes out.

        The plan is never materialised in Python: the core reads the instruments it needs
        quotes for, and checks the request bytes directly.
        """
        environment, equities, options = request_instruments(request)
        market = await market_state(self._feed, equities, options, self._clock.now())
        response = self.core.check_request_bytes(request, market.SerializeToString())
        self._require_environment(environment)
        return response

    # -- orders ------------------------------------------------------------------------

    async def submit_order(self, request: ex.SubmitOrderRequest) -> ex.SubmitOrderResponse:
        """Re-check one decision and send its order; the same client order id never trades twice."""
        cid = request.client_order_id
        if not _CLIENT_ORDER_ID.match(cid):
            raise InvalidArgumentError(
                f"client_order_id '{cid}' must be 1-48 characters of letters, digits, '.', '_', "
                "':' or '-' (derive it from cycle, decision and leg)",
                code="INVALID_CLIENT_ORDER_ID",
            )
        async with self._submit_lock:
            existing = await self._existing(cid)
            if existing is not None:
                return ex.SubmitOrderResponse(accepted=True, order=existing, duplicate=True)
            self._check_gate()
            plan = decision.DecisionPlan(
                cycle_id=request.cycle_id,
                as_of=request.as_of,
                environment=request.environment,
                config_version=request.config_version,
                decisions=[request.decision],
            )
            if request.decision.action in (common.ACTION_HOLD, common.ACTION_NO_TRADE):
                raise InvalidArgumentError(
                    f"decision {request.decision.decision_id} is "
                    f"{common.Action.Name(request.decision.action)}: there is no order to submit",
                    code="NOTHING_TO_SUBMIT",
                )
            await self.refresh_portfolio()
            check = await self.check_constraints(plan)
            if not check.approved:
                return ex.SubmitOrderResponse(accepted=False, violations=check.violations)
            execution = await plan_execution(
                request,
                check.decisions[0],
                feed=self._feed,
                now=self._clock.now(),
                seed=schedule_seed(cid),
                defaults=self._tactics,
            )
            if isinstance(execution, SlicedPlan):
                if self._parents is None:
                    raise FailedPreconditionError(
                        "this engine runs no sliced tactics; use PASSIVE_LIMIT or AGGRESSIVE_LIMIT",
                        code="TACTIC_NOT_SUPPORTED",
                    )
                parent = await self._parents.create(
                    request, check.decisions[0], execution.schedule, _stamp(self._clock)
                )
                return ex.SubmitOrderResponse(accepted=True, order=parent)
            order = self.book.insert(
                build_order(
                    request,
                    check.decisions[0],
                    _stamp(self._clock),
                    limit_price=execution.limit_price,
                )
            )
            try:
                await self._orders.insert(order)
            except DuplicateClientOrderIdError:
                # Another engine process won the race for this id: report its order.
                winner = await self._orders.get_by_client_order_id(cid)
                return ex.SubmitOrderResponse(accepted=True, order=winner, duplicate=True)
            order = await self._apply(
                ex.ExecutionReport(
                    order_id=order.order_id,
                    exec_id=f"{order.order_id}-pending-new",
                    exec_type=ex.EXEC_TYPE_PENDING_NEW,
                    timestamp=_stamp(self._clock),
                )
            )
            if order.reduce_only:
                await self._clear_exits(order)
            order = await self._send(order)
            await self.refresh_portfolio()
            return ex.SubmitOrderResponse(accepted=True, order=order)

    async def submit_exit(
        self, symbol: str, side: common.OrderSide.ValueType, quantity: str, reason: str, key: str
    ) -> ex.Order | None:
        """Send a protective market exit (stop-loss / take-profit); idempotent on ``key``.

        Exits reduce risk, so they bypass the plan checks, and they go out even when trading
        is HALTED.
        """
        cid = f"exit-{key}"[:48]
        async with self._submit_lock:
            if await self._orders.get_by_client_order_id(cid) is not None:
                return None
            self._check_gate()
            created = _stamp(self._clock)
            order = self.book.insert(
                ex.Order(
                    order_id=derive_order_id(self.environment, cid),
                    client_order_id=cid,
                    symbol=symbol,
                    instrument_type=common.INSTRUMENT_TYPE_EQUITY,
                    side=side,
                    order_type=common.ORDER_TYPE_MARKET,
                    time_in_force=common.TIME_IN_FORCE_DAY,
                    quantity=quantity,
                    cum_qty="0",
                    leaves_qty=quantity,
                    status=ex.ORDER_STATUS_NEW,
                    environment=self.environment,
                    created_at=created,
                    updated_at=created,
                    reduce_only=True,
                    decision_id=reason,
                )
            )
            await self._orders.insert(order)
            order = await self._apply(
                ex.ExecutionReport(
                    order_id=order.order_id,
                    exec_id=f"{order.order_id}-pending-new",
                    exec_type=ex.EXEC_TYPE_PENDING_NEW,
                    timestamp=created,
                )
            )
            return await self._send(order)

    async def _send(self, order: ex.Order) -> ex.Order:
        try:
            await self._broker.submit(order)
        except BrokerRejectedError as exc:
            return await self._apply(
                ex.ExecutionReport(
                    order_id=order.order_id,
                    exec_id=f"{order.order_id}-rejected",
                    exec_type=ex.EXEC_TYPE_REJECTED,
                    reason=exc.message,
                    timestamp=_stamp(self._clock),
                )
            )
        except BrokerUnavailableError as exc:
            # Ambiguous: the order may be live. It stays PENDING_NEW until a lookup resolves it.
            log.warning("order %s in flight after broker error: %s", order.client_order_id, exc)
            return self.book.get(order.order_id)
        for leg in self._broker.exit_legs(order):
            try:
                await self._adopt_leg(leg, order)
            except EngineError as exc:  # the leg rests at the broker; reconciliation alerts
                log.error(
                    "exit leg %s of %s not adopted: %s",
                    leg.client_order_id,
                    order.client_order_id,
                    exc,
                )
        return self.book.get(order.order_id)

    async def _adopt_leg(self, leg: ex.Order, entry: ex.Order) -> None:
        """Store a broker-held exit leg as a reduce-only order, then follow its events."""
        await self._exit_legs.add(leg.order_id, entry.order_id, leg.symbol)
        try:
            self.book.insert(leg)
            await self._orders.insert(leg)
        except (EngineError, DuplicateClientOrderIdError) as exc:
            log.warning("exit leg %s not stored again: %s", leg.client_order_id, exc)
            return
        await self._apply(
            ex.ExecutionReport(
                order_id=leg.order_id,
                exec_id=f"{leg.order_id}-pending-new",
                exec_type=ex.EXEC_TYPE_PENDING_NEW,
                timestamp=leg.created_at,
                broker_order_id=leg.broker_order_id,
            )
        )
        await self._broker.adopt(leg)

    async def _clear_exits(self, order: ex.Order) -> None:
        """Cancel the symbol's working broker-held exit legs before a reduction is sent.

        The broker holds the position's shares for those legs and would refuse the reduction;
        the reduction supersedes them, and the stop monitor protects whatever it leaves. Held
        legs (their entry not filled yet) are left alone. Waits, at most
        ``exit_cancel_seconds``, for the cancels to be confirmed; a broker that refuses the
        reduction after that leaves the position protected and the order rejected.
        """
        ids = await self._exit_legs.for_symbol(order.symbol)
        legs = [
            o
            for o in self.book.open_orders()
            if o.order_id in ids and o.side == order.side and o.status in _WORKING
        ]
        if not legs:
            return
        sub = _Subscriber(order_ids=frozenset(leg.order_id for leg in legs))
        self._subscribers.append(sub)
        reason = f"superseded by {order.client_order_id}"
        try:
            for leg in legs:
                with contextlib.suppress(FailedPreconditionError):
                    await self.cancel_order(leg.order_id, "", reason)
            async with asyncio.timeout(self._exit_cancel_seconds):
                while any(self.book.get(leg.order_id).status not in _TERMINAL for leg in legs):
                    await sub.queue.get()
        except TimeoutError:
            log.warning("exit legs of %s not confirmed canceled; sending anyway", order.symbol)
        finally:
            if sub in self._subscribers:
                self._subscribers.remove(sub)

    async def cancel_order(self, order_id: str, client_order_id: str, reason: str) -> ex.Order:
        """Ask the broker to cancel; the outcome arrives as an execution report.

        A sliced parent stops releasing children and cancels the ones still working.
        """
        order = await self._lookup(order_id, client_order_id)
        if order is None:
            parent = (
                await self._parents.cancel(order_id, client_order_id, reason)
                if self._parents is not None
                else None
            )
            if parent is None:
                raise self._not_found(order_id or client_order_id)
            return parent
        if order.status in _TERMINAL:
            raise FailedPreconditionError(
                f"order {order.order_id} is {ex.OrderStatus.Name(order.status)}: nothing to cancel",
                code="ORDER_NOT_CANCELABLE",
            )
        order = await self._apply(
            ex.ExecutionReport(
                order_id=order.order_id,
                exec_id=f"{order.order_id}-cancel-{self._clock.now().timestamp():.6f}",
                exec_type=ex.EXEC_TYPE_PENDING_CANCEL,
                reason=reason or "canceled by request",
                timestamp=_stamp(self._clock),
            )
        )
        await self._broker.cancel(order)
        return self.book.get(order.order_id)

    # -- execution reports -------------------------------------------------------------

    async def _consume_reports(self) -> None:
        async for report in self._broker.reports():
            try:
                await self._apply(report)
                await self.refresh_portfolio()
            except EngineError as exc:
                log.error("execution report %s not applied: %s", report.exec_id, exc)

    async def _apply(self, report: ex.ExecutionReport) -> ex.Order:
        """Apply a report in the core, persist order and fill together, and publish it."""
        order, applied = self.book.apply(report)
        if not applied:
            return order
        fill = None
        if report.exec_type == ex.EXEC_TYPE_TRADE:
            fill = ex.Fill(
                fill_id=report.exec_id,
                order_id=order.order_id,
                symbol=order.symbol,
                side=order.side,
                quantity=report.last_qty,
                price=report.last_price,
                timestamp=report.timestamp,
            )
            if not order.reduce_only:
                self._day.opened_today.add(order.symbol)
                if order.stop_loss and not order.legs:
                    self._levels[order.symbol] = (order.stop_loss, order.take_profit)
        await self._orders.save_execution(
            order, fill, report.exec_id, events=[self._order_event(order, report)]
        )
        self.publish(ex.StreamExecutionsResponse(report=report, order=order))
        if self._parents is not None:
            self._parents.child_updated(order)
        return order

    def _order_event(self, order: ex.Order, report: ex.ExecutionReport) -> Statement:
        """The `orders.updated` outbox insert announcing this report (same batch as the write)."""
        environment = common.Environment.Name(self.environment).removeprefix("ENVIRONMENT_")
        event = EventEnvelope.create(
            type=event_types.ORDER_UPDATED,
            ts=self._clock.now(),
            producer="engine",
            cycle_id=order.cycle_id,
            correlation_id=order.cycle_id,
            payload={
                "order_id": order.order_id,
                "client_order_id": order.client_order_id,
                "symbol": order.symbol,
                "exec_type": ex.ExecType.Name(report.exec_type).removeprefix("EXEC_TYPE_"),
                "status": ex.OrderStatus.Name(order.status).removeprefix("ORDER_STATUS_"),
                "filled_qty": order.cum_qty,
                "price": report.last_price,
            },
        )
        return append(event, environment, clock=self._clock)

    # -- streaming ---------------------------------------------------------------------

    def publish(self, message: ex.StreamExecutionsResponse) -> None:
        """Hand one execution message to every matching StreamExecutions subscriber."""
        for sub in list(self._subscribers):
            if sub.order_ids and message.order.order_id not in sub.order_ids:
                continue
            try:
                sub.queue.put_nowait(message)
            except asyncio.QueueFull:
                sub.overflowed = True
                self._subscribers.remove(sub)

    async def executions(self, order_ids: list[str]) -> AsyncIterator[ex.StreamExecutionsResponse]:
        """Execution reports from now on, optionally for some orders only."""
        sub = _Subscriber(order_ids=frozenset(order_ids))
        self._subscribers.append(sub)
        try:
            while True:
                if sub.overflowed and sub.queue.empty():
                    raise SubscriberOverflowError(
                        f"the stream fell more than {_SUBSCRIBER_QUEUE} reports behind; "
                        "reconnect and re-read order state with GetOrderState"
                    )
                message = await sub.queue.get()
                if message is None:
                    return
                yield message
        finally:
            if sub in self._subscribers:
                self._subscribers.remove(sub)
