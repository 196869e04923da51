"""Assemble the MarketState the risk core prices a plan at, from the market feed."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from google.protobuf.timestamp_pb2 import Timestamp

from cream.market.feed import MarketFeed
from cream.v1 import common_pb2 as common
from cream.v1 import decision_pb2 as decision
from cream.v1 import execution_pb2 as ex


def plan_symbols(decisions: Iterable[decision.Decision]) -> tuple[list[str], list[str]]:
    """The equity/underlying symbols and the OCC option symbols a plan needs quotes for."""
    equities: set[str] = set()
    options: set[str] = set()
    for d in decisions:
        if d.instrument.symbol:
            equities.add(d.instrument.symbol)
        options.update(leg.occ_symbol for leg in d.instrument.legs if leg.occ_symbol)
    return sorted(equities), sorted(options)


async def market_state(
    feed: MarketFeed, equities: list[str], options: list[str], now: datetime
) -> ex.MarketState:
    """Quotes for the symbols, greeks for the contracts, and why any could not be priced."""
    stamp = Timestamp()
    stamp.FromDatetime(now)
    state = ex.MarketState(now=stamp)
    if equities:
        quotes = await feed.latest_quotes(equities, now)
        state.quotes.extend(quotes.quotes[s] for s in sorted(quotes.quotes))
        state.unavailable.extend(quotes.unavailable[s] for s in sorted(quotes.unavailable))
    if options:
        chain = await feed.option_quotes(options, now)
        state.option_quotes.extend(chain.options[s] for s in sorted(chain.options))
        state.quotes.extend(chain.options[s].quote for s in sorted(chain.options))
        state.unavailable.extend(chain.unavailable[s] for s in sorted(chain.unavailable))
    return state


async def plan_market_state(
    feed: MarketFeed, plan: decision.DecisionPlan, now: datetime
) -> ex.MarketState:
    """The MarketState for every instrument a plan touches."""
    equities, options = plan_symbols(plan.decisions)
    return await market_state(feed, equities, options, now)


def is_opening(action: common.Action.ValueType) -> bool:
    """Whether an action opens or adds exposure (as opposed to reducing it)."""
    return action in (common.ACTION_BUY, common.ACTION_SELL, common.ACTION_INCREASE)
