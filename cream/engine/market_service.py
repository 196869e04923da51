"""The MarketDataService gRPC servicer: snapshots, option chains and quote streams from the feed.

Requests are validated before any feed call; every failure is an `EngineError` with a stable
code, mapped to a gRPC status by `grpc_errors` like the ExecutionService's errors.
"""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator, Sequence
from datetime import date
from typing import TypeVar

import grpc

from cream.clock import Clock
from cream.engine.errors import (
    EngineError,
    FailedPreconditionError,
    InvalidArgumentError,
    NotFoundError,
)
from cream.engine.grpc_errors import abort, guarded
from cream.market.bars import BarsError, Timeframe
from cream.market.feed import DataUnavailable, MarketFeed
from cream.market.snapshot import MAX_BAR_COUNT, SnapshotRequestError, build_snapshot
from cream.v1 import market_snapshot_pb2 as md
from cream.v1 import market_snapshot_pb2_grpc as md_grpc

log = logging.getLogger(__name__)
T = TypeVar("T")

MAX_SYMBOLS = 500
# Equity tickers as the config accepts them (upper case, up to 10 characters, dots allowed).
_SYMBOL = re.compile(r"^[A-Z][A-Z0-9.]{0,9}$")


def validate_symbols(symbols: Sequence[str]) -> list[str]:
    """The requested symbols, de-duplicated in order, or an INVALID_ARGUMENT error.

    Raises:
        InvalidArgumentError: NO_SYMBOLS, TOO_MANY_SYMBOLS or INVALID_SYMBOL.
    """
    if not symbols:
        raise InvalidArgumentError("the request names no symbols", code="NO_SYMBOLS")
    unique = list(dict.fromkeys(symbols))
    if len(unique) > MAX_SYMBOLS:
        raise InvalidArgumentError(
            f"{len(unique)} symbols requested; the limit is {MAX_SYMBOLS}: split the request",
            code="TOO_MANY_SYMBOLS",
            count=str(len(unique)),
        )
    for symbol in unique:
        _check_symbol(symbol)
    return unique


def _check_symbol(symbol: str) -> None:
    if not _SYMBOL.fullmatch(symbol):
        raise InvalidArgumentError(
            f"{symbol!r} is not an equity ticker (upper case A-Z, 0-9 and '.', at most 10)",
            code="INVALID_SYMBOL",
            symbol=symbol,
        )


def _timeframe(value: str, bar_count: int) -> Timeframe:
    if not value:
        if bar_count > 0:
            raise InvalidArgumentError(
                f"bar_count is {bar_count} but no timeframe was given: set '1h' or '1d'",
                code="MISSING_TIMEFRAME",
            )
        return Timeframe.HOUR_1  # quotes only: the timeframe is not used
    try:
        return Timeframe.parse(value)
    except BarsError as exc:
        raise InvalidArgumentError(exc.message, code=exc.code, timeframe=value) from None


def _expiry(name: str, value: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidArgumentError(
            f"{name} {value!r} is not a YYYY-MM-DD date", code="INVALID_EXPIRY", field=name
        ) from None


def _unavailable_error(exc: DataUnavailable, symbol: str) -> EngineError:
    if exc.code == "UNKNOWN_SYMBOL":
        return NotFoundError(exc.message, code=exc.code, symbol=symbol)
    return FailedPreconditionError(exc.message, code=exc.code, symbol=symbol)


class MarketDataServicer(md_grpc.MarketDataServiceServicer):
    """Serves the engine's market feed over gRPC, point in time at the engine's clock."""

    def __init__(self, feed: MarketFeed, clock: Clock) -> None:
        self._feed = feed
        self._clock = clock

    async def GetSnapshot(  # noqa: N802 - gRPC method names are PascalCase
        self,
        request: md.GetSnapshotRequest,
        context: grpc.aio.ServicerContext[md.GetSnapshotRequest, md.GetSnapshotResponse],
    ) -> md.GetSnapshotResponse:
        async def run() -> md.GetSnapshotResponse:
            symbols = validate_symbols(request.symbols)
            if request.bar_count > MAX_BAR_COUNT:
                raise InvalidArgumentError(
                    f"bar_count {request.bar_count} is above the limit of {MAX_BAR_COUNT}",
                    code="INVALID_BAR_COUNT",
                )
            timeframe = _timeframe(request.timeframe, request.bar_count)
            try:
                view = await build_snapshot(
                    self._feed, symbols, self._clock.now(), request.bar_count, timeframe
                )
            except SnapshotRequestError as exc:
                raise InvalidArgumentError(exc.message, code=exc.code) from None
            return md.GetSnapshotResponse(snapshot=view.proto)

        return await guarded(context, run, "market data")

    async def GetOptionChain(  # noqa: N802
        self,
        request: md.GetOptionChainRequest,
        context: grpc.aio.ServicerContext[md.GetOptionChainRequest, md.GetOptionChainResponse],
    ) -> md.GetOptionChainResponse:
        async def run() -> md.GetOptionChainResponse:
            if not request.underlying:
                raise InvalidArgumentError(
                    "the request names no underlying", code="MISSING_UNDERLYING"
                )
            _check_symbol(request.underlying)
            low = _expiry("min_expiry", request.min_expiry)
            high = _expiry("max_expiry", request.max_expiry)
            if low is not None and high is not None and low > high:
                raise InvalidArgumentError(
                    f"min_expiry {low} is after max_expiry {high}", code="INVALID_EXPIRY_RANGE"
                )
            try:
                chain = await self._feed.option_chain(
                    request.underlying, self._clock.now(), min_expiry=low, max_expiry=high
                )
            except DataUnavailable as exc:
                raise _unavailable_error(exc, request.underlying) from None
            return md.GetOptionChainResponse(
                underlying=chain.underlying,
                underlying_quote=chain.underlying_quote,
                options=chain.options,
                unavailable=chain.unavailable,
            )

        return await guarded(context, run, "market data")

    async def SubscribeMarketData(  # noqa: N802
        self,
        request: md.SubscribeMarketDataRequest,
        context: grpc.aio.ServicerContext[
            md.SubscribeMarketDataRequest, md.SubscribeMarketDataResponse
        ],
    ) -> AsyncIterator[md.SubscribeMarketDataResponse]:
        try:
            symbols = validate_symbols(request.symbols)
            unknown = [s for s in symbols if not self._feed.knows(s)]
            if unknown:
                raise NotFoundError(
                    f"the market feed cannot price {', '.join(unknown)}; subscribe to known "
                    "symbols only",
                    code="UNKNOWN_SYMBOL",
                    symbols=",".join(unknown),
                )
        except EngineError as exc:
            await abort(context, exc)
            return
        quotes = self._feed.stream_quotes(symbols)
        try:
            async for quote in quotes:
                yield md.SubscribeMarketDataResponse(quote=quote)
        finally:
            # Close the feed's generator now that the client has gone, not at GC time.
            close = getattr(quotes, "aclose", None)
            if close is not None:
                await close()
