"""`cream up` and `cream engine` as processes: they start, serve, and stop cleanly."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc


def _env(tmp_path, port: int, db_url: str | None = None) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        CREAM_ENGINE_LISTEN=f"127.0.0.1:{port}",
        CREAM_ENGINE_ADDR=f"127.0.0.1:{port}",
        CREAM_DB_URL=db_url or f"file:{tmp_path / 'up.db'}",
        CREAM_ENV="PAPER",
    )
    return env


def _wait_serving(port: int, timeout: float = 60.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
                reply = health_pb2_grpc.HealthStub(channel).Check(
                    health_pb2.HealthCheckRequest(), timeout=1
                )
                if reply.status == health_pb2.HealthCheckResponse.SERVING:
                    return True
        except grpc.RpcError:
            time.sleep(0.2)
    return False


@pytest.mark.integration
@pytest.mark.slow
def test_cream_up_starts_the_engine_and_sigterm_stops_the_whole_stack(tmp_path, unused_tcp_port):
    proc = subprocess.Popen(
        [sys.executable, "-m", "cream.cli", "up"],
        cwd=tmp_path,
        env=_env(tmp_path, unused_tcp_port),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert _wait_serving(unused_tcp_port), "engine never became SERVING"
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, out
    assert "cream up: stopped" in out
    assert "Traceback" not in out
    assert not _wait_serving(unused_tcp_port, timeout=1), "the engine outlived cream up"


@pytest.mark.integration
def test_engine_with_unreachable_database_prints_one_clear_line(tmp_path, unused_tcp_port):
    result = subprocess.run(
        [sys.executable, "-m", "cream.cli", "engine"],
        cwd=tmp_path,
        env=_env(tmp_path, unused_tcp_port, db_url="http://127.0.0.1:9"),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "127.0.0.1:9" in lines[0] and "CREAM_DB_URL" in lines[0]
