"""Market data from the engine's MarketDataService: a snapshot of the universe, one quote."""

from __future__ import annotations

import re
from datetime import UTC
from typing import Annotated

from fastapi import APIRouter, Path, Query
from google.protobuf.timestamp_pb2 import Timestamp
from pydantic import BaseModel, ConfigDict

from api.deps import Context, Reader
from api.errors import ERROR_RESPONSES, NotFoundError, ServiceUnavailableError, UnprocessableError
from cream.market.universe import SYMBOL
from cream.v1 import common_pb2 as common
from cream.v1 import market_snapshot_pb2 as md

router = APIRouter(prefix="/api/market", tags=["market"], responses=ERROR_RESPONSES)

_TIMEFRAME = re.compile(r"^(1m|5m|15m|1h|1d)$")
MAX_SYMBOLS = 100


class Quote(BaseModel):
    """Top of book; prices are decimal strings."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    symbol: str
    bid: str
    ask: str
    last: str
    bid_size: int
    ask_size: int
    timestamp: str | None


class Bar(BaseModel):
    """One OHLCV bar; `timestamp` is its start in UTC."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    timestamp: str | None
    open: str
    high: str
    low: str
    close: str
    volume: int


class SymbolSnapshot(BaseModel):
    """A symbol's quote, bars and regime."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    symbol: str
    quote: Quote
    bars: list[Bar]
    regime: str | None


class Unavailable(BaseModel):
    """A symbol the feed could not price, and why."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    symbol: str
    reason_code: str
    message: str


class MarketSnapshot(BaseModel):
    """The snapshot as of the engine's clock."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    as_of: str | None
    symbols: list[SymbolSnapshot]
    unavailable: list[Unavailable]


def timestamp_text(value: Timestamp) -> str | None:
    """A protobuf timestamp as UTC ISO text, None when unset."""
    if value.seconds == 0 and value.nanos == 0:
        return None
    return value.ToDatetime(tzinfo=UTC).isoformat().replace("+00:00", "Z")


def quote_model(quote: md.Quote) -> Quote:
    """The wire model of a quote."""
    return Quote(
        symbol=quote.symbol,
        bid=quote.bid,
        ask=quote.ask,
        last=quote.last,
        bid_size=quote.bid_size,
        ask_size=quote.ask_size,
        timestamp=timestamp_text(quote.timestamp),
    )


def _regime(value: int) -> str | None:
    if value == 0:
        return None
    return common.Regime.Name(value).removeprefix("REGIME_")  # type: ignore[arg-type]


def snapshot_model(snapshot: md.MarketSnapshot) -> MarketSnapshot:
    """The wire model of a snapshot."""
    return MarketSnapshot(
        as_of=timestamp_text(snapshot.as_of),
        symbols=[
            SymbolSnapshot(
                symbol=entry.symbol,
                quote=quote_model(entry.quote),
                bars=[
                    Bar(
                        timestamp=timestamp_text(bar.timestamp),
                        open=bar.open,
                        high=bar.high,
                        low=bar.low,
                        close=bar.close,
                        volume=bar.volume,
                    )
                    for bar in entry.bars
                ],
                regime=_regime(entry.regime),
            )
            for entry in snapshot.symbols
        ],
        unavailable=[
            Unavailable(symbol=u.symbol, reason_code=u.reason_code, message=u.message)
            for u in snapshot.unavailable
        ],
    )


def parse_symbols(text: str) -> list[str]:
    """Comma-separated symbols, each checked against the symbol rule.

    Raises:
        UnprocessableError: A symbol is malformed, or there are too many.
    """
    symbols = [part.strip().upper() for part in text.split(",") if part.strip()]
    bad = [s for s in symbols if not SYMBOL.match(s)]
    if bad or len(symbols) > MAX_SYMBOLS:
        raise UnprocessableError(
            f"symbols must be 1-{MAX_SYMBOLS} tickers like AAPL or BRK.B; invalid: {bad}",
            code="INVALID_SYMBOL",
            details={"invalid": bad},
        )
    return list(dict.fromkeys(symbols))


@router.get("/snapshot", operation_id="getMarketSnapshot", response_model=MarketSnapshot)
async def snapshot(
    _: Reader,
    context: Context,
    symbols: Annotated[
        str | None, Query(description="Comma-separated; default: the active universe")
    ] = None,
    bars: Annotated[int, Query(ge=0, le=500)] = 0,
    timeframe: Annotated[str, Query()] = "1h",
) -> MarketSnapshot:
    """Quotes (and bars) of the universe or the given symbols."""
    if not _TIMEFRAME.match(timeframe):
        raise UnprocessableError(
            f"timeframe {timeframe!r} is not one of 1m, 5m, 15m, 1h, 1d", code="INVALID_TIMEFRAME"
        )
    if symbols:
        wanted = parse_symbols(symbols)
    else:
        active = await context.config.require_active(context.environment)
        wanted = list(active.document().universe.symbols)
    result = await context.engine.snapshot(
        wanted, bar_count=bars, timeframe=timeframe if bars else ""
    )
    return snapshot_model(result)


@router.get("/quotes/{symbol}", operation_id="getQuote", response_model=Quote)
async def quote(
    _: Reader,
    context: Context,
    symbol: Annotated[str, Path(pattern=r"^[A-Za-z][A-Za-z0-9.]{0,9}$")],
) -> Quote:
    """The latest quote of one symbol."""
    wanted = symbol.upper()
    result = await context.engine.snapshot([wanted])
    for entry in result.symbols:
        if entry.symbol == wanted:
            return quote_model(entry.quote)
    missing = next((u for u in result.unavailable if u.symbol == wanted), None)
    if missing is not None and missing.reason_code != "UNKNOWN_SYMBOL":
        raise ServiceUnavailableError(
            f"no quote for {wanted}: {missing.message}", code=missing.reason_code
        )
    raise NotFoundError(
        f"no quote for {wanted}: {missing.message if missing else 'the feed does not know it'}",
        code=missing.reason_code if missing else "UNKNOWN_SYMBOL",
    )
