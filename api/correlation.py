"""Correlation ids: taken from the `x-correlation-id` request header or generated, kept in
the request scope for logs and error bodies, and echoed on every response."""

from __future__ import annotations

import re
import uuid
from collections.abc import MutableMapping
from typing import Any, Final

from starlette.types import ASGIApp, Message, Receive, Scope, Send

HEADER: Final = "x-correlation-id"
_HEADER_BYTES: Final = HEADER.encode("ascii")
# Accepted as given when it looks like an id; anything else is replaced, never echoed raw.
_VALID: Final = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


def correlation_id_of(scope: MutableMapping[str, Any]) -> str:
    """The correlation id of the request in `scope` (generated if the middleware did not run)."""
    state = scope.setdefault("state", {})
    value = state.get("correlation_id")
    if not isinstance(value, str):
        value = uuid.uuid4().hex
        state["correlation_id"] = value
    return value


class CorrelationMiddleware:
    """Pure ASGI middleware (no per-request task, unlike `BaseHTTPMiddleware`)."""

    def __init__(self, app: ASGIApp) -> None:
        self._app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self._app(scope, receive, send)
            return
        given = ""
        for name, value in scope.get("headers", ()):
            if name == _HEADER_BYTES:
                given = value.decode("latin-1")
                break
        correlation = given if _VALID.match(given) else uuid.uuid4().hex
        scope.setdefault("state", {})["correlation_id"] = correlation
        encoded = correlation.encode("ascii")

        async def send_with_header(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", ()))
                if not any(name.lower() == _HEADER_BYTES for name, _ in headers):
                    headers.append((_HEADER_BYTES, encoded))
                message["headers"] = headers
            await send(message)

        await self._app(scope, receive, send_with_header)
