"""The agents' tools (seed 000 §6) as plain async functions over the cycle's verified data.

The graph pre-computes most of what agents need into their inputs; these tools let a model
ask for more (another indicator period, a filtered memory query, an option chain, greeks).
Each tool has a pydantic argument model, whose JSON schema is what LLM providers expose, and
answers a JSON-ready dict. Nothing is fetched past `as_of`, a symbol outside the cycle's
universe is refused, and unavailable data is an explicit `ToolError`, never an empty answer.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from types import MappingProxyType
from typing import Annotated, Any, Final, Literal, Protocol

import numpy as np
from google.protobuf import json_format
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from agents.inputs import ContextView, PortfolioView, SymbolContext
from cream.market import indicators as ind
from cream.market.feed import DataUnavailable, OptionChain
from cream.market.options import bs_greeks, implied_vol, years_to_expiry

_Symbol = Annotated[str, Field(pattern=r"^[A-Z][A-Z0-9.]{0,9}$")]
_MAX_CONTRACTS: Final = 60


class ToolError(Exception):
    """A tool call that cannot be answered; `code` is stable, the message says what to do."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


class OptionChainSource(Protocol):
    """Where option_chain reads chains: a `MarketFeed`, or the engine's MarketDataService."""

    async def option_chain(
        self,
        underlying: str,
        as_of: datetime,
        *,
        min_expiry: date | None = None,
        max_expiry: date | None = None,
    ) -> OptionChain:
        """The chain of `underlying` at `as_of` (raises `DataUnavailable`)."""
        ...


@dataclass(frozen=True, slots=True)
class ToolData:
    """What the tools read: the cycle's verified contexts and portfolio, and the feed."""

    as_of: datetime
    contexts: Mapping[str, SymbolContext]
    portfolio: PortfolioView
    # Needed only by option_chain; None means option data is unavailable this cycle.
    feed: OptionChainSource | None = None
    risk_free_rate: float = 0.04


