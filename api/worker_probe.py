"""`WorkerProbe`: asks the worker's `GET /health` (at `CREAM_WORKER_LISTEN`) for the dashboard.

The API and the worker never import each other; they meet over this HTTP call only. A worker
that does not answer is a state to show, not an API failure, so the probe never raises: it
returns `unreachable` (no answer) or `invalid` (an answer that is not worker health).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Final, Literal

import httpx

WorkerStatus = Literal["ok", "degraded", "unavailable", "unreachable", "invalid"]
# What the worker itself reports (worker/health.py); anything else is not its health body.
_REPORTED: Final = ("ok", "degraded", "unavailable")
# A wildcard listen address is reached on loopback (the API runs beside the worker).
_WILDCARDS: Final = {"0.0.0.0": "127.0.0.1", "::": "[::1]", "[::]": "[::1]"}  # noqa: S104


@dataclass(frozen=True, slots=True)
class WorkerHealthResult:
    """What the probe found."""

    status: WorkerStatus
    url: str
    http_status: int | None
    latency_ms: float
    error: str | None
    report: dict[str, Any] | None


def health_url(listen: str) -> str:
    """`http://host:port/health` of a `HOST:PORT` listen address.

    Raises:
        ValueError: `listen` is not HOST:PORT.
    """
    host, sep, port = listen.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 < int(port) <= 65535:
        raise ValueError(f"CREAM_WORKER_LISTEN must be HOST:PORT, got {listen!r}")
    return f"http://{_WILDCARDS.get(host, host)}:{int(port)}/health"


class WorkerProbe:
    """Reads the worker's health over HTTP.

    Args:
        listen: The worker's `HOST:PORT` (the `cream_worker_listen` setting).
        timeout: Deadline of one probe in seconds.
        transport: The HTTP transport (default: real sockets).
    """

    def __init__(
        self,
        listen: str,
        *,
        timeout: float,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._listen = listen
        try:
            self._url: str | None = health_url(listen)
            self._setting_error: str | None = None
        except ValueError as exc:
            self._url, self._setting_error = None, str(exc)
        self._client = httpx.AsyncClient(timeout=timeout, transport=transport)

    @property
    def url(self) -> str:
        """The probed URL (or the malformed setting)."""
        return self._url or self._listen

    async def check(self) -> WorkerHealthResult:
        """One probe; never raises."""
        if self._url is None:
            return self._result("unreachable", None, 0.0, self._setting_error, None)
        start = time.perf_counter()
        try:
            response = await self._client.get(self._url)
        except httpx.HTTPError as exc:
            reason = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
            message = (
                f"the worker at {self._url} did not answer ({reason}); is `cream worker` running?"
            )
            return self._result("unreachable", None, _since(start), message, None)
        elapsed = _since(start)
        try:
            body = response.json()
        except ValueError:
            body = None
        status = body.get("status") if isinstance(body, dict) else None
        if not isinstance(body, dict) or status not in _REPORTED or "worker_id" not in body:
            message = (
                f"{self._url} answered HTTP {response.status_code} with a body that is not the "
                f"worker's health report; is CREAM_WORKER_LISTEN the worker's address?"
            )
            return self._result("invalid", response.status_code, elapsed, message, None)
        error = None if status == "ok" else _first_error(body)
        return self._result(status, response.status_code, elapsed, error, body)

    async def close(self) -> None:
        """Closes the HTTP client."""
        await self._client.aclose()

    def _result(
        self,
        status: WorkerStatus,
        http_status: int | None,
        latency_ms: float,
        error: str | None,
        report: dict[str, Any] | None,
    ) -> WorkerHealthResult:
        return WorkerHealthResult(status, self.url, http_status, latency_ms, error, report)


def _since(start: float) -> float:
    return round((time.perf_counter() - start) * 1000, 2)


def _first_error(body: dict[str, Any]) -> str | None:
    """A one-line reason for a degraded worker: its own errors, else its failing checks."""
    errors = body.get("errors")
    if isinstance(errors, dict) and errors:
        name, text = next(iter(errors.items()))
        return f"{name}: {text}"
    checks = body.get("checks")
    if isinstance(checks, dict):
        failing = sorted(k for k, v in checks.items() if isinstance(v, dict) and not v.get("ok"))
        if failing:
            return f"checks failing: {', '.join(failing)}"
    return None
