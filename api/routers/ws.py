"""`/ws`: authenticated WebSocket; clients subscribe to channels and receive thin events."""

from __future__ import annotations

import asyncio
import contextlib
import json

from fastapi import APIRouter, WebSocket, WebSocketDisconnect

from api.auth import authenticate, check_token
from api.context import ApiContext
from api.errors import ApiError
from api.websocket_hub import CHANNELS, Subscriber, parse_command

router = APIRouter()

# Close codes in the 4000-4999 range are the application's; 4401/4403 mirror HTTP.
_CLOSE_UNAUTHENTICATED = 4401
_CLOSE_FORBIDDEN = 4403


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


@router.websocket("/ws")
async def events_socket(websocket: WebSocket) -> None:
    """Subscribe with `{"action": "subscribe", "channels": ["CYCLES"]}` (or `?channels=`);
    unsubscribe likewise; `{"action": "ping"}` answers `pong`."""
    context: ApiContext = websocket.app.state.context
    if not await _principal_or_close(websocket, context):
        return
    await websocket.accept()
    subscriber = Subscriber(websocket.send_text)
    initial = websocket.query_params.get("channels")
    if initial:
        known, _ = _channels(initial.split(","))
        subscriber.channels.update(known)
    context.hub.add(subscriber)
    pump = asyncio.create_task(subscriber.pump())
    try:
        subscriber.offer(
            json.dumps({"type": "subscribed", "channels": sorted(subscriber.channels)})
        )
        while True:
            command = parse_command(await websocket.receive_text())
            await _handle(websocket, subscriber, command)
    except WebSocketDisconnect:
        pass
    finally:
        context.hub.remove(subscriber)
        pump.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await pump


async def _handle(
    websocket: WebSocket, subscriber: Subscriber, command: dict[str, object] | None
) -> None:
    action = command.get("action") if command is not None else None
    if action == "ping":
        subscriber.offer(json.dumps({"type": "pong"}))
        return
    if action in ("subscribe", "unsubscribe") and command is not None:
        known, unknown = _channels(command.get("channels"))
        if unknown:
            subscriber.offer(
                json.dumps(
                    {
                        "type": "error",
                        "code": "UNKNOWN_CHANNEL",
                        "message": f"unknown channel(s) {unknown}; use {list(CHANNELS)}",
                    }
                )
            )
            return
        if action == "subscribe":
            subscriber.channels.update(known)
        else:
            subscriber.channels.difference_update(known)
        subscriber.offer(
            json.dumps({"type": "subscribed", "channels": sorted(subscriber.channels)})
        )
        return
    subscriber.offer(
        json.dumps(
            {
                "type": "error",
                "code": "UNKNOWN_COMMAND",
                "message": 'send {"action": "subscribe" | "unsubscribe" | "ping", ...}',
            }
        )
    )
