"""Resolve the trading universe for a cycle: a static list, an index's constituents, or a screen.

Sources match the config's `universe` section (`source`, `symbols`, `index`, `screener`):

- ``static``: the configured `symbols`.
- ``index``: the constituents of a named index from a `UniverseCatalog` (loaded from a local
  file: no network).
- ``screener``: a named `ScreenerRules` from the catalog, applied to an index's constituents
  (`ScreenerRules.universe_index`) or to the static `symbols`: minimum average daily volume,
  maximum quoted spread and a price band, measured on the feed as of the cycle.

Every candidate ends up either kept or dropped with a stable reason code; nothing is dropped
silently. Configuration mistakes (an unknown index or screener) raise `UniverseError`.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from types import MappingProxyType
from typing import Any, Protocol

from cream.market.bars import Bars, Timeframe
from cream.market.feed import QuoteBatch
from cream.market.replay import ReplayError

# The config schema's symbol rule.
SYMBOL = re.compile(r"^[A-Z][A-Z0-9.]{0,9}$")


class UniverseError(Exception):
    """A universe that cannot be resolved as configured; `code` is stable."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


@dataclass(frozen=True, slots=True)
class ScreenerRules:
    """Liquidity and price filters; a None bound is not applied.

    Attributes:
        min_avg_volume: minimum mean session volume (shares) over `lookback_days` daily bars.
        max_spread_bps: maximum quoted spread, (ask - bid) / mid, in basis points.
        min_price: minimum mid price.
        max_price: maximum mid price.
        lookback_days: daily bars averaged for the volume rule.
        universe_index: screen this index's constituents instead of the static symbols.
    """

    min_avg_volume: float | None = None
    max_spread_bps: float | None = None
    min_price: float | None = None
    max_price: float | None = None
    lookback_days: int = 20
    universe_index: str | None = None

    def __post_init__(self) -> None:
        for name in ("min_avg_volume", "max_spread_bps", "min_price", "max_price"):
            value = getattr(self, name)
            if value is not None and (
                isinstance(value, bool)
                or not isinstance(value, int | float)
                or not math.isfinite(value)
                or value < 0
            ):
                raise UniverseError("INVALID_SCREENER", f"{name} must be a number >= 0: {value!r}")
        low, high = self.min_price, self.max_price
        if low is not None and high is not None and low > high:
            raise UniverseError("INVALID_SCREENER", f"min_price {low} > max_price {high}")
        if isinstance(self.lookback_days, bool) or not 1 <= self.lookback_days <= 250:
            raise UniverseError(
                "INVALID_SCREENER", f"lookback_days must be 1..250: {self.lookback_days!r}"
            )


