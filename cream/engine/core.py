"""The one facade over the compiled Rust core: typed protobuf in, typed protobuf out.

Only this module imports ``cream._engine``. Core exceptions are mapped once, here, onto the
engine's exception hierarchy.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import TypeVar

from cream import _engine
from cream.engine.errors import (
    ConflictError,
    EngineError,
    FailedPreconditionError,
    InternalError,
    InvalidArgumentError,
    NotFoundError,
)
from cream.v1 import common_pb2 as common
from cream.v1 import decision_pb2 as decision
from cream.v1 import execution_pb2 as ex

T = TypeVar("T")

# Each core exception class maps to exactly one engine error class.
_ERROR_MAP: tuple[tuple[type[_engine.CoreError], type[EngineError]], ...] = (
    (_engine.DecodeError, InvalidArgumentError),
    (_engine.InvalidPlanError, InvalidArgumentError),
    (_engine.InvalidPolicyError, InvalidArgumentError),
    (_engine.InvalidOrderError, InvalidArgumentError),
    (_engine.DuplicateOrderError, ConflictError),
    (_engine.OrderNotFoundError, NotFoundError),
    (_engine.InvalidTransitionError, FailedPreconditionError),
    (_engine.OverfillError, FailedPreconditionError),
    (_engine.OptionMathError, InvalidArgumentError),
    (_engine.InvalidTacticError, InvalidArgumentError),
    # The request is valid; the market's expected volume cannot absorb it under the cap.
    (_engine.ParticipationShortfallError, FailedPreconditionError),
)


def map_core_error(exc: _engine.CoreError) -> EngineError:
    """The engine error for a core error, keeping its code, message and decision id."""
    args = [str(a) for a in exc.args]
    code = args[0] if args else "CORE_ERROR"
    message = args[1] if len(args) > 1 else code
    extra = "shortfall" if isinstance(exc, _engine.ParticipationShortfallError) else "decision_id"
    details = {extra: args[2]} if len(args) > 2 and args[2] else {}
    for core_type, engine_type in _ERROR_MAP:
        if isinstance(exc, core_type):
            return engine_type(message, code=code, **details)
    return InternalError(message, code=code, **details)


def _call(fn: Callable[[], T]) -> T:
    # A plain try/except: this wraps the check hot path, where a context manager costs ~1.5 µs.
    try:
        return fn()
    except _engine.CoreError as exc:
        raise map_core_error(exc) from exc


class RiskCore:
    """The risk policy, the portfolio it guards, and the cumulative plan check."""

    def __init__(self, policy: ex.RiskPolicy) -> None:
        self._core = _call(lambda: _engine.RiskCore(policy.SerializeToString()))

    @property
    def policy_version(self) -> int:
        """The version of the policy in force."""
        return self._core.policy_version

    def set_policy(self, policy: ex.RiskPolicy) -> None:
        """Swap the policy atomically; an invalid policy leaves the old one in force."""
        _call(lambda: self._core.set_policy(policy.SerializeToString()))

    def set_portfolio(self, portfolio: ex.PortfolioState) -> None:
        """Replace the portfolio (account, positions, open orders) the checks run against."""
        _call(lambda: self._core.set_portfolio(portfolio.SerializeToString()))

    def check(
        self, plan: decision.DecisionPlan, market: ex.MarketState
    ) -> ex.CheckConstraintsResponse:
        """Check a whole plan cumulatively; structural errors raise InvalidArgumentError."""
        raw = _call(lambda: self._core.check(plan.SerializeToString(), market.SerializeToString()))
        return ex.CheckConstraintsResponse.FromString(raw)

    def check_serialized(self, plan: bytes, market: bytes) -> bytes:
        """The same check on already serialized messages (the gRPC hot path)."""
        return _call(lambda: self._core.check(plan, market))

    def check_request_bytes(self, request: bytes, market: bytes) -> bytes:
        """Check the plan of a serialized CheckConstraintsRequest; serialized response out.

        A request without a plan raises InvalidArgumentError with code ``MISSING_PLAN``.
        """
        return _call(lambda: self._core.check_request(request, market))

    def trading_state(self) -> common.TradingState.ValueType:
        """ACTIVE, REDUCING or HALTED, from the account and the circuit breakers."""
        return common.TradingState.ValueType(self._core.trading_state())

    def exposure(self, market: ex.MarketState) -> _engine.Exposure:
        """Gross/net notional, leverage and the options book's greeks."""
        return _call(lambda: self._core.exposure(market.SerializeToString()))


