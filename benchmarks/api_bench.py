"""API benchmarks over a real uvicorn process: GET /api/decisions p99 with 10k decisions and
50 concurrent clients, and `/ws` fan-out throughput to 20 WebSocket clients.

The server runs in its own process (`python -m benchmarks.api_bench serve`), so the load
generator does not share its event loop. The reference figure is the p99 of `/health`-free
`GET /api/auth/session` (auth + JSON only, no database read) measured in the same run.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import websockets

from cream.clock import ManualClock
from cream.config.service import ConfigService
from cream.events.log import EventLog
from cream.storage.database import Database, Statement
from cream.storage.decisions import DecisionLineage, DecisionRepository
from cream.v1 import common_pb2 as common
from cream.v1 import decision_pb2 as dec

TOKEN = "benchmark-token-0123456789abcdef"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
ROOT = Path(__file__).resolve().parents[1]


def _decision(n: int) -> dec.Decision:
    symbol = ("AAPL", "MSFT", "SPY", "NVDA", "TSLA")[n % 5]
    return dec.Decision(
        decision_id=f"dec-{n:06d}",
        instrument=common.Instrument(instrument_type=common.INSTRUMENT_TYPE_EQUITY, symbol=symbol),
        action=common.ACTION_BUY if n % 2 else common.ACTION_SELL,
        direction=common.DIRECTION_LONG,
        size=dec.Size(value="10", unit=common.SIZE_UNIT_SHARES),
        order_plan=dec.OrderPlan(order_type=common.ORDER_TYPE_LIMIT, limit_price="189.25"),
        risk_levels=dec.RiskLevels(stop_loss="180.00", take_profit="205.50"),
        rationale=dec.Rationale(summary=f"{symbol} setup {n}", bullish_factors=["trend"]),
        confidence=0.7,
    )


async def _prepare(url: str, decisions: int) -> None:
    from datetime import UTC, datetime, timedelta

    clock = ManualClock(datetime(2026, 1, 5, 15, 0, tzinfo=UTC))
    async with await Database.connect(url) as db:
        await ConfigService(db, clock=clock).seed("PAPER")
        repo = DecisionRepository(db, "PAPER", clock=clock)
        batch: list[Statement] = []
        for n in range(decisions):
            clock.advance(timedelta(seconds=1))
            batch.append(
                repo.insert_statement(
                    _decision(n),
                    cycle_id=f"cyc-{n // 10}",
                    status="approved",
                    lineage=DecisionLineage(config_version=1, model="rules"),
                )
            )
            if len(batch) == 500:
                await db.batch(batch)
                batch = []
        await db.batch(batch)


def _serve(url: str, port: int) -> None:
    import uvicorn

    from api.main import create_app
    from cream.settings import Environment, Settings

    settings = Settings(
        cream_env=Environment.PAPER,
        cream_db_url=url,
        cream_api_token=TOKEN,
        cream_engine_addr="127.0.0.1:1",
    )
    app = create_app(settings, hub_poll_interval=0.05)
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


async def _wait_ready(base: str) -> None:
    async with httpx.AsyncClient(base_url=base) as client:
        for _ in range(400):
            try:
                if (await client.get("/api/auth/session", headers=AUTH)).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.05)
    raise RuntimeError("the API server did not start")


# Connections the server dropped under load, over every p99 run (reported, not hidden).
_DROPPED: list[str] = []


async def _p99(base: str, path: str, clients: int, per_client: int) -> float:
    """p99 latency of `path` from `clients` keep-alive clients.

    A request whose connection the server dropped (seen now and then with 50 clients on 2
    cores) is counted in `_DROPPED` and sent again on a new connection; more than 1 % of
    them fails the benchmark.
    """
    latencies: list[float] = []
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=60) as http:

        async def get() -> httpx.Response:
            for _ in range(3):
                try:
                    return await http.get(path, headers=AUTH)
                except (httpx.ReadError, httpx.RemoteProtocolError) as exc:
                    _DROPPED.append(f"{path}: {type(exc).__name__}")
            raise RuntimeError(f"{path}: the server dropped the connection three times")

        async def worker() -> None:
            await get()  # opens this client's connection, unmeasured
            for _ in range(per_client):
                start = time.perf_counter()
                response = await get()
                latencies.append((time.perf_counter() - start) * 1000)
                if response.status_code != 200:
                    raise RuntimeError(f"{path}: {response.status_code} {response.text[:200]}")

        await asyncio.gather(*(worker() for _ in range(clients)))
    if len(_DROPPED) > 0.01 * clients * per_client:
        raise RuntimeError(f"the server dropped {len(_DROPPED)} connections: {_DROPPED[:3]}")
    latencies.sort()
    return latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]


async def _fanout(base: str, url: str, clients: int, events: int) -> tuple[float, int]:
    """Events/s delivered to `clients` sockets; the writer stays at most a window ahead."""
    ws = base.replace("http://", "ws://") + f"/ws?token={TOKEN}&channels=CYCLES"
    received = [0] * clients
    dropped = 0
    window = 150
    async with await Database.connect(url) as db:
        log = EventLog(db, "PAPER", producer="bench")
        sockets = [await websockets.connect(ws, max_queue=None) for _ in range(clients)]
        try:
            for socket in sockets:
                json.loads(await socket.recv())  # "subscribed"

            async def reader(index: int) -> None:
                nonlocal dropped
                socket = sockets[index]
                while received[index] < events:
                    message = json.loads(await socket.recv())
                    if message["type"] == "cycle.stage":
                        received[index] += 1
                    elif message["type"] == "dropped":
                        dropped += int(message["count"])
                        received[index] += int(message["count"])

            readers = [asyncio.create_task(reader(i)) for i in range(clients)]
            start = time.perf_counter()
            written = 0
            while written < events:
                if written - min(received) > window:
                    await asyncio.sleep(0.001)
                    continue
                count = min(50, events - written)
                await log.commit(
                    [],
                    [
                        log.event("cycle.stage", {"stage": "observe", "n": written + i})
                        for i in range(count)
                    ],
                )
                written += count
            await asyncio.wait_for(asyncio.gather(*readers), timeout=120)
            elapsed = time.perf_counter() - start
        finally:
            for socket in sockets:
                await socket.close()
    return (clients * events - dropped) / elapsed, dropped


async def _measure(quick: bool) -> dict[str, Any]:
    _DROPPED.clear()
    with tempfile.TemporaryDirectory() as folder:
        url = f"file:{Path(folder) / 'bench.db'}"
        await _prepare(url, 10_000)
        port = _free_port()
        server = subprocess.Popen(  # noqa: ASYNC220 - a long-lived server, never waited on here
            [sys.executable, "-m", "benchmarks.api_bench", "serve", url, str(port)],
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
        base = f"http://127.0.0.1:{port}"
        try:
            await _wait_ready(base)
            per_client = 6 if quick else 40
            await _p99(base, "/api/decisions?limit=50", 50, 2)  # warm up: connections, caches
            decisions = await _p99(base, "/api/decisions?limit=50", 50, per_client)
            filtered = await _p99(base, "/api/decisions?limit=50&symbol=NVDA", 50, per_client)
            reference = await _p99(base, "/api/auth/session", 50, per_client)
            rate, dropped = await _fanout(base, url, 20, 300 if quick else 2000)
        finally:
            server.terminate()
            server.wait(timeout=10)
    return {
        "api_decisions_p99_ms": round(decisions, 2),
        "api_decisions_filtered_p99_ms": round(filtered, 2),
        "api_session_p99_ms_reference": round(reference, 2),
        "api_decisions_p99_ratio_vs_session": round(decisions / reference, 2),
        "ws_fanout_events_per_s": round(rate, 1),
        "ws_fanout_dropped": dropped,
        "api_connections_dropped": len(_DROPPED),
    }


def _free_port() -> int:
    """A loopback port nothing listens on right now."""
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def run(quick: bool) -> dict[str, Any]:
    """The figures of the `api` suite."""
    return asyncio.run(_measure(quick))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m benchmarks.api_bench")
    parser.add_argument("mode", choices=["serve", "run"])
    parser.add_argument("url", nargs="?")
    parser.add_argument("port", nargs="?", type=int)
    args = parser.parse_args()
    if args.mode == "serve":
        _serve(args.url, args.port)
    else:
        print(json.dumps(run(quick=True)))
