"""`/health`: the process, the database and the engine, for supervisors and the dashboard.

Unauthenticated on purpose (process supervisors probe it); it reveals only up/down states.
"""

from __future__ import annotations

import asyncio
import time
from typing import Literal

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict

from api.deps import Context
from cream.engine.client import EngineCallError
from cream.storage.errors import StorageError

router = APIRouter(tags=["system"])

CHECK_TIMEOUT_SECONDS = 2.0


class Check(BaseModel):
    """One dependency's state."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    status: Literal["ok", "down"]
    latency_ms: float
    error: str | None = None


class Health(BaseModel):
    """`ok` when every check passes, else `degraded`; the HTTP status is 200 or 503."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    status: Literal["ok", "degraded"]
    environment: str
    uptime_s: float
    checks: dict[str, Check]
    websocket_clients: int


async def _timed(probe: asyncio.Future[object] | object) -> Check:
    start = time.perf_counter()
    try:
        async with asyncio.timeout(CHECK_TIMEOUT_SECONDS):
            await probe  # type: ignore[misc]
    except (StorageError, EngineCallError, TimeoutError, OSError) as exc:
        elapsed = (time.perf_counter() - start) * 1000
        reason = "timed out" if isinstance(exc, TimeoutError) else str(exc)
        return Check(status="down", latency_ms=round(elapsed, 2), error=reason[:300])
    return Check(status="ok", latency_ms=round((time.perf_counter() - start) * 1000, 2))


@router.get(
    "/health",
    operation_id="getHealth",
    response_model=Health,
    responses={503: {"model": Health, "description": "A dependency is down"}},
)
async def health(context: Context) -> JSONResponse:
    """Process, database and engine reachability."""
    database, engine = await asyncio.gather(
        _timed(context.db.query_one("SELECT 1 AS ok")), _timed(context.engine.ping())
    )
    checks = {"process": Check(status="ok", latency_ms=0.0), "db": database, "engine": engine}
    healthy = all(check.status == "ok" for check in checks.values())
    body = Health(
        status="ok" if healthy else "degraded",
        environment=context.environment,
        uptime_s=round((context.clock.now() - context.started_at).total_seconds(), 3),
        checks=checks,
        websocket_clients=context.hub.subscribers,
    )
    return JSONResponse(body.model_dump(), status_code=200 if healthy else 503)
