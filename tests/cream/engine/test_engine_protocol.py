"""The engine as any gRPC client sees it: health, reflection, and `buf curl`."""

from __future__ import annotations

import asyncio
import json
import shutil
from pathlib import Path

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

ROOT = Path(__file__).resolve().parents[3]
BUF = ROOT / "node_modules" / ".bin" / "buf"


async def test_health_reports_serving_for_the_server_and_the_execution_service(engine):
    async with grpc.aio.insecure_channel(engine.address) as channel:
        stub = health_pb2_grpc.HealthStub(channel)
        for service in ("", "cream.v1.ExecutionService"):
            reply = await stub.Check(health_pb2.HealthCheckRequest(service=service))
            assert reply.status == health_pb2.HealthCheckResponse.SERVING


async def test_reflection_lists_the_services(engine):
    async with grpc.aio.insecure_channel(engine.address) as channel:
        stub = reflection_pb2_grpc.ServerReflectionStub(channel)
        request = reflection_pb2.ServerReflectionRequest(list_services="")
        names = set()
        async for reply in stub.ServerReflectionInfo(iter([request])):
            names = {s.name for s in reply.list_services_response.service}
    assert {"cream.v1.ExecutionService", "grpc.health.v1.Health"} <= names


async def _buf_curl(*args: str) -> tuple[int, str, str]:
    proc = await asyncio.create_subprocess_exec(
        str(BUF),
        "curl",
        "--protocol",
        "grpc",
        "--http2-prior-knowledge",
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await proc.communicate()
    return proc.returncode or 0, out.decode(), err.decode()


@pytest.mark.integration
@pytest.mark.skipif(not BUF.exists() and shutil.which("buf") is None, reason="buf not installed")
async def test_buf_curl_lists_services_checks_health_and_sees_a_missing_stop(engine):
    base = f"http://{engine.address}"
    code, out, err = await _buf_curl("--list-services", base)
    assert code == 0, err
    assert "cream.v1.ExecutionService" in out.split()

    code, out, err = await _buf_curl(f"{base}/grpc.health.v1.Health/Check")
    assert code == 0, err
    assert json.loads(out)["status"] == "SERVING"

    plan = {
        "plan": {
            "cycleId": "curl-1",
            "asOf": engine.clock.now().isoformat().replace("+00:00", "Z"),
            "environment": "ENVIRONMENT_PAPER",
            "configVersion": 1,
            "decisions": [
                {
                    "decisionId": "d1",
                    "instrument": {"instrumentType": "INSTRUMENT_TYPE_EQUITY", "symbol": "AAPL"},
                    "action": "ACTION_BUY",
                    "direction": "DIRECTION_LONG",
                    "size": {"value": "10", "unit": "SIZE_UNIT_SHARES"},
                    "orderPlan": {
                        "orderType": "ORDER_TYPE_MARKET",
                        "timeInForce": "TIME_IN_FORCE_DAY",
                        "executionTactic": "EXECUTION_TACTIC_AGGRESSIVE_LIMIT",
                    },
                    "riskLevels": {"takeProfit": "120"},
                    "confidence": 0.6,
                }
            ],
        }
    }
    code, out, err = await _buf_curl(
        "-d", json.dumps(plan), f"{base}/cream.v1.ExecutionService/CheckConstraints"
    )
    assert code == 0, err
    reply = json.loads(out)
    assert reply.get("approved", False) is False
    assert "MISSING_STOP_LOSS" in {v["code"] for v in reply["violations"]}
