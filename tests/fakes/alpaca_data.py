"""A fake Alpaca market-data API speaking Alpaca's wire format, for alpaca-py's data clients.

Routes (data.alpaca.markets): `/v2/stocks/bars`, `/v2/stocks/{symbol}/bars`,
`/v2/stocks/quotes/latest`, `/v2/stocks/snapshots`, `/v1beta1/options/snapshots` and
`/v1beta1/options/snapshots/{underlying}`. Field names and nesting follow Alpaca's market-data
API: bars `{t, o, h, l, c, v, n, vw}`, quotes `{t, ax, ap, as, bx, bp, bs, c, z}`, trades
`{t, x, p, s, c, i, z}`, snapshots `{latestTrade, latestQuote, minuteBar, dailyBar,
prevDailyBar}`, option snapshots `{latestQuote, latestTrade, greeks, impliedVolatility}`.
Time-series and chain endpoints page with `limit` and `next_page_token` (pages of at most
`page_size` items). Requests need the `APCA-API-KEY-ID` / `APCA-API-SECRET-KEY` headers (401
otherwise). `fail_next` queues faults (429 with Retry-After, 5xx) served before real answers.
"""

from __future__ import annotations

import base64
from collections import deque
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from cream.market.occ import parse_occ
from tests.fakes.http_server import FakeHttpServer, Handler, Reply, Request

KEY = "PKTESTDATAKEY"
SECRET = "test-data-secret"
_TIMEFRAMES = {"1Hour": "1h", "1Day": "1d", "1H": "1h", "1D": "1d"}


def wire_time(when: datetime) -> str:
    """Alpaca's RFC 3339 timestamps in UTC with a Z."""
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _parse_time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def bar(when: datetime, o: float, h: float, low: float, c: float, v: int) -> dict[str, Any]:
    """One bar as Alpaca sends it."""
    return {"t": wire_time(when), "o": o, "h": h, "l": low, "c": c, "v": v, "n": 10, "vw": c}


def quote(
    when: datetime, bid: float, ask: float, bid_size: int = 3, ask_size: int = 4
) -> dict[str, Any]:
    """One stock quote as Alpaca sends it."""
    return {
        "t": wire_time(when),
        "ax": "V",
        "ap": ask,
        "as": ask_size,
        "bx": "V",
        "bp": bid,
        "bs": bid_size,
        "c": ["R"],
        "z": "C",
    }


def trade(when: datetime, price: float, size: int = 100) -> dict[str, Any]:
    """One trade as Alpaca sends it."""
    return {"t": wire_time(when), "x": "V", "p": price, "s": size, "c": ["@"], "i": 1, "z": "C"}


def option_snapshot(
    when: datetime,
    bid: float,
    ask: float,
    *,
    greeks: dict[str, float] | None,
    iv: float | None,
    last: float | None = None,
) -> dict[str, Any]:
    """One option snapshot as Alpaca sends it (option quote conditions are a string)."""
    body: dict[str, Any] = {
        "latestQuote": {
            "t": wire_time(when),
            "ax": "C",
            "ap": ask,
            "as": 10,
            "bx": "C",
            "bp": bid,
            "bs": 12,
            "c": "A",
        }
    }
    if last is not None:
        body["latestTrade"] = {"t": wire_time(when), "x": "C", "p": last, "s": 1, "c": "I"}
    if greeks is not None:
        body["greeks"] = greeks
    if iv is not None:
        body["impliedVolatility"] = iv
    return body


@dataclass
class Fault:
    """A canned failure answered instead of the next matching request."""

    status: int
    retry_after: str | None = None
    body: Any = None