class OrderBook:
    """Orders and their FIX state machine, held in the core."""

    def __init__(self) -> None:
        self._book = _engine.OrderBook()

    def insert(self, order: ex.Order) -> ex.Order:
        """Add a NEW order; returns it normalized (leaves = quantity, cum = 0)."""
        return ex.Order.FromString(_call(lambda: self._book.insert(order.SerializeToString())))

    def restore(self, order: ex.Order, exec_ids: list[str]) -> None:
        """Reload an order in any consistent state, with the exec ids already applied."""
        _call(lambda: self._book.restore(order.SerializeToString(), exec_ids))

    def apply(self, report: ex.ExecutionReport) -> tuple[ex.Order, bool]:
        """Apply one execution report; ``False`` when its exec id was seen before."""
        raw, applied = _call(lambda: self._book.apply(report.SerializeToString()))
        return ex.Order.FromString(raw), applied

    def get(self, order_id: str) -> ex.Order:
        """The order with this id; raises NotFoundError."""
        return ex.Order.FromString(_call(lambda: self._book.get(order_id)))

    def open_orders(self) -> list[ex.Order]:
        """Orders not in a terminal state, by order id."""
        return [ex.Order.FromString(raw) for raw in self._book.open_orders()]

    def __len__(self) -> int:
        return len(self._book)


def request_instruments(
    request: bytes,
) -> tuple[common.Environment.ValueType, list[str], list[str]]:
    """The environment, symbols/underlyings and OCC legs of a serialized CheckConstraintsRequest.

    Symbols and OCC symbols are sorted and unique: the quotes the check will need. A request
    without a plan gives ``(ENVIRONMENT_UNSPECIFIED, [], [])``; bytes that are not a request
    raise InvalidArgumentError with code ``DECODE_ERROR``.
    """
    environment, symbols, occ_symbols = _call(lambda: _engine.request_instruments(request))
    return common.Environment.ValueType(environment), symbols, occ_symbols


@dataclass(frozen=True)
class StopExit:
    """A position whose stop-loss or take-profit level was crossed."""

    symbol: str
    kind: str
    exit_side: common.OrderSide.ValueType
    quantity: str
    level: str
    trigger_price: str


def evaluate_stops(portfolio: ex.PortfolioState, market: ex.MarketState) -> list[StopExit]:
    """The positions to exit now, with the correct exit side for longs and shorts."""
    triggers = _call(
        lambda: _engine.evaluate_stops(portfolio.SerializeToString(), market.SerializeToString())
    )
    return [
        StopExit(
            symbol=t.symbol,
            kind=t.kind,
            exit_side=common.OrderSide.ValueType(t.exit_side),
            quantity=t.quantity,
            level=t.level,
            trigger_price=t.trigger_price,
        )
        for t in triggers
    ]


@dataclass(frozen=True)
class BsResult:
    """Black-Scholes price and greeks (vega per vol point, theta per day, rho per rate point)."""

    price: float
    delta: float
    gamma: float
    vega: float
    theta: float
    rho: float


def bs_price_greeks(
    option_type: common.OptionType.ValueType,
    spot: float,
    strike: float,
    t_years: float,
    rate: float,
    vol: float,
    dividend: float = 0.0,
) -> BsResult:
    """Black-Scholes-Merton price and greeks from the core."""
    values = _call(
        lambda: _engine.bs_price_greeks(
            int(option_type), spot, strike, t_years, rate, vol, dividend
        )
    )
    return BsResult(*values)


def implied_vol(
    option_type: common.OptionType.ValueType,
    price: float,
    spot: float,
    strike: float,
    t_years: float,
    rate: float,
    dividend: float = 0.0,
) -> float:
    """The volatility at which Black-Scholes gives ``price``; raises InvalidArgumentError."""
    return _call(
        lambda: _engine.implied_vol(int(option_type), price, spot, strike, t_years, rate, dividend)
    )


# -- execution tactics ---------------------------------------------------------------------

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MS = timedelta(milliseconds=1)
_U32 = 2**32
_U64 = 2**64


class Urgency(StrEnum):
    """How urgently a parent order must be done (an input of the ADAPTIVE tactic)."""

    LOW = "LOW"
    NORMAL = "NORMAL"
    HIGH = "HIGH"


class ChildPricing(StrEnum):
    """Where a child's limit sits: at the near touch, or across the spread by a capped amount."""

    PASSIVE = "PASSIVE"
    AGGRESSIVE = "AGGRESSIVE"


class Release(StrEnum):
    """When a child goes out: at its time, or once the previous child filled (iceberg)."""

    AT_TIME = "AT_TIME"
    ON_FILL = "ON_FILL"


