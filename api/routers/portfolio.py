"""The portfolio from the engine: the account and the open positions."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict

from api.deps import Context, Reader
from api.errors import ERROR_RESPONSES, UnprocessableError
from api.routers.market import timestamp_text
from cream.storage.equity import MAX_LIMIT, EquitySnapshot
from cream.v1 import common_pb2 as common
from cream.v1 import execution_pb2 as ex

router = APIRouter(prefix="/api/portfolio", tags=["portfolio"], responses=ERROR_RESPONSES)


class Account(BaseModel):
    """Account state; money is decimal strings."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    account_id: str
    environment: str
    equity: str
    cash: str
    buying_power: str
    day_start_equity: str
    high_water_mark: str
    trading_state: str
    day_trades_5d: int
    as_of: str | None


class Position(BaseModel):
    """One open position; `quantity` is signed (negative is short)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    symbol: str
    instrument_type: str
    underlying: str
    quantity: str
    avg_entry_price: str
    market_price: str
    market_value: str
    unrealized_pnl: str
    stop_loss: str
    take_profit: str
    opened_at: str | None


class Portfolio(BaseModel):
    """The account with its positions."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    account: Account
    positions: list[Position]
    as_of: str | None


class EquityPoint(BaseModel):
    """One point of the equity curve; money is decimal strings, `time` UTC ISO."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    time: str
    equity: str
    cash: str
    buying_power: str
    source: Literal["schedule", "cycle"]
    cycle_id: str | None


class EquityCurve(BaseModel):
    """Points oldest first; `truncated` says older points in the range were left out."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    environment: str
    points: list[EquityPoint]
    limit: int
    truncated: bool


def _enum(enum: object, value: int, prefix: str) -> str:
    name: str = enum.Name(value)  # type: ignore[attr-defined]
    return name.removeprefix(prefix)


def account_model(account: ex.AccountState) -> Account:
    """The wire model of the account."""
    return Account(
        account_id=account.account_id,
        environment=_enum(common.Environment, account.environment, "ENVIRONMENT_"),
        equity=account.equity,
        cash=account.cash,
        buying_power=account.buying_power,
        day_start_equity=account.day_start_equity,
        high_water_mark=account.high_water_mark,
        trading_state=_enum(common.TradingState, account.trading_state, "TRADING_STATE_"),
        day_trades_5d=account.day_trades_5d,
        as_of=timestamp_text(account.as_of),
    )


def position_model(position: ex.Position) -> Position:
    """The wire model of a position."""
    return Position(
        symbol=position.symbol,
        instrument_type=_enum(common.InstrumentType, position.instrument_type, "INSTRUMENT_TYPE_"),
        underlying=position.underlying,
        quantity=position.quantity,
        avg_entry_price=position.avg_entry_price,
        market_price=position.market_price,
        market_value=position.market_value,
        unrealized_pnl=position.unrealized_pnl,
        stop_loss=position.stop_loss,
        take_profit=position.take_profit,
        opened_at=timestamp_text(position.opened_at),
    )


@router.get("", operation_id="getPortfolio", response_model=Portfolio)
async def portfolio(_: Reader, context: Context) -> Portfolio:
    """The account and open positions."""
    account, positions = await asyncio.gather(context.engine.account(), context.engine.positions())
    return Portfolio(
        account=account_model(account),
        positions=[position_model(p) for p in positions.positions],
        as_of=timestamp_text(positions.as_of),
    )


@router.get("/account", operation_id="getAccount", response_model=Account)
async def account(_: Reader, context: Context) -> Account:
    """Equity, cash, buying power and trading state."""
    return account_model(await context.engine.account())


@router.get("/positions", operation_id="listPositions", response_model=list[Position])
async def positions(_: Reader, context: Context) -> list[Position]:
    """Open positions."""
    return [position_model(p) for p in (await context.engine.positions()).positions]


def _aware(value: datetime | None, name: str) -> datetime | None:
    if value is not None and value.tzinfo is None:
        raise UnprocessableError(
            f"{name} must carry a timezone, e.g. 2026-01-10T15:00:00Z", code="NAIVE_TIMESTAMP"
        )
    return value


def _point(snapshot: EquitySnapshot) -> EquityPoint:
    return EquityPoint(
        time=snapshot.time,
        equity=snapshot.equity,
        cash=snapshot.cash,
        buying_power=snapshot.buying_power,
        source=snapshot.source,
        cycle_id=snapshot.cycle_id,
    )


@router.get("/equity", operation_id="getEquityCurve", response_model=EquityCurve)
async def equity_curve(
    _: Reader,
    context: Context,
    from_: Annotated[datetime | None, Query(alias="from")] = None,
    to: Annotated[datetime | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 1000,
) -> EquityCurve:
    """The stored equity snapshots with `from` <= time < `to`: the newest `limit`, oldest
    first. The worker takes one every few minutes in session and one after each cycle."""
    start, end = _aware(from_, "from"), _aware(to, "to")
    if start is not None and end is not None and start > end:
        raise UnprocessableError(
            f"from ({start.isoformat()}) is after to ({end.isoformat()})",
            code="INVALID_RANGE",
            details={"from": start.isoformat(), "to": end.isoformat()},
        )
    page = await context.repos.equity.between(start, end, limit=limit)
    return EquityCurve(
        environment=context.environment,
        points=[_point(s) for s in page.snapshots],
        limit=limit,
        truncated=page.truncated,
    )
