"""Engine benchmarks: the core's check latency, its speedup over plain Python, gRPC overhead."""

from __future__ import annotations

import asyncio
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import grpc

from benchmarks import scenario
from benchmarks.reference_risk import ReferenceRisk
from cream.clock import SystemClock
from cream.engine.core import RiskCore
from cream.engine.server import start_engine
from cream.market.synthetic import SyntheticFeed
from cream.settings import Environment, Settings
from cream.v1 import execution_pb2 as ex

ECHO_METHOD = "/cream.bench.Echo/Echo"


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))]


def core_latency(iterations: int) -> dict[str, float]:
    """Time RiskCore.check of the scenario plan, per call, in microseconds."""
    core = RiskCore(scenario.policy())
    core.set_portfolio(scenario.portfolio())
    plan = scenario.plan().SerializeToString()
    market = scenario.market().SerializeToString()
    for _ in range(200):
        core.check_serialized(plan, market)
    samples = []
    for _ in range(iterations):
        start = time.perf_counter_ns()
        core.check_serialized(plan, market)
        samples.append((time.perf_counter_ns() - start) / 1000)
    return {"p50": statistics.median(samples), "p99": _percentile(samples, 0.99)}


def python_latency(iterations: int) -> float:
    """Median time of the plain-Python reference on the same inputs, in microseconds."""
    ref = ReferenceRisk(scenario.policy(), scenario.portfolio())
    plan = scenario.plan().SerializeToString()
    market = scenario.market().SerializeToString()
    for _ in range(20):
        ref.check(plan, market)
    samples = []
    for _ in range(iterations):
        start = time.perf_counter_ns()
        ref.check(plan, market)
        samples.append((time.perf_counter_ns() - start) / 1000)
    return statistics.median(samples)


def _echo_handler() -> grpc.GenericRpcHandler:
    async def echo(request: bytes, context: object) -> bytes:
        return request

    return grpc.method_handlers_generic_handler(
        "cream.bench.Echo", {"Echo": grpc.unary_unary_rpc_method_handler(echo)}
    )


async def _load(
    address: str, method: str, payload: Path, clients: int, seconds: float
) -> dict[str, float]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "benchmarks.grpc_load",
        "--address",
        address,
        "--method",
        method,
        "--payload",
        str(payload),
        "--clients",
        str(clients),
        "--seconds",
        str(seconds),
        stdout=asyncio.subprocess.PIPE,
    )
    out, _ = await proc.communicate()
    if proc.returncode != 0:
        raise RuntimeError(f"load generator failed for {method}")
    result: dict[str, float] = json.loads(out)
    return result


async def grpc_round_trips(clients: int, seconds: float) -> dict[str, float]:
    """CheckConstraints vs an echo method on the same server, from another process."""
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(cream_env=Environment.PAPER, cream_db_url=f"file:{tmp}/bench.db")
        clock = SystemClock()
        feed = SyntheticFeed([*scenario.symbols(), "SPY"], clock)
        runtime = await start_engine(
            settings,
            listen="127.0.0.1:0",
            clock=clock,
            feed=feed,
            policy=scenario.policy(),
            extra_handlers=[_echo_handler()],
        )
        try:
            plan = scenario.plan()
            plan.as_of.GetCurrentTime()
            payload = Path(tmp) / "check.bin"
            payload.write_bytes(ex.CheckConstraintsRequest(plan=plan).SerializeToString())
            address = f"127.0.0.1:{runtime.port}"
            echo = await _load(address, ECHO_METHOD, payload, clients, seconds)
            check = await _load(
                address, "/cream.v1.ExecutionService/CheckConstraints", payload, clients, seconds
            )
        finally:
            await runtime.stop(grace=0)
    return {
        "check_p99_us": check["p99_us"],
        "check_rps": check["rps"],
        "echo_rps": echo["rps"],
        "echo_p99_us": echo["p99_us"],
    }


def run(quick: bool) -> dict[str, Any]:
    """The engine suite's figures."""
    core = core_latency(3000 if quick else 20000)
    py = python_latency(150 if quick else 1000)
    rt = asyncio.run(grpc_round_trips(8, 2.0 if quick else 6.0))
    return {
        "engine_check_p99_us": round(core["p99"], 2),
        "engine_check_p50_us": round(core["p50"], 2),
        "engine_check_python_p50_us": round(py, 1),
        "engine_check_speedup_vs_python": round(py / core["p50"], 1),
        "engine_grpc_p99_us": round(rt["check_p99_us"], 1),
        "engine_grpc_rps": round(rt["check_rps"], 1),
        "engine_grpc_echo_rps": round(rt["echo_rps"], 1),
        "engine_grpc_rps_ratio_vs_echo": round(rt["check_rps"] / rt["echo_rps"], 3),
    }