class _Args(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class QuotesArgs(_Args):
    symbols: Annotated[list[_Symbol], Field(min_length=1, max_length=50)]


class IndicatorArgs(_Args):
    symbol: _Symbol
    indicator: Literal["sma", "ema", "rsi", "atr", "macd", "bollinger"]
    period: Annotated[int, Field(ge=2, le=200)] = 14
    # How many of the latest values to return.
    last: Annotated[int, Field(ge=1, le=30)] = 5


class MemoryArgs(_Args):
    symbol: _Symbol
    regime: str | None = None
    action: str | None = None
    min_similarity: Annotated[float, Field(ge=-1, le=1)] = -1.0
    limit: Annotated[int, Field(ge=1, le=20)] = 5


class NewsArgs(_Args):
    symbol: _Symbol
    query: Annotated[str, Field(max_length=200)] = ""


class CalendarArgs(_Args):
    query: Annotated[str, Field(max_length=200)] = ""


class PortfolioArgs(_Args):
    pass


class OptionChainArgs(_Args):
    underlying: _Symbol
    min_expiry: date | None = None
    max_expiry: date | None = None
    max_contracts: Annotated[int, Field(ge=1, le=_MAX_CONTRACTS)] = 30


class GreeksArgs(_Args):
    symbol: _Symbol
    kind: Literal["call", "put"]
    strike: Annotated[float, Field(gt=0, allow_inf_nan=False)]
    expiry: date
    # Give the volatility, or the option's price to imply it from.
    volatility: Annotated[float, Field(gt=0, le=5, allow_inf_nan=False)] | None = None
    option_price: Annotated[float, Field(gt=0, allow_inf_nan=False)] | None = None


def _context(data: ToolData, symbol: str) -> SymbolContext:
    found = data.contexts.get(symbol)
    if found is None:
        raise ToolError(
            "UNKNOWN_SYMBOL",
            f"{symbol} is not in this cycle's universe ({', '.join(sorted(data.contexts))})",
        )
    return found


async def get_quotes(data: ToolData, args: QuotesArgs) -> dict[str, Any]:
    """The snapshot's quote per symbol, or why there is none."""
    result: dict[str, Any] = {}
    for symbol in args.symbols:
        context = data.contexts.get(symbol)
        if context is None:
            result[symbol] = {"unavailable": "UNKNOWN_SYMBOL: not in this cycle's universe"}
        elif context.quote is None:
            gaps = [g for g in context.gaps if g.startswith("quote")]
            result[symbol] = {"unavailable": "; ".join(gaps) or "no quote in the snapshot"}
        else:
            result[symbol] = context.quote.model_dump(mode="json")
    return {"as_of": data.as_of.isoformat(), "quotes": result}


async def recalc_indicator(data: ToolData, args: IndicatorArgs) -> dict[str, Any]:
    """An indicator recomputed over the snapshot's bars with another period."""
    bars = _context(data, args.symbol).bars
    if bars is None or not bars.close:
        raise ToolError("NO_BARS", f"{args.symbol} has no bars in this snapshot")
    high, low, close = (np.asarray(v, dtype=np.float64) for v in (bars.high, bars.low, bars.close))
    try:
        series = _indicator(args, high, low, close)
    except ind.IndicatorInputError as exc:
        raise ToolError(exc.code, exc.message) from exc
    values = {
        name: [None if np.isnan(v) else round(float(v), 6) for v in column[-args.last :]]
        for name, column in series.items()
    }
    return {"symbol": args.symbol, "indicator": args.indicator, "period": args.period, **values}


def _indicator(
    args: IndicatorArgs, high: np.ndarray, low: np.ndarray, close: np.ndarray
) -> dict[str, np.ndarray]:
    n = args.period
    if args.indicator == "sma":
        return {"values": ind.sma(close, n)}
    if args.indicator == "ema":
        return {"values": ind.ema(close, n)}
    if args.indicator == "rsi":
        return {"values": ind.rsi(close, n)}
    if args.indicator == "atr":
        return {"values": ind.atr(high, low, close, n)}
    if args.indicator == "macd":
        # `period` is the slow EMA; fast and signal keep the classic 12/26/9 proportions.
        fast, signal = max(1, round(n * 12 / 26)), max(1, round(n * 9 / 26))
        if fast >= n:
            raise ToolError("INVALID_PERIOD", f"a MACD slow period of {n} is too short")
        found = ind.macd(close, fast, n, signal)
        return {"line": found.line, "signal": found.signal, "histogram": found.histogram}
    bands = ind.bollinger(close, n)
    return {"middle": bands.middle, "upper": bands.upper, "lower": bands.lower}


async def memory_query(data: ToolData, args: MemoryArgs) -> dict[str, Any]:
    """Similar past cases of the symbol, filtered by regime, action and similarity."""
    cases = [
        case
        for case in _context(data, args.symbol).memory
        if (args.regime is None or case.regime == args.regime)
        and (args.action is None or case.action == args.action)
        and case.similarity >= args.min_similarity
    ]
    cases.sort(key=lambda c: (-c.similarity, c.case_id))
    return {
        "symbol": args.symbol,
        "cases": [c.model_dump(mode="json") for c in cases[: args.limit]],
    }


def _search(view: ContextView, query: str) -> dict[str, Any]:
    if not view.available:
        raise ToolError("SOURCE_UNAVAILABLE", f"{view.source}: {view.reason or 'unavailable'}")
    words = [w for w in query.lower().split() if w]
    items = [i for i in view.items if all(w in i.lower() for w in words)]
    return {"source": view.source, "query": query, "items": items}


async def news_search(data: ToolData, args: NewsArgs) -> dict[str, Any]:
    """The symbol's news items containing every word of `query` (all items when empty)."""
    return {"symbol": args.symbol, **_search(_context(data, args.symbol).news, args.query)}


async def economic_calendar(data: ToolData, args: CalendarArgs) -> dict[str, Any]:
    """The economic calendar of the cycle (the same for every symbol), optionally filtered."""
    if not data.contexts:
        raise ToolError("NO_CONTEXT", "this cycle has no symbols, hence no calendar")
    first = data.contexts[min(data.contexts)]
    return _search(first.calendar, args.query)


async def portfolio_state(data: ToolData, args: PortfolioArgs) -> dict[str, Any]:
    """Equity, cash, buying power and positions at the cycle's start."""
    del args
    return data.portfolio.model_dump(mode="json")


async def option_chain(data: ToolData, args: OptionChainArgs) -> dict[str, Any]:
    """Listed contracts of the underlying with quotes, greeks and IV, nearest strikes first."""
    context = _context(data, args.underlying)
    if data.feed is None:
        raise ToolError("NO_OPTIONS_DATA", "no option data source is configured this cycle")
    try:
        chain = await data.feed.option_chain(
            args.underlying, data.as_of, min_expiry=args.min_expiry, max_expiry=args.max_expiry
        )
    except DataUnavailable as exc:
        raise ToolError(exc.code, exc.message) from exc
    spot = context.quote.last if context.quote is not None else float(chain.underlying_quote.last)
    nearest = sorted(
        chain.options,
        key=lambda o: (abs(float(o.contract.strike) - spot), o.contract.occ_symbol),
    )[: args.max_contracts]
    return {
        "underlying": args.underlying,
        "spot": spot,
        "contracts": [json_format.MessageToDict(o) for o in nearest],
        "unpriced": len(chain.unavailable),
    }


async def get_greeks(data: ToolData, args: GreeksArgs) -> dict[str, Any]:
    """Black-Scholes price and greeks of a contract at the snapshot's spot price."""
    context = _context(data, args.symbol)
    if context.quote is None:
        raise ToolError("NO_QUOTE", f"{args.symbol} has no quote, so no spot price")
    spot = context.quote.last
    t = years_to_expiry(args.expiry, data.as_of)
    if t <= 0:
        raise ToolError("EXPIRED", f"{args.expiry} is not after {data.as_of.isoformat()}")
    vol = args.volatility
    if vol is None:
        if args.option_price is None:
            raise ToolError("MISSING_VOLATILITY", "give volatility or option_price")
        vol = implied_vol(args.kind, args.option_price, spot, args.strike, t, data.risk_free_rate)
    found = bs_greeks(args.kind, spot, args.strike, t, data.risk_free_rate, vol)
    return {
        "symbol": args.symbol,
        "spot": spot,
        "years_to_expiry": round(t, 6),
        "volatility": vol,
        "price": found.price,
        "delta": found.delta,
        "gamma": found.gamma,
        "vega": found.vega,
        "theta": found.theta,
        "rho": found.rho,
    }


@dataclass(frozen=True, slots=True)
class Tool:
    """A tool as an LLM provider exposes it: name, description, argument schema, function."""

    name: str
    description: str
    args: type[_Args]
    run: Callable[[ToolData, Any], Awaitable[dict[str, Any]]]

    @property
    def parameters(self) -> dict[str, Any]:
        """The JSON schema of the arguments."""
        return self.args.model_json_schema()


def _tool(
    name: str, args: type[_Args], run: Callable[[ToolData, Any], Awaitable[dict[str, Any]]]
) -> Tool:
    return Tool(name, (run.__doc__ or name).strip().splitlines()[0], args, run)


TOOLS: Final = MappingProxyType(
    {
        t.name: t
        for t in (
            _tool("get_quotes", QuotesArgs, get_quotes),
            _tool("recalc_indicator", IndicatorArgs, recalc_indicator),
            _tool("memory_query", MemoryArgs, memory_query),
            _tool("news_search", NewsArgs, news_search),
            _tool("economic_calendar", CalendarArgs, economic_calendar),
            _tool("portfolio_state", PortfolioArgs, portfolio_state),
            _tool("option_chain", OptionChainArgs, option_chain),
            _tool("get_greeks", GreeksArgs, get_greeks),
        )
    }
)


async def call_tool(name: str, data: ToolData, arguments: Mapping[str, Any]) -> dict[str, Any]:
    """Validate a model's arguments and run the tool.

    Raises:
        ToolError: UNKNOWN_TOOL, INVALID_ARGUMENTS, or the tool's own code.
    """
    tool = TOOLS.get(name)
    if tool is None:
        raise ToolError("UNKNOWN_TOOL", f"{name!r} is not a tool; tools: {', '.join(TOOLS)}")
    try:
        args = tool.args.model_validate(dict(arguments))
    except ValidationError as exc:
        raise ToolError("INVALID_ARGUMENTS", f"{name}: {exc.errors(include_url=False)}") from exc
    return await tool.run(data, args)
