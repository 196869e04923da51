"""The portfolio from the engine: the account and the open positions."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict

from api.deps import Context, Reader
from api.errors import ERROR_RESPONSES
from api.routers.market import timestamp_text
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
