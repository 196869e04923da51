"""`cream cycle`: run one trading cycle now, with a live progress display.

    cream cycle [--symbols A,B] [--env PAPER|BACKTEST] [--draft]
                [--provider rules|gemini|anthropic|replay] [--resume CYCLE_ID] [--json]

Progress goes to stderr as the stages complete; the result (plan, consensus rounds,
constraint results, orders) to stdout, or one JSON document with `--json`. When no engine
answers at `CREAM_ENGINE_ADDR`, a local engine is started for the cycle (over gRPC, like any
client) and stopped after it. Exit codes: 0 completed, 1 failed, 2 could not start,
3 interrupted (resume with `--resume`).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from cream.heap import freeze_startup_heap
from cream.settings import Environment, Settings
from cream.storage.errors import StorageError
from workflows.trading_cycle.contract import CycleRequest, CycleResult, Progress
from workflows.trading_cycle.runner import CycleRunner, CycleSetupError

EXIT = {"completed": 0, "failed": 1, "interrupted": 3, "cancelled": 3}


def _engine_serving(address: str, timeout: float = 1.0) -> bool:
    with grpc.insecure_channel(address) as channel:
        try:
            reply = health_pb2_grpc.HealthStub(channel).Check(
                health_pb2.HealthCheckRequest(), timeout=timeout
            )
        except grpc.RpcError:
            return False
    return bool(reply.status == health_pb2.HealthCheckResponse.SERVING)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def engine_for(settings: Settings) -> Iterator[Settings]:
    """The settings to use: the running engine's, or those of a local engine started now."""
    if _engine_serving(settings.cream_engine_addr):
        yield settings
        return
    address = f"127.0.0.1:{_free_port()}"
    print(
        f"cream cycle: no engine at {settings.cream_engine_addr}; starting a local engine at "
        f"{address} for this cycle",
        file=sys.stderr,
        flush=True,
    )
    env = {
        **os.environ,
        "CREAM_ENV": settings.cream_env.value,
        "CREAM_DB_URL": settings.cream_db_url,
    }
    child = subprocess.Popen(
        [sys.executable, "-m", "cream.cli", "engine", "--listen", address],
        env=env,
        stdout=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 60
        while not _engine_serving(address, 0.5):
            if child.poll() is not None or time.monotonic() > deadline:
                raise CycleSetupError(
                    "ENGINE_UNAVAILABLE", f"the local engine did not start (exit {child.poll()})"
                )
            time.sleep(0.2)
        yield settings.model_copy(update={"cream_engine_addr": address})
    finally:
        child.send_signal(signal.SIGTERM)
        try:
            child.wait(timeout=15)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()


async def _progress(update: Progress) -> None:
    round_ = f" round {update.round}" if update.round else ""
    print(f"  [{update.stage}{round_}] {update.state}", file=sys.stderr, flush=True)


async def _run(settings: Settings, request: CycleRequest) -> CycleResult:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    async with CycleRunner.from_settings(settings) as runner:
        freeze_startup_heap()
        return await runner.run(request, stop=stop, progress=_progress)


def render(result: CycleResult) -> str:
    """The human-readable report of a cycle."""
    lines = [
        f"cycle {result.cycle_id}: {result.status} ({result.environment}, config "
        f"v{result.config_version}, {result.wall_ms} ms)"
    ]
    if result.error:
        lines.append(f"  error: {result.error}")
    lines.append("decisions:")
    for d in result.decisions:
        levels = ""
        if "stop_loss" in d:
            levels = f" stop {d['stop_loss']} target {d.get('take_profit', '-')}"
        reason = f" — {d['reason_code']} at {d['failed_step']}" if d.get("reason_code") else ""
        head = f"  {d['symbol']:<6} {d['action']:<8} {d['quantity']:>6} {d['status']:<9}"
        lines.append(f"{head}{levels}{reason}")
    for entry in result.rounds:
        verdict = "approved" if entry["approved"] else f"rejected {entry['rejected_symbols']}"
        lines.append(f"round {entry['round']}: {verdict}")
    if result.constraints:
        approved = result.constraints.get("approved", False)
        lines.append(f"constraints: {'passed' if approved else 'violations'}")
        for v in result.constraints.get("violations", []):
            lines.append(f"  {v.get('code')}: {v.get('message')}")
    lines.append(f"orders: {len(result.orders)}")
    for order in result.orders:
        state = "accepted" if order.get("accepted") else f"refused ({order.get('reason_code')})"
        lines.append(f"  {order['symbol']:<6} {order['client_order_id']} {state}")
    usage = result.usage
    lines.append(
        f"usage: {usage.get('llm_calls', 0)} calls, {usage.get('tokens_in', 0)} tokens in, "
        f"{usage.get('tokens_out', 0)} out, ${usage.get('cost_usd', '0')}"
    )
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    """Handler of `cream cycle`."""
    overrides: dict[str, Any] = {}
    if args.env:
        overrides["cream_env"] = Environment(args.env)
    settings = Settings(**overrides)
    symbols = (
        tuple(s.strip().upper() for s in args.symbols.split(",") if s.strip())
        if args.symbols
        else None
    )
    request = CycleRequest(
        cycle_id=args.resume,
        symbols=symbols,
        use_draft=args.draft,
        trigger="cli",
        requested_by=os.environ.get("USER", "cli"),
        provider=args.provider,
    )
    try:
        with engine_for(settings) as ready:
            result = asyncio.run(_run(ready, request))
    except CycleSetupError as exc:
        _fail(args, exc.code, exc.message)
        return 2
    except StorageError as exc:
        _fail(args, getattr(exc, "code", "STORAGE_ERROR"), str(exc))
        return 2
    if args.json:
        print(json.dumps(result.as_dict(), indent=2, default=str))
    else:
        print(render(result))
    return EXIT.get(result.status, 1)


def _fail(args: argparse.Namespace, code: str, message: str) -> None:
    if args.json:
        print(json.dumps({"status": "not_started", "error": {"code": code, "message": message}}))
    print(f"cream cycle: {code}: {message}", file=sys.stderr)


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `cream cycle` to the command line."""
    parser = sub.add_parser("cycle", help="run one trading cycle now")
    parser.add_argument("--symbols", help="comma-separated symbols (default: the config universe)")
    parser.add_argument(
        "--env", choices=["PAPER", "BACKTEST"], help="environment (default CREAM_ENV)"
    )
    parser.add_argument("--draft", action="store_true", help="run against the draft config")
    parser.add_argument(
        "--provider",
        choices=["rules", "gemini", "anthropic", "replay"],
        help="one provider for every agent (default: per agent from the config)",
    )
    parser.add_argument("--resume", metavar="CYCLE_ID", help="resume an interrupted cycle")
    parser.add_argument("--json", action="store_true", help="print one JSON document")
    parser.set_defaults(handler=run)
