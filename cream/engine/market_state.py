"""Assemble the MarketState the risk core prices a plan at, from the market feed."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from google.protobuf.timestamp_pb2 import Timestamp

from cream.market.feed import MarketFeed
from cream.v1 import common_pb2 as common
from cream.v1 import decision_pb2 as decision
from cream.v1 import execution_pb2 as ex
from cream.v1 import market_snapshot_pb2 as md


def plan_symbols(decisions: Iterable[decision.Decision]) -> tuple[list[str], list[str]]:
    """The equity/underlying symbols and the OCC option symbols a plan needs quotes for."""
    # This runs on every check: touch each protobuf field once (attribute access on upb
    # messages allocates).
    equities: set[str] = set()
    options: set[str] = set()
    for d in decisions:
        instrument = d.instrument
        if symbol := instrument.symbol:
            equities.add(symbol)
        if legs := instrument.legs:
            options.update(leg.occ_symbol for leg in legs)
    options.discard("")
    return sorted(equities), sorted(options)


async def market_state(
    feed: MarketFeed, equities: list[str], options: list[str], now: datetime
) -> ex.MarketState:
    """Quotes for the symbols, greeks for the contracts, and why any could not be priced."""
    stamp = Timestamp()
    stamp.FromDatetime(now)
    quotes: list[md.Quote] = []
    unavailable: list[md.Unavailable] = []
    option_quotes: list[md.OptionQuote] = []
    if equities:
        batch = await feed.latest_quotes(equities, now)
        quotes.extend(batch.quotes.values())
        unavailable.extend(batch.unavailable.values())
    if options:
        chain = await feed.option_quotes(options, now)
        option_quotes.extend(chain.options.values())
        quotes.extend(q.quote for q in option_quotes)
        unavailable.extend(chain.unavailable.values())
    return ex.MarketState(
        now=stamp, quotes=quotes, option_quotes=option_quotes, unavailable=unavailable
    )


async def plan_market_state(
    feed: MarketFeed, plan: decision.DecisionPlan, now: datetime
) -> ex.MarketState:
    """The MarketState for every instrument a plan touches."""
    equities, options = plan_symbols(plan.decisions)
    return await market_state(feed, equities, options, now)


def is_opening(action: common.Action.ValueType) -> bool:
    """Whether an action opens or adds exposure (as opposed to reducing it)."""
    return action in (common.ACTION_BUY, common.ACTION_SELL, common.ACTION_INCREASE)
