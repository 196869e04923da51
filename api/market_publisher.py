"""`MarketPublisher`: the QUOTES and OPTIONS `/ws` channels, fed by polling the engine.

While at least one client watches some symbols on QUOTES (or underlyings on OPTIONS), the
publisher asks the engine's MarketDataService every `interval` seconds (GetSnapshot for all
watched quotes in one call, GetOptionChain per watched underlying) and offers each client
the values that changed since it was last told (a new watcher gets the current values
first). When nobody watches, it waits and calls nothing. An engine that cannot be reached
becomes one `market.error` message per client and channel (repeated only if the error
changes), then one `market.recovered` when it answers again; the publisher never stops.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Iterable
from typing import Any, Final, Protocol

import grpc

from api.websocket_hub import MARKET_CHANNELS, EventHub, Subscriber
from cream.clock import Clock
from cream.engine.client import EngineCallError
from cream.v1 import common_pb2 as common
from cream.v1 import market_snapshot_pb2 as md

log = logging.getLogger(__name__)

# Engine-wide failures: the engine (or its feed) is down, not one symbol unknown.
_ENGINE_DOWN: Final = frozenset(
    {
        grpc.StatusCode.UNAVAILABLE,
        grpc.StatusCode.DEADLINE_EXCEEDED,
        grpc.StatusCode.RESOURCE_EXHAUSTED,
        grpc.StatusCode.INTERNAL,
        grpc.StatusCode.UNKNOWN,
    }
)
# Option chains fetched at once, so a large watch list does not flood the engine.
CHAIN_CONCURRENCY: Final = 4
# The shortest pause between polls: a client that keeps changing its subscriptions (each
# change wakes the publisher) cannot turn the poll into a busy loop against the engine.
MIN_GAP_SECONDS: Final = 0.2
QUOTE_ITEM: Final = "quote"


class MarketSource(Protocol):
    """The engine's market RPCs (`api.engine.EngineGateway`)."""

    async def snapshot(
        self, symbols: list[str], *, bar_count: int = 0, timeframe: str = ""
    ) -> md.MarketSnapshot:
        """Quotes of `symbols` and what could not be priced."""
        ...

    async def option_chain(self, underlying: str) -> md.GetOptionChainResponse:
        """The chain of `underlying`."""
        ...


