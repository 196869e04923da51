"""The risk checks written plainly in Python: the reference the Rust core is measured against.

It does the same work per check as the core (decode the plan and market, validate every
decision, price it conservatively, apply it to a working copy of the portfolio, run the
per-instrument, portfolio, Greeks, buying-power, sector, stop, reward/risk, collar and
conflict checks) with Decimal arithmetic, holding the portfolio decoded between checks.
It is kept out of the product on purpose.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from cream.v1 import common_pb2 as c
from cream.v1 import decision_pb2 as d
from cream.v1 import execution_pb2 as ex

_SYMBOL = re.compile(r"^[A-Z][A-Z0-9.]{0,9}$")
_OPENING = {c.ACTION_BUY, c.ACTION_SELL, c.ACTION_INCREASE}


@dataclass
class Violation:
    code: str
    decision_id: str
    message: str


def _dec(text: str) -> Decimal:
    try:
        value = Decimal(text)
    except InvalidOperation as exc:
        raise ValueError(f"INVALID_DECIMAL {text!r}") from exc
    if not value.is_finite():
        raise ValueError(f"INVALID_DECIMAL {text!r}")
    return value


class ReferenceRisk:
    def __init__(self, policy: ex.RiskPolicy, portfolio: ex.PortfolioState) -> None:
        self.p = policy
        self.max_notional = _dec(policy.per_instrument.max_notional)
        self.max_units = _dec(policy.per_instrument.max_units)
        self.max_pct = _dec(policy.per_instrument.max_equity_pct)
        self.max_gross = _dec(policy.portfolio.max_gross_notional)
        self.max_net = _dec(policy.portfolio.max_net_notional)
        self.max_lev = _dec(policy.portfolio.max_leverage)
        self.risk_pct = _dec(policy.sizing.max_risk_per_trade_pct)
        self.min_rr = _dec(policy.sizing.min_reward_risk)
        self.sector_pct = _dec(policy.concentration.max_sector_pct)
        self.collar = _dec(policy.execution.price_collar_pct)
        self.buffer = _dec(policy.execution.market_order_buffer_pct)
        self.sectors = dict(policy.concentration.sector_by_symbol)
        self.equity = _dec(portfolio.account.equity)
        self.buying_power = _dec(portfolio.account.buying_power)
        self.positions: dict[str, Decimal] = {}
        self.prices: dict[str, Decimal] = {}
        for pos in portfolio.positions:
            self.positions[pos.underlying or pos.symbol] = _dec(pos.quantity)
            self.prices[pos.underlying or pos.symbol] = _dec(pos.market_price)

    def _validate(self, plan: d.DecisionPlan) -> None:
        if not plan.decisions:
            raise ValueError("PLAN_EMPTY")
        seen = set()
        for dec in plan.decisions:
            if dec.decision_id in seen:
                raise ValueError("DUPLICATE_DECISION_ID")
            seen.add(dec.decision_id)
            if dec.action not in c.Action.values() or dec.action == 0:
                raise ValueError("UNSPECIFIED_ENUM")
            if not _SYMBOL.match(dec.instrument.symbol):
                raise ValueError("INVALID_SYMBOL")
            size = _dec(dec.size.value)
            if size <= 0 or size != size.to_integral_value():
                raise ValueError("INVALID_QUANTITY")
            for text in (dec.risk_levels.stop_loss, dec.risk_levels.take_profit):
                if text and _dec(text) <= 0:
                    raise ValueError("INVALID_PRICE")
            if len(dec.instrument.legs) > 4:
                raise ValueError("TOO_MANY_LEGS")
            legs = set()
            for leg in dec.instrument.legs:
                if not leg.expiry or leg.occ_symbol in legs or leg.ratio == 0:
                    raise ValueError("INVALID_LEG")
                legs.add(leg.occ_symbol)
            if math.isnan(dec.confidence) or not 0 <= dec.confidence <= 1:
                raise ValueError("CONFIDENCE_OUT_OF_RANGE")

    def check(self, plan_bytes: bytes, market_bytes: bytes) -> list[Violation]:
        plan = d.DecisionPlan.FromString(plan_bytes)
        market = ex.MarketState.FromString(market_bytes)
        self._validate(plan)
        quotes = {q.symbol: (_dec(q.bid), _dec(q.ask)) for q in market.quotes}
        greeks = {o.contract.occ_symbol: o.greeks for o in market.option_quotes}
        positions = dict(self.positions)
        prices = dict(self.prices)
        gross = sum((abs(q) * prices[s] for s, q in positions.items()), Decimal(0))
        net = sum((q * prices[s] for s, q in positions.items()), Decimal(0))
        sector_gross: dict[str, Decimal] = {}
        for s, q in positions.items():
            sector = self.sectors.get(s, "UNKNOWN")
            sector_gross[sector] = sector_gross.get(sector, Decimal(0)) + abs(q) * prices[s]
        spent = Decimal(0)
        delta = Decimal(0)
        seen_symbols: set[str] = set()
        out: list[Violation] = []
        for dec in plan.decisions:
            did, sym = dec.decision_id, dec.instrument.symbol
            if dec.action in (c.ACTION_HOLD, c.ACTION_NO_TRADE):
                continue
            if sym in seen_symbols:
                out.append(Violation("CONFLICTING_DECISIONS", did, f"second decision on {sym}"))
            seen_symbols.add(sym)
            qty = _dec(dec.size.value)
            buying = dec.action == c.ACTION_BUY
            if dec.instrument.legs:
                mult = Decimal(100)
                ref = Decimal(0)
                for leg in dec.instrument.legs:
                    bid, ask = quotes[leg.occ_symbol]
                    ref += (ask if leg.side == c.ORDER_SIDE_BUY else -bid) * leg.ratio
                    g = greeks[leg.occ_symbol]
                    sign = 1 if leg.side == c.ORDER_SIDE_BUY else -1
                    delta += Decimal(repr(g.delta)) * sign * leg.ratio * qty * mult
                under_bid, under_ask = quotes[sym]
                entry = (under_bid + under_ask) / 2
                if dec.order_plan.limit_price:
                    limit = _dec(dec.order_plan.limit_price)
                    if abs(limit - ref) > abs(ref) * self.collar + Decimal("0.05"):
                        out.append(Violation("PRICE_OUTSIDE_COLLAR", did, "limit far from mid"))
                notional = abs(ref) * qty * mult
            else:
                if sym not in quotes:
                    out.append(Violation("QUOTE_UNAVAILABLE", did, f"no quote for {sym}"))
                    continue
                bid, ask = quotes[sym]
                mid = (bid + ask) / 2
                if dec.order_plan.order_type == c.ORDER_TYPE_MARKET:
                    ref = ask * (1 + self.buffer) if buying else bid * (1 - self.buffer)
                else:
                    ref = _dec(dec.order_plan.limit_price)
                    if abs(ref - mid) > mid * self.collar:
                        out.append(Violation("PRICE_OUTSIDE_COLLAR", did, "limit far from mid"))
                entry = ref
                notional = qty * ref
                signed = qty if buying else -qty
                old = positions.get(sym, Decimal(0))
                new = old + signed
                positions[sym] = new
                prices[sym] = ref
                if abs(new) > self.max_units:
                    out.append(Violation("MAX_UNITS_EXCEEDED", did, f"{new} units"))
                if abs(new) * ref > self.max_notional:
                    out.append(Violation("MAX_NOTIONAL_EXCEEDED", did, f"{abs(new) * ref}"))
                if abs(new) * ref > self.max_pct * self.equity:
                    out.append(Violation("MAX_EQUITY_PCT_EXCEEDED", did, "too large"))
                gross += abs(new) * ref - abs(old) * ref
                net += signed * ref
                found = self.sectors.get(sym)
                if found is None:
                    out.append(Violation("UNKNOWN_SECTOR", did, f"{sym} has no sector"))
                else:
                    sector_gross[found] = sector_gross.get(found, Decimal(0)) + notional
                    if sector_gross[found] > self.sector_pct * self.equity:
                        out.append(Violation("MAX_SECTOR_PCT_EXCEEDED", did, found))
            if dec.action in _OPENING:
                spent += notional
                if spent > self.buying_power:
                    out.append(Violation("INSUFFICIENT_BUYING_POWER", did, f"{spent}"))
                stop_text = dec.risk_levels.stop_loss
                if not stop_text:
                    out.append(Violation("MISSING_STOP_LOSS", did, "no stop"))
                    continue
                stop = _dec(stop_text)
                long = dec.direction == c.DIRECTION_LONG
                if (stop >= entry) if long else (stop <= entry):
                    out.append(Violation("STOP_WRONG_SIDE", did, "stop on the wrong side"))
                    continue
                risk = abs(entry - stop)
                if not dec.instrument.legs and risk * qty > self.risk_pct * self.equity:
                    out.append(Violation("MAX_RISK_PER_TRADE", did, "risk too large"))
                if dec.risk_levels.take_profit:
                    reward = abs(_dec(dec.risk_levels.take_profit) - entry)
                    if risk > 0 and reward / risk < self.min_rr:
                        out.append(Violation("REWARD_RISK_TOO_LOW", did, f"{reward / risk}"))
                else:
                    out.append(Violation("MISSING_TAKE_PROFIT", did, "no target"))
        if gross > self.max_gross:
            out.append(Violation("MAX_GROSS_NOTIONAL_EXCEEDED", "", f"{gross}"))
        if abs(net) > self.max_net:
            out.append(Violation("MAX_NET_NOTIONAL_EXCEEDED", "", f"{net}"))
        if gross / self.equity > self.max_lev:
            out.append(Violation("MAX_LEVERAGE_EXCEEDED", "", "leverage"))
        if abs(delta) > Decimal(repr(self.p.options.max_portfolio_delta)):
            out.append(Violation("MAX_PORTFOLIO_DELTA", "", f"{delta}"))
        return out
