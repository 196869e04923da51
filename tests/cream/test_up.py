"""`cream up` and `cream engine` as processes: they start, serve, and stop cleanly."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _env(tmp_path, port: int, db_url: str | None = None) -> dict[str, str]:
    env = dict(os.environ)
    env.pop("CREAM_API_TOKEN", None)
    env.update(
        CREAM_API_LISTEN=f"127.0.0.1:{_free_port()}",
        CREAM_WORKER_LISTEN=f"127.0.0.1:{_free_port()}",
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


def _wait_http(url: str, timeout: float = 90.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=1) as response:
                if response.status == 200:
                    return True
        except OSError:
            time.sleep(0.3)
    return False


@pytest.mark.integration
@pytest.mark.slow
def test_cream_up_starts_engine_api_and_worker_and_sigterm_stops_them_all(
    tmp_path, unused_tcp_port
):
    env = _env(tmp_path, unused_tcp_port)
    api, worker = env["CREAM_API_LISTEN"], env["CREAM_WORKER_LISTEN"]
    proc = subprocess.Popen(
        [sys.executable, "-m", "cream.cli", "up"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert _wait_serving(unused_tcp_port), "engine never became SERVING"
        assert _wait_http(f"http://{api}/health"), "the api never answered /health"
        assert _wait_http(f"http://{worker}/health"), "the worker never answered /health"
        token = tmp_path / "var" / "api-token"
        assert token.stat().st_mode & 0o077 == 0, "the generated token must be owner-only"
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, out
    assert f"dashboard: http://{api}/" in out
    assert token.read_text().strip() not in out, "the token is never printed"
    assert "cream up: stopped" in out
    assert "Traceback" not in out
    assert not _wait_serving(unused_tcp_port, timeout=1), "the engine outlived cream up"
    assert not _wait_http(f"http://{api}/health", timeout=1), "the api outlived cream up"
    assert not _wait_http(f"http://{worker}/health", timeout=1), "the worker outlived cream up"


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