class FakeAlpacaData:
    """An in-memory market served over Alpaca's market-data endpoints on a loopback port."""

    def __init__(self, *, page_size: int = 1_000, key: str = KEY, secret: str = SECRET) -> None:
        self.page_size = page_size
        self.key = key
        self.secret = secret
        self.bars: dict[tuple[str, str], list[dict[str, Any]]] = {}
        self.quotes: dict[str, dict[str, Any]] = {}
        self.trades: dict[str, dict[str, Any]] = {}
        self.chains: dict[str, dict[str, dict[str, Any]]] = {}
        self.faults: deque[Fault] = deque()
        self.server = FakeHttpServer(
            {
                ("GET", "/v2/stocks/bars"): self._guard(self._multi_bars),
                ("GET", "/v2/stocks/quotes/latest"): self._guard(self._latest_quotes),
                ("GET", "/v2/stocks/snapshots"): self._guard(self._snapshots),
                ("GET", "/v1beta1/options/snapshots"): self._guard(self._option_snapshots),
            }
        )

    # -- set-up ----------------------------------------------------------------------------

    @property
    def url(self) -> str:
        return self.server.url

    def start(self) -> FakeAlpacaData:
        self.server.start()
        return self

    def stop(self) -> None:
        self.server.stop()

    def __enter__(self) -> FakeAlpacaData:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def add_bars(self, symbol: str, timeframe: str, rows: list[dict[str, Any]]) -> None:
        """Bars for `symbol` ("1h" or "1d"), in any order."""
        self.bars.setdefault((symbol, timeframe), []).extend(rows)
        self.bars[(symbol, timeframe)].sort(key=lambda row: row["t"])
        self.server.routes[("GET", f"/v2/stocks/{symbol}/bars")] = self._guard(self._one_bars)

    def set_quote(self, symbol: str, row: dict[str, Any], last: dict[str, Any] | None = None):
        self.quotes[symbol] = row
        if last is not None:
            self.trades[symbol] = last

    def add_option_chain(self, underlying: str, contracts: dict[str, dict[str, Any]]) -> None:
        """List `underlying`'s contracts (OCC symbol -> option snapshot); {} lists none."""
        self.chains.setdefault(underlying, {}).update(contracts)
        self.server.routes[("GET", f"/v1beta1/options/snapshots/{underlying}")] = self._guard(
            self._chain
        )

    def fail_next(self, status: int, *, times: int = 1, retry_after: str | None = None) -> None:
        """Answer the next `times` requests with `status` (and Retry-After on a 429)."""
        body = {"code": 42910000, "message": "too many requests"} if status == 429 else None
        for _ in range(times):
            self.faults.append(Fault(status, retry_after, body or {"message": "internal error"}))

    @property
    def requests(self) -> list[Request]:
        return self.server.requests

    # -- plumbing --------------------------------------------------------------------------

    def _guard(self, handler: Handler) -> Handler:
        def guarded(request: Request) -> Reply:
            if (
                request.headers.get("apca-api-key-id") != self.key
                or request.headers.get("apca-api-secret-key") != self.secret
            ):
                return Reply(401, {"code": 40110000, "message": "request is not authorized"})
            if self.faults:
                fault = self.faults.popleft()
                headers = {"Retry-After": fault.retry_after} if fault.retry_after else {}
                return Reply(fault.status, fault.body, headers)
            return handler(request)

        return guarded

    def _page(self, request: Request, items: list[Any]) -> tuple[list[Any], str | None]:
        token = _one(request, "page_token")
        offset = int(base64.urlsafe_b64decode(token).decode()) if token else 0
        limit = int(_one(request, "limit") or self.page_size)
        size = min(limit, self.page_size)
        page = items[offset : offset + size]
        if offset + len(page) >= len(items):
            return page, None
        return page, base64.urlsafe_b64encode(str(offset + len(page)).encode()).decode()

    # -- stocks ----------------------------------------------------------------------------

    def _series(self, request: Request, symbol: str) -> list[dict[str, Any]]:
        timeframe = _TIMEFRAMES.get(_one(request, "timeframe") or "")
        if timeframe is None:
            return []
        rows = self.bars.get((symbol, timeframe), [])
        start, end = _one(request, "start"), _one(request, "end")
        if start:
            rows = [r for r in rows if _parse_time(r["t"]) >= _parse_time(start)]
        if end:
            rows = [r for r in rows if _parse_time(r["t"]) <= _parse_time(end)]
        return list(reversed(rows)) if _one(request, "sort") == "desc" else rows

    def _multi_bars(self, request: Request) -> Reply:
        symbols = _symbols(request)
        if not symbols or not _one(request, "timeframe"):
            return Reply(422, {"code": 42210000, "message": "invalid request"})
        flat = [(s, row) for s in symbols for row in self._series(request, s)]
        page, token = self._page(request, flat)
        grouped: dict[str, list[dict[str, Any]]] = {}
        for symbol, row in page:
            grouped.setdefault(symbol, []).append(row)
        return Reply(200, {"bars": grouped, "next_page_token": token})

    def _one_bars(self, request: Request) -> Reply:
        symbol = request.path.split("/")[3]
        page, token = self._page(request, self._series(request, symbol))
        return Reply(200, {"bars": page, "symbol": symbol, "next_page_token": token})

    def _latest_quotes(self, request: Request) -> Reply:
        found = {s: self.quotes[s] for s in _symbols(request) if s in self.quotes}
        return Reply(200, {"quotes": found})

    def _snapshots(self, request: Request) -> Reply:
        body: dict[str, Any] = {}
        for symbol in _symbols(request):
            if symbol not in self.quotes and symbol not in self.trades:
                continue
            entry: dict[str, Any] = {}
            if symbol in self.quotes:
                entry["latestQuote"] = self.quotes[symbol]
            if symbol in self.trades:
                entry["latestTrade"] = self.trades[symbol]
            hourly = self.bars.get((symbol, "1d")) or []
            if hourly:
                entry["dailyBar"] = hourly[-1]
            if len(hourly) > 1:
                entry["prevDailyBar"] = hourly[-2]
            body[symbol] = entry
        return Reply(200, body)

    # -- options ---------------------------------------------------------------------------

    def _chain(self, request: Request) -> Reply:
        underlying = request.path.rsplit("/", 1)[1]
        low, high = _one(request, "expiration_date_gte"), _one(request, "expiration_date_lte")
        items = []
        for occ, snap in sorted(self.chains.get(underlying, {}).items()):
            expiry = parse_occ(occ).expiry.isoformat()
            if (low and expiry < low) or (high and expiry > high):
                continue
            items.append((occ, snap))
        page, token = self._page(request, items)
        return Reply(200, {"snapshots": dict(page), "next_page_token": token})

    def _option_snapshots(self, request: Request) -> Reply:
        every = {occ: s for chain in self.chains.values() for occ, s in chain.items()}
        found = {occ: every[occ] for occ in _symbols(request) if occ in every}
        return Reply(200, {"snapshots": found, "next_page_token": None})


def _one(request: Request, name: str) -> str | None:
    values = request.query.get(name)
    return values[0] if values else None


def _symbols(request: Request) -> list[str]:
    raw = _one(request, "symbols") or ""
    return [s for s in raw.split(",") if s]
