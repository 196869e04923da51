"""`GET /health` (seed 000 §13): what is scheduled, what ran, what runs now, what answers.

`status` is `ok` when the database (and Redis, when configured) answer and a config is
active; `degraded` when the engine does not answer or the schedule could not follow the
config; `unavailable` (HTTP 503) when the database does not answer, because then nothing
can be recorded or claimed.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import grpc
from aiohttp import web
from grpc_health.v1 import health_pb2, health_pb2_grpc

from cream.storage.timestamps import format_utc
from worker.jobs import REQUESTED_JOB
from worker.runtime import Worker

logger = logging.getLogger(__name__)

Check = Callable[[], Awaitable[dict[str, Any]]]


def database_check(worker: Worker) -> Check:
    """`SELECT 1` against the worker's database."""

    async def check() -> dict[str, Any]:
        try:
            async with asyncio.timeout(2.0):
                await worker.db.query_one("SELECT 1 AS ok")
        except Exception as exc:
            return {"ok": False, "error": str(exc)}
        return {"ok": True}

    return check


def redis_check(ping: Callable[[], Awaitable[bool]] | None) -> Check:
    """PING when Redis is configured; `configured: false` otherwise."""

    async def check() -> dict[str, Any]:
        if ping is None:
            return {"ok": True, "configured": False}
        return {"ok": await ping(), "configured": True}

    return check


def engine_check(address: str, timeout_seconds: float) -> Check:
    """The engine's grpc.health.v1 status."""

    async def check() -> dict[str, Any]:
        try:
            async with grpc.aio.insecure_channel(address) as channel:
                stub = health_pb2_grpc.HealthStub(channel)
                reply = await stub.Check(health_pb2.HealthCheckRequest(), timeout=timeout_seconds)
        except grpc.aio.AioRpcError as exc:
            return {"ok": False, "address": address, "error": exc.code().name}
        serving = reply.status == health_pb2.HealthCheckResponse.SERVING
        return {
            "ok": serving,
            "address": address,
            "status": health_pb2.HealthCheckResponse.ServingStatus.Name(reply.status),
        }

    return check


async def health_report(worker: Worker, checks: dict[str, Check]) -> tuple[int, dict[str, Any]]:
    """The HTTP status and the JSON body of `/health`."""
    results = dict(zip(checks, await asyncio.gather(*(c() for c in checks.values())), strict=True))
    now = worker.clock.now()
    config = worker.config
    document = None
    if config is not None:
        try:
            document = config.document()
        except Exception:
            document = None
    jobs: dict[str, Any] = {}
    last_run: dict[str, str | None] = {}
    # The schedule table's jobs, then on-demand cycles (never scheduled, so no next run).
    for name in (*(entry.name for entry in worker.schedule), REQUESTED_JOB):
        latest = None
        if results.get("database", {}).get("ok"):
            run = await worker.runs.latest(name)
            latest = run.as_dict() if run is not None else None
        next_run = worker.next_run(name)
        trigger = worker.trigger(name)
        jobs[name] = {
            "last_run": latest,
            "next_run": format_utc(next_run) if next_run is not None else None,
            "running": name in worker.state.running,
            "skipped": worker.state.skipped.get(name, 0),
            "error": trigger.error if trigger is not None else None,
        }
        last_run[name] = latest["started_at"] if latest else None
    database_ok = bool(results.get("database", {}).get("ok"))
    core_ok = database_ok and all(r.get("ok") for k, r in results.items() if k != "engine")
    if not database_ok:
        status = "unavailable"
    elif (
        core_ok
        and config is not None
        and not worker.state.errors
        and all(r.get("ok") for r in results.values())
    ):
        status = "ok"
    else:
        status = "degraded"
    body = {
        "status": status,
        "environment": worker.environment,
        "worker_id": worker.locks.holder,
        "started_at": format_utc(worker.state.started_at),
        "uptime_s": round((now - worker.state.started_at).total_seconds(), 3),
        "config_id": config.id if config is not None else None,
        "config_version": config.version if config is not None else None,
        "intervals": {
            "trading_cycle_ms": document.trading.trading_cycle_interval_ms if document else None,
            "prediction_markets_ms": (
                document.trading.prediction_markets_interval_ms if document else None
            ),
        },
        "settle_ms": int(worker.options.settle_seconds * 1000),
        "calendar": {
            "exchange": worker.calendar.name if worker.calendar is not None else None,
            "run_when_closed": worker.options.run_when_closed,
        },
        "instruments": list(document.universe.symbols) if document else [],
        "jobs": jobs,
        "last_run": last_run,
        "next_run": {name: job["next_run"] for name, job in jobs.items()},
        "running": {name: job["running"] for name, job in jobs.items()},
        "running_cycle": worker.state.cycle.as_dict() if worker.state.cycle else None,
        "checks": results,
        "errors": dict(worker.state.errors),
    }
    return (503 if status == "unavailable" else 200), body


class HealthServer:
    """A small aiohttp server answering `GET /health` on `host:port` (port 0: any free one)."""

    def __init__(self, worker: Worker, checks: dict[str, Check], host: str, port: int) -> None:
        self._worker = worker
        self._checks = checks
        self._host = host
        self._port = port
        app = web.Application()
        app.router.add_get("/health", self._health)
        self._runner = web.AppRunner(app, access_log=None)

    async def start(self) -> int:
        """Starts listening; returns the bound port."""
        await self._runner.setup()
        site = web.TCPSite(self._runner, self._host, self._port)
        await site.start()
        address = self._runner.addresses[0]
        return int(address[1])

    async def stop(self) -> None:
        """Stops listening."""
        await self._runner.cleanup()

    async def _health(self, request: web.Request) -> web.Response:
        status, body = await health_report(self._worker, self._checks)
        return web.json_response(body, status=status)