@dataclass(frozen=True)
class TacticParams:
    """Inputs of a slice schedule; each tactic reads the ones it needs and validates them.

    Attributes:
        lot: Child size granularity (1 = whole shares); the quantity must be whole lots.
        bid: Current best bid; required by PASSIVE_LIMIT, AGGRESSIVE_LIMIT and ADAPTIVE.
        ask: Current best ask (with ``bid``).
        aggression_bps: How far beyond the far touch an aggressive child may go.
        duration: Over how long TWAP and VWAP release their children.
        slices: TWAP child count.
        jitter_pct: TWAP/VWAP release-time jitter, 0-50 % of the interval, from ``seed``.
        seed: Fixes the jitter; derive it from the parent order so a resume is identical.
        volume_profile: VWAP expected volume per equal bucket of ``duration``.
        participation_cap: VWAP children stay within this share of their bucket, (0, 1].
        peak: ICEBERG visible size.
        child_pricing: How sliced children are priced.
        urgency: ADAPTIVE input.
        average_volume: ADAPTIVE input: typical volume the order is measured against.
    """

    lot: Decimal = Decimal(1)
    bid: Decimal | None = None
    ask: Decimal | None = None
    aggression_bps: Decimal = Decimal(5)
    duration: timedelta = timedelta(0)
    slices: int = 0
    jitter_pct: int = 0
    seed: int = 0
    volume_profile: tuple[Decimal, ...] = ()
    participation_cap: Decimal = Decimal(1)
    peak: Decimal | None = None
    child_pricing: ChildPricing = ChildPricing.AGGRESSIVE
    urgency: Urgency = Urgency.NORMAL
    average_volume: Decimal | None = None


@dataclass(frozen=True)
class ChildSlice:
    """One child order: how much, from when, and how it is priced."""

    index: int
    quantity: Decimal
    release_at: datetime
    release: Release
    pricing: ChildPricing
    limit_price: Decimal | None


@dataclass(frozen=True)
class SliceSchedule:
    """A parent order split into children whose quantities add up to the parent exactly."""

    requested: common.ExecutionTactic.ValueType
    tactic: common.ExecutionTactic.ValueType
    side: common.OrderSide.ValueType
    reason: str
    slices: tuple[ChildSlice, ...]

    @property
    def total(self) -> Decimal:
        """The sum of the children (always the parent quantity)."""
        return sum((s.quantity for s in self.slices), Decimal(0))


def _plain(value: Decimal) -> str:
    """A decimal as the core parses it: no exponent."""
    return format(value, "f")


def _opt(value: Decimal | None) -> str:
    return "" if value is None else _plain(value)


def _bounded(name: str, value: int, limit: int) -> int:
    if not 0 <= value < limit:
        raise InvalidArgumentError(
            f"{name} {value} must be between 0 and {limit - 1}", code="INVALID_ARGUMENT"
        )
    return value


def to_epoch_ms(when: datetime) -> int:
    """Exact milliseconds since the epoch of an aware datetime (no float rounding)."""
    if when.tzinfo is None:
        raise InvalidArgumentError(f"{when.isoformat()} has no timezone", code="NAIVE_DATETIME")
    return (when - _EPOCH) // _MS


def slice_schedule(
    tactic: common.ExecutionTactic.ValueType,
    side: common.OrderSide.ValueType,
    quantity: Decimal,
    start: datetime,
    params: TacticParams | None = None,
) -> SliceSchedule:
    """The core's slice schedule of a parent order starting at ``start``.

    Raises:
        InvalidArgumentError: an input the tactic cannot use (code names it, e.g.
            ``EMPTY_VOLUME_PROFILE``, ``INVALID_QUANTITY``, ``UNKNOWN_TACTIC``).
        FailedPreconditionError: ``PARTICIPATION_SHORTFALL``; ``details["shortfall"]`` is
            what the profile cannot absorb under the cap.
    """
    p = params or TacticParams()
    raw = _call(
        lambda: _engine.slice_schedule(
            int(tactic),
            int(side),
            _plain(quantity),
            lot=_plain(p.lot),
            bid=_opt(p.bid),
            ask=_opt(p.ask),
            aggression_bps=_plain(p.aggression_bps),
            start_ms=to_epoch_ms(start),
            duration_ms=p.duration // _MS,
            slices=_bounded("slices", p.slices, _U32),
            jitter_pct=_bounded("jitter_pct", p.jitter_pct, _U32),
            seed=_bounded("seed", p.seed, _U64),
            volume_profile=[_plain(v) for v in p.volume_profile],
            participation_cap=_plain(p.participation_cap),
            peak=_opt(p.peak),
            child_pricing=p.child_pricing.value,
            urgency=p.urgency.value,
            average_volume=_opt(p.average_volume),
        )
    )
    return SliceSchedule(
        requested=common.ExecutionTactic.ValueType(raw.requested),
        tactic=common.ExecutionTactic.ValueType(raw.tactic),
        side=side,
        reason=raw.reason,
        slices=tuple(
            ChildSlice(
                index=s.index,
                quantity=Decimal(s.quantity),
                release_at=_EPOCH + s.release_at_ms * _MS,
                release=Release(s.release),
                pricing=ChildPricing(s.pricing),
                limit_price=Decimal(s.limit_price) if s.limit_price else None,
            )
            for s in raw.slices
        ),
    )


def child_limit_price(
    side: common.OrderSide.ValueType,
    pricing: ChildPricing,
    bid: Decimal,
    ask: Decimal,
    aggression_bps: Decimal,
) -> Decimal:
    """A child's limit at this touch, by the core's rule (near touch, or capped cross)."""
    return Decimal(
        _call(
            lambda: _engine.child_limit_price(
                int(side), pricing.value, _plain(bid), _plain(ask), _plain(aggression_bps)
            )
        )
    )