class MarketPublisher:
    """Polls the engine for the symbols clients watch and publishes the changes.

    Args:
        hub: The `/ws` hub whose clients are served.
        source: The engine's market RPCs.
        clock: Timestamps of the messages.
        interval: Seconds between polls while somebody watches.
    """

    def __init__(
        self, hub: EventHub, source: MarketSource, *, clock: Clock, interval: float
    ) -> None:
        self._hub = hub
        self._source = source
        self._clock = clock
        self._interval = interval
        self._demand = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self.polls = 0
        self.idle = asyncio.Event()

    def wake(self) -> None:
        """A subscription changed: poll now (new symbols get their values at once)."""
        self._demand.set()

    def watched(self) -> dict[str, set[str]]:
        """Market channel → the union of the symbols the connected clients watch."""
        union: dict[str, set[str]] = {channel: set() for channel in MARKET_CHANNELS}
        for subscriber in self._hub.connected():
            for channel in MARKET_CHANNELS:
                union[channel] |= subscriber.watching(channel)
        return union

    async def start(self) -> None:
        """Starts the polling task (it waits until somebody watches)."""
        self._task = asyncio.create_task(self._run(), name="cream-api-market-publisher")

    async def stop(self) -> None:
        """Stops polling."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def poll_once(self) -> bool:
        """One round of engine calls for what is watched; False (no call made) when nothing is."""
        wanted = self.watched()
        if not any(wanted.values()):
            return False
        self.polls += 1
        await asyncio.gather(
            self._poll_quotes(sorted(wanted["QUOTES"])),
            self._poll_options(sorted(wanted["OPTIONS"])),
        )
        return True

    async def _run(self) -> None:
        while True:
            self._demand.clear()
            try:
                active = await self.poll_once()
            except Exception:
                # A bug in one round must not end the channel for every client.
                log.exception("market publisher: a poll failed; retrying")
                active = True
            if active:
                self.idle.clear()
                gap = min(self._interval, MIN_GAP_SECONDS)
                await asyncio.sleep(gap)
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(self._interval - gap):
                        await self._demand.wait()
            else:
                self.idle.set()
                await self._demand.wait()

    async def _poll_quotes(self, symbols: list[str]) -> None:
        if not symbols:
            return
        try:
            snapshot = await self._source.snapshot(symbols)
        except EngineCallError as exc:
            self._engine_error("QUOTES", exc)
            return
        self._recovered("QUOTES")
        quotes = {entry.symbol: entry.quote for entry in snapshot.symbols}
        missing = {u.symbol: u for u in snapshot.unavailable}
        for subscriber in self._hub.connected():
            for symbol in sorted(subscriber.watching("QUOTES")):
                if symbol in quotes:
                    payload = _quote(quotes[symbol])
                    fingerprint = _fingerprint(
                        {k: v for k, v in payload.items() if k != "timestamp"}
                    )
                    self._offer_if_changed(
                        subscriber, "QUOTES", symbol, QUOTE_ITEM, fingerprint, "quote", payload
                    )
                elif symbol in missing:
                    payload = _unavailable(missing[symbol])
                    self._offer_if_changed(
                        subscriber,
                        "QUOTES",
                        symbol,
                        QUOTE_ITEM,
                        _fingerprint(payload),
                        "quote.unavailable",
                        payload,
                    )

    async def _poll_options(self, underlyings: list[str]) -> None:
        if not underlyings:
            return
        limit = asyncio.Semaphore(CHAIN_CONCURRENCY)

        async def fetch(underlying: str) -> md.GetOptionChainResponse | EngineCallError:
            async with limit:
                try:
                    return await self._source.option_chain(underlying)
                except EngineCallError as exc:
                    return exc

        results = dict(
            zip(underlyings, await asyncio.gather(*map(fetch, underlyings)), strict=True)
        )
        down = next(
            (r for r in results.values() if isinstance(r, EngineCallError) and _is_down(r)), None
        )
        if down is not None:
            self._engine_error("OPTIONS", down)
            return
        self._recovered("OPTIONS")
        for subscriber in self._hub.connected():
            for underlying in sorted(subscriber.watching("OPTIONS")):
                result = results.get(underlying)
                if isinstance(result, EngineCallError):
                    payload = {
                        "symbol": underlying,
                        "reason_code": result.code,
                        "message": result.info.message or str(result),
                    }
                    self._offer_if_changed(
                        subscriber,
                        "OPTIONS",
                        underlying,
                        "chain",
                        _fingerprint(payload),
                        "option_chain.unavailable",
                        payload,
                    )
                elif result is not None:
                    self._offer_chain(subscriber, underlying, result)

    def _offer_chain(
        self, subscriber: Subscriber, underlying: str, chain: md.GetOptionChainResponse
    ) -> None:
        """Offers the contracts whose values changed (all of them to a new watcher)."""
        seen = subscriber.market_seen.setdefault(("OPTIONS", underlying), {})
        contracts = [_option(option) for option in chain.options]
        changed = [c for c in contracts if seen.get(c["occ_symbol"]) != _fingerprint(c)]
        under = _quote(chain.underlying_quote)
        under_print = _fingerprint({k: v for k, v in under.items() if k != "timestamp"})
        unavailable = [_unavailable(u) for u in chain.unavailable]
        missing_print = _fingerprint(unavailable)
        if (
            not changed
            and seen.get(QUOTE_ITEM) == under_print
            and seen.get("unavailable") == missing_print
        ):
            return
        first = not seen
        payload = {
            "underlying": chain.underlying or underlying,
            "underlying_quote": under,
            "options": changed,
            "unavailable": unavailable,
            # True when `options` is the whole chain, not only what changed.
            "complete": first or len(changed) == len(contracts),
        }
        if subscriber.offer(self._message("OPTIONS", "option_chain", underlying, payload)):
            seen.update({c["occ_symbol"]: _fingerprint(c) for c in changed})
            seen[QUOTE_ITEM] = under_print
            seen["unavailable"] = missing_print

    def _offer_if_changed(
        self,
        subscriber: Subscriber,
        channel: str,
        symbol: str,
        item: str,
        fingerprint: str,
        kind: str,
        payload: dict[str, Any],
    ) -> None:
        seen = subscriber.market_seen.setdefault((channel, symbol), {})
        if seen.get(item) == fingerprint:
            return
        if subscriber.offer(self._message(channel, kind, symbol, payload)):
            seen[item] = fingerprint

    def _engine_error(self, channel: str, exc: EngineCallError) -> None:
        """One `market.error` per client for an engine failure (again only if it changes)."""
        code = "ENGINE_UNAVAILABLE" if _is_down(exc) else exc.code
        log.warning("market publisher: %s poll failed: %s", channel, exc)
        for subscriber in self._watchers(channel):
            if subscriber.market_error.get(channel) == code:
                continue
            payload = {
                "severity": "error",
                "code": code,
                "message": (
                    f"live {channel.lower()} paused: the engine did not answer "
                    f"({exc.status.name}: {exc.info.message or exc.code}); retrying every "
                    f"{self._interval:g} s"
                ),
                "grpc_status": exc.status.name,
                "symbols": sorted(subscriber.watching(channel)),
            }
            if subscriber.offer(self._message(channel, "market.error", None, payload)):
                subscriber.market_error[channel] = code

    def _recovered(self, channel: str) -> None:
        for subscriber in self._watchers(channel):
            if subscriber.market_error.pop(channel, None) is not None:
                payload = {"severity": "info", "message": f"live {channel.lower()} resumed"}
                subscriber.offer(self._message(channel, "market.recovered", None, payload))

    def _watchers(self, channel: str) -> Iterable[Subscriber]:
        return (s for s in self._hub.connected() if s.watching(channel))

    def _message(self, channel: str, kind: str, symbol: str | None, payload: dict[str, Any]) -> str:
        return json.dumps(
            {
                "channel": channel,
                "type": kind,
                "symbol": symbol,
                "ts": self._clock.now().isoformat().replace("+00:00", "Z"),
                "payload": payload,
            },
            separators=(",", ":"),
        )


def _is_down(exc: EngineCallError) -> bool:
    return exc.status in _ENGINE_DOWN


def _fingerprint(value: object) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


def _timestamp(quote: md.Quote) -> str | None:
    stamp = quote.timestamp
    if stamp.seconds == 0 and stamp.nanos == 0:
        return None
    return stamp.ToJsonString()


def _quote(quote: md.Quote) -> dict[str, Any]:
    return {
        "symbol": quote.symbol,
        "bid": quote.bid,
        "ask": quote.ask,
        "last": quote.last,
        "bid_size": quote.bid_size,
        "ask_size": quote.ask_size,
        "timestamp": _timestamp(quote),
        "modeled": quote.modeled or None,
    }


def _unavailable(entry: md.Unavailable) -> dict[str, Any]:
    return {"symbol": entry.symbol, "reason_code": entry.reason_code, "message": entry.message}


def _option(option: md.OptionQuote) -> dict[str, Any]:
    contract = option.contract
    greeks = option.greeks
    return {
        "occ_symbol": contract.occ_symbol,
        "underlying": contract.underlying,
        "option_type": common.OptionType.Name(contract.option_type).removeprefix("OPTION_TYPE_"),
        "strike": contract.strike,
        "expiry": contract.expiry,
        "bid": option.quote.bid,
        "ask": option.quote.ask,
        "last": option.quote.last,
        "implied_volatility": option.implied_volatility,
        "open_interest": option.open_interest,
        "greeks": {
            "delta": greeks.delta,
            "gamma": greeks.gamma,
            "vega": greeks.vega,
            "theta": greeks.theta,
            "rho": greeks.rho,
        },
    }
