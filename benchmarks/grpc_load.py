"""A gRPC load generator run in its own process: N concurrent clients, one method, fixed time."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from pathlib import Path

import grpc


async def _client(address: str, method: str, payload: bytes, until: float, lat: list[int]) -> int:
    async with grpc.aio.insecure_channel(address) as channel:
        call: grpc.aio.UnaryUnaryMultiCallable[bytes, bytes] = channel.unary_unary(
            method, request_serializer=None, response_deserializer=None
        )
        done = 0
        while time.perf_counter() < until:
            start = time.perf_counter_ns()
            await call(payload, timeout=10)
            lat.append(time.perf_counter_ns() - start)
            done += 1
        return done


async def _run(
    address: str, method: str, payload: bytes, clients: int, seconds: float
) -> dict[str, float]:
    # Warm up the channels and the server's code paths first.
    warm: list[int] = []
    await asyncio.gather(
        *(
            _client(address, method, payload, time.perf_counter() + 0.3, warm)
            for _ in range(clients)
        )
    )
    latencies: list[int] = []
    start = time.perf_counter()
    counts = await asyncio.gather(
        *(_client(address, method, payload, start + seconds, latencies) for _ in range(clients))
    )
    elapsed = time.perf_counter() - start
    latencies.sort()
    return {
        "rps": sum(counts) / elapsed,
        "p50_us": latencies[len(latencies) // 2] / 1000,
        "p99_us": latencies[int(len(latencies) * 0.99)] / 1000,
        "calls": float(sum(counts)),
    }


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--address", required=True)
    parser.add_argument("--method", required=True)
    parser.add_argument("--payload", required=True, type=Path)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=2.0)
    args = parser.parse_args()
    result = asyncio.run(
        _run(args.address, args.method, args.payload.read_bytes(), args.clients, args.seconds)
    )
    json.dump(result, sys.stdout)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
