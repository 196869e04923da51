"""`/ws`: authenticated WebSocket; clients subscribe to channels and receive thin events.

QUOTES and OPTIONS subscriptions name symbols (underlyings for OPTIONS); the market
publisher polls the engine for them while somebody watches (`api.market_publisher`).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from typing import Final

from fastapi import APIRouter, WebSocket, WebSocketDisconnect

from api.auth import authenticate, check_token
from api.context import ApiContext
from api.errors import ApiError
from api.websocket_hub import CHANNELS, MARKET_CHANNELS, Subscriber, parse_command
from cream.market.universe import SYMBOL

router = APIRouter()

# Close codes in the 4000-4999 range are the application's; 4401/4403 mirror HTTP.
_CLOSE_UNAUTHENTICATED = 4401
_CLOSE_FORBIDDEN = 4403
# Symbols one client may watch per market channel (each costs engine calls every poll).
MAX_WATCHED: Final = 50


class CommandError(Exception):
    """A client command that cannot be applied; answered with `{"type": "error", ...}`."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


async def _principal_or_close(websocket: WebSocket, context: ApiContext) -> bool:
    token = websocket.query_params.get("token")
    try:
        if token:
            check_token(token, context)
        else:
            await authenticate(websocket, context)
    except ApiError as exc:
        await websocket.accept()
        await websocket.send_text(
            json.dumps({"type": "error", "code": exc.code, "message": exc.message})
        )
        await websocket.close(_CLOSE_FORBIDDEN if exc.status == 403 else _CLOSE_UNAUTHENTICATED)
        return False
    return True


def _channels(value: object) -> tuple[list[str], list[str]]:
    names = [str(v).upper() for v in value] if isinstance(value, list) else []
    return [n for n in names if n in CHANNELS], [n for n in names if n not in CHANNELS]


def _symbols(value: object) -> set[str] | None:
    """The command's `symbols` (None when absent).

    Raises:
        CommandError: Not a list of tickers.
    """
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise CommandError("INVALID_SYMBOL", "symbols must be a list of tickers like AAPL")
    symbols = {v.strip().upper() for v in value}
    bad = sorted(s for s in symbols if not SYMBOL.match(s))
    if bad:
        raise CommandError("INVALID_SYMBOL", f"not tickers like AAPL or BRK.B: {bad}")
    return symbols


def _subscribed(subscriber: Subscriber) -> str:
    return json.dumps(
        {
            "type": "subscribed",
            "channels": sorted(subscriber.channels),
            "symbols": {c: sorted(subscriber.watching(c)) for c in MARKET_CHANNELS},
        }
    )


def apply_subscription(
    subscriber: Subscriber, action: str, channels: list[str], symbols: set[str] | None
) -> None:
    """Changes what `subscriber` receives.

    `subscribe` adds the channels and, on QUOTES/OPTIONS among them, the symbols;
    `unsubscribe` with symbols stops only those symbols, without symbols the channels.

    Raises:
        CommandError: Symbols without a market channel, or too many symbols watched.
    """
    market = [c for c in channels if c in MARKET_CHANNELS]
    if symbols is not None and not market:
        raise CommandError(
            "SYMBOLS_NEED_MARKET_CHANNEL",
            f"symbols apply to {list(MARKET_CHANNELS)} only; add one of them to channels",
        )
    if action == "subscribe":
        for channel in market:
            wanted = subscriber.symbols[channel] | (symbols or set())
            if len(wanted) > MAX_WATCHED:
                raise CommandError(
                    "TOO_MANY_SYMBOLS",
                    f"at most {MAX_WATCHED} symbols per channel; {channel} would have "
                    f"{len(wanted)}",
                )
        subscriber.channels.update(channels)
        for channel in market:
            subscriber.symbols[channel] |= symbols or set()
        return
    if symbols is not None:
        for channel in market:
            subscriber.symbols[channel] -= symbols
            subscriber.forget(channel, symbols)
        return
    subscriber.channels.difference_update(channels)
    for channel in market:
        subscriber.symbols[channel].clear()
        subscriber.market_error.pop(channel, None)
        subscriber.forget(channel)


@router.websocket("/ws")
async def events_socket(websocket: WebSocket) -> None:
    """Subscribe with `{"action": "subscribe", "channels": ["CYCLES"]}` (or `?channels=`);
    QUOTES/OPTIONS take `"symbols": ["AAPL"]` (or `?symbols=`); unsubscribe likewise;
    `{"action": "ping"}` answers `pong`."""
    context: ApiContext = websocket.app.state.context
    if not await _principal_or_close(websocket, context):
        return
    await websocket.accept()
    subscriber = Subscriber(websocket.send_text)
    context.hub.add(subscriber)
    pump = asyncio.create_task(subscriber.pump())
    try:
        initial = websocket.query_params.get("channels")
        if initial:
            known, _ = _channels(initial.split(","))
            query_symbols = websocket.query_params.get("symbols")
            try:
                symbols = _symbols(query_symbols.split(",")) if query_symbols else None
                apply_subscription(subscriber, "subscribe", known, symbols)
            except CommandError as exc:
                subscriber.offer(_error(exc.code, exc.message))
        subscriber.offer(_subscribed(subscriber))
        context.market.wake()
        while True:
            command = parse_command(await websocket.receive_text())
            if _handle(subscriber, command):
                context.market.wake()
    except WebSocketDisconnect:
        pass
    finally:
        context.hub.remove(subscriber)
        context.market.wake()
        pump.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await pump


def _error(code: str, message: str) -> str:
    return json.dumps({"type": "error", "code": code, "message": message})


def _handle(subscriber: Subscriber, command: dict[str, object] | None) -> bool:
    """Applies one command; returns whether the subscriptions changed."""
    action = command.get("action") if command is not None else None
    if action == "ping":
        subscriber.offer(json.dumps({"type": "pong"}))
        return False
    if action in ("subscribe", "unsubscribe") and command is not None:
        known, unknown = _channels(command.get("channels"))
        if unknown:
            subscriber.offer(
                _error("UNKNOWN_CHANNEL", f"unknown channel(s) {unknown}; use {list(CHANNELS)}")
            )
            return False
        try:
            apply_subscription(subscriber, str(action), known, _symbols(command.get("symbols")))
        except CommandError as exc:
            subscriber.offer(_error(exc.code, exc.message))
            return False
        subscriber.offer(_subscribed(subscriber))
        return True
    subscriber.offer(
        _error(
            "UNKNOWN_COMMAND",
            'send {"action": "subscribe" | "unsubscribe" | "ping", "channels": [...], '
            '"symbols": [...]}',
        )
    )
    return False