@dataclass(frozen=True, slots=True)
class UniverseCatalog:
    """Named index constituent lists and screeners the config may refer to."""

    indices: Mapping[str, tuple[str, ...]] = field(default_factory=lambda: MappingProxyType({}))
    screeners: Mapping[str, ScreenerRules] = field(default_factory=lambda: MappingProxyType({}))

    @classmethod
    def load(cls, path: Path | str) -> UniverseCatalog:
        """Read ``{"indices": {name: [symbols]}, "screeners": {name: {rules}}}`` from JSON.

        Raises:
            UniverseError: CATALOG_NOT_FOUND, MALFORMED_CATALOG or INVALID_SCREENER.
        """
        source = Path(path)
        try:
            data = json.loads(source.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise UniverseError("CATALOG_NOT_FOUND", f"no universe catalog at {source}") from None
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise UniverseError("MALFORMED_CATALOG", f"{source}: {exc}") from None
        if not isinstance(data, dict) or not set(data) <= {"indices", "screeners"}:
            raise UniverseError(
                "MALFORMED_CATALOG", f"{source}: expected an object with indices and screeners"
            )
        indices = _mapping(source, "indices", data.get("indices", {}))
        screeners = _mapping(source, "screeners", data.get("screeners", {}))
        parsed_indices: dict[str, tuple[str, ...]] = {}
        for name, members in indices.items():
            if not isinstance(members, list) or not all(isinstance(m, str) for m in members):
                raise UniverseError(
                    "MALFORMED_CATALOG", f"{source}: index {name!r} must be a list of symbols"
                )
            parsed_indices[name] = tuple(members)
        parsed_screeners: dict[str, ScreenerRules] = {}
        for name, rules in screeners.items():
            try:
                parsed_screeners[name] = ScreenerRules(**_mapping(source, name, rules))
            except TypeError as exc:
                raise UniverseError("MALFORMED_CATALOG", f"{source}: {name}: {exc}") from None
        return cls(MappingProxyType(parsed_indices), MappingProxyType(parsed_screeners))


def load_constituents(path: Path | str) -> tuple[str, ...]:
    """Symbols from a constituent file: one per line, or a CSV whose first column is the symbol.

    Blank lines, ``#`` comments and a header line starting with "symbol" are skipped.

    Raises:
        UniverseError: CONSTITUENTS_NOT_FOUND or MALFORMED_CONSTITUENTS (no symbols at all).
    """
    source = Path(path)
    try:
        lines = source.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        raise UniverseError("CONSTITUENTS_NOT_FOUND", f"no constituent file at {source}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UniverseError("MALFORMED_CONSTITUENTS", f"{source}: {exc}") from None
    symbols = []
    for line in lines:
        cell = line.split("#", 1)[0].split(",", 1)[0].strip()
        if cell and cell.lower() != "symbol":
            symbols.append(cell)
    if not symbols:
        raise UniverseError("MALFORMED_CONSTITUENTS", f"{source} lists no symbols")
    return tuple(symbols)


class ScreenFeed(Protocol):
    """The part of `MarketFeed` the resolver uses: any MarketFeed is one."""

    def knows(self, symbol: str) -> bool:
        """Whether the feed can price ``symbol``."""
        ...

    async def latest_quotes(self, symbols: Sequence[str], as_of: datetime) -> QuoteBatch:
        """The latest quote at or before ``as_of`` for each symbol."""
        ...

    async def bars(
        self, symbol: str, timeframe: Timeframe | str, *, end: datetime, limit: int
    ) -> Bars:
        """The last ``limit`` bars closed by ``end``."""
        ...


class UniverseSource(Protocol):
    """What to resolve; the config's `UniverseSettings` has this shape.

    `source` is "static", "index" or "screener"; `index` and `screener` name catalog entries.
    """

    @property
    def source(self) -> str: ...

    @property
    def symbols(self) -> Sequence[str]: ...

    @property
    def index(self) -> str | None: ...

    @property
    def screener(self) -> str | None: ...


@dataclass(frozen=True, slots=True)
class UniverseSpec:
    """A `UniverseSource` for callers that do not hold a config document."""

    source: str = "static"
    symbols: Sequence[str] = ()
    index: str | None = None
    screener: str | None = None


@dataclass(frozen=True, slots=True)
class Dropped:
    """A candidate left out of the universe, with a stable reason code."""

    symbol: str
    reason_code: str
    message: str


@dataclass(frozen=True, slots=True)
class UniverseResolution:
    """The symbols a cycle trades and the candidates it left out."""

    source: str
    as_of: datetime
    kept: tuple[str, ...]
    dropped: tuple[Dropped, ...]


async def resolve_universe(
    spec: UniverseSource,
    feed: ScreenFeed,
    as_of: datetime,
    catalog: UniverseCatalog | None = None,
) -> UniverseResolution:
    """Candidates from the configured source, minus malformed, repeated, unknown or screened-out.

    Raises:
        UniverseError: UNKNOWN_SOURCE, MISSING_INDEX, UNKNOWN_INDEX, MISSING_SCREENER or
            UNKNOWN_SCREENER.
    """
    catalog = catalog or UniverseCatalog()
    rules: ScreenerRules | None = None
    if spec.source == "static":
        label, candidates = "static", list(spec.symbols)
    elif spec.source == "index":
        label, candidates = f"index:{spec.index}", list(_index(catalog, spec.index))
    elif spec.source == "screener":
        if not spec.screener:
            raise UniverseError("MISSING_SCREENER", "source 'screener' needs a screener name")
        rules = catalog.screeners.get(spec.screener)
        if rules is None:
            known = ", ".join(sorted(catalog.screeners)) or "none"
            raise UniverseError(
                "UNKNOWN_SCREENER", f"screener {spec.screener!r} is not configured (known: {known})"
            )
        label = f"screener:{spec.screener}"
        candidates = (
            list(_index(catalog, rules.universe_index))
            if rules.universe_index
            else list(spec.symbols)
        )
    else:
        raise UniverseError(
            "UNKNOWN_SOURCE", f"universe source {spec.source!r} is not static, index or screener"
        )
    dropped: list[Dropped] = []
    kept: list[str] = []
    seen: set[str] = set()
    for raw in candidates:
        symbol = raw.strip().upper()
        if not SYMBOL.fullmatch(symbol):
            dropped.append(Dropped(raw, "INVALID_SYMBOL", f"{raw!r} is not a ticker"))
        elif symbol in seen:
            dropped.append(Dropped(symbol, "DUPLICATE_SYMBOL", f"{symbol} is listed twice"))
        elif not feed.knows(symbol):
            seen.add(symbol)
            dropped.append(
                Dropped(symbol, "UNKNOWN_SYMBOL", f"the market feed cannot price {symbol}")
            )
        else:
            seen.add(symbol)
            kept.append(symbol)
    if rules is not None:
        kept = await _screen(rules, feed, as_of, kept, dropped)
    return UniverseResolution(label, as_of, tuple(kept), tuple(dropped))


def _index(catalog: UniverseCatalog, name: str | None) -> tuple[str, ...]:
    if not name:
        raise UniverseError("MISSING_INDEX", "source 'index' needs the index name")
    members = catalog.indices.get(name)
    if members is None:
        known = ", ".join(sorted(catalog.indices)) or "none"
        raise UniverseError("UNKNOWN_INDEX", f"index {name!r} is not configured (known: {known})")
    return members


async def _screen(
    rules: ScreenerRules,
    feed: ScreenFeed,
    as_of: datetime,
    symbols: list[str],
    dropped: list[Dropped],
) -> list[str]:
    if not symbols:
        return []
    quotes = await feed.latest_quotes(symbols, as_of)
    passed: list[str] = []
    for symbol in symbols:
        quote = quotes.quotes.get(symbol)
        if quote is None:
            missing = quotes.unavailable.get(symbol)
            why = f"{missing.reason_code}: {missing.message}" if missing else "no quote"
            dropped.append(Dropped(symbol, "NO_QUOTE", f"{symbol} has no quote ({why})"))
            continue
        reason = _price_rules(rules, symbol, float(quote.bid), float(quote.ask))
        if reason is None and rules.min_avg_volume is not None:
            reason = await _volume_rule(rules, rules.min_avg_volume, feed, symbol, as_of)
        if reason is None:
            passed.append(symbol)
        else:
            dropped.append(reason)
    return passed


def _price_rules(rules: ScreenerRules, symbol: str, bid: float, ask: float) -> Dropped | None:
    mid = (bid + ask) / 2
    if not (bid > 0 and ask >= bid):
        return Dropped(symbol, "INVALID_QUOTE", f"{symbol} quote bid {bid} ask {ask} is not sane")
    if rules.min_price is not None and mid < rules.min_price:
        return Dropped(
            symbol, "PRICE_BELOW_MIN", f"{symbol} trades at {mid:.2f} < {rules.min_price:g}"
        )
    if rules.max_price is not None and mid > rules.max_price:
        return Dropped(
            symbol, "PRICE_ABOVE_MAX", f"{symbol} trades at {mid:.2f} > {rules.max_price:g}"
        )
    spread_bps = (ask - bid) / mid * 10_000
    if rules.max_spread_bps is not None and spread_bps > rules.max_spread_bps:
        return Dropped(
            symbol,
            "SPREAD_TOO_WIDE",
            f"{symbol} spread is {spread_bps:.1f} bp > {rules.max_spread_bps:g} bp",
        )
    return None


async def _volume_rule(
    rules: ScreenerRules, minimum: float, feed: ScreenFeed, symbol: str, as_of: datetime
) -> Dropped | None:
    try:
        bars = await feed.bars(symbol, Timeframe.DAY_1, end=as_of, limit=rules.lookback_days)
    except ReplayError as exc:
        return Dropped(
            symbol, "NO_VOLUME_HISTORY", f"no daily bars for {symbol}: {exc.code}: {exc.message}"
        )
    average = float(bars.volume.mean()) if len(bars) else 0.0
    if average < minimum:
        return Dropped(
            symbol,
            "VOLUME_TOO_LOW",
            f"{symbol} averaged {average:,.0f} shares over {len(bars)} sessions < {minimum:,.0f}",
        )
    return None


def _mapping(source: Path, name: str, value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise UniverseError("MALFORMED_CATALOG", f"{source}: {name} must be an object")
    return value
