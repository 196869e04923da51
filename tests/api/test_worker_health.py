"""`GET /api/system/worker-health`: the worker's own `/health` through the API, up or down."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import pytest

from api.worker_probe import health_url
from cream.locks import DatabaseLockManager
from tests.api.harness import AUTH, ApiServer, assert_error_shape, running_api
from tests.fakes.http_server import FakeHttpServer, Reply
from tests.servers import free_port
from tests.worker.conftest import InstantExecutor
from tests.worker.workers import make_worker
from worker.health import HealthServer, database_check, redis_check


@contextlib.asynccontextmanager
async def _running_worker(api: ApiServer, port: int) -> AsyncIterator[None]:
    """A real worker over the API's database with its /health on `port`."""
    locks = DatabaseLockManager(api.db, "PAPER", holder="worker-w", clock=api.clock)
    worker = make_worker(api.db, locks, InstantExecutor(), api.clock, None)
    await worker.start(run_schedule=False, consume_requests=False)
    checks = {"database": database_check(worker), "redis": redis_check(None)}
    server = HealthServer(worker, checks, "127.0.0.1", port)
    await server.start()
    try:
        yield
    finally:
        await server.stop()
        await worker.shutdown()


async def test_a_running_workers_health_is_passed_through(tmp_path, clock):
    port = free_port()
    async with (
        running_api(tmp_path, clock, worker_listen=f"127.0.0.1:{port}") as api,
        _running_worker(api, port),
    ):
        response = await api.http.get("/api/system/worker-health", headers=AUTH)

    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["status"], body["reachable"], body["http_status"]) == ("ok", True, 200)
    assert body["url"] == f"http://127.0.0.1:{port}/health"
    assert body["error"] is None
    assert body["report"]["worker_id"] == "worker-w"
    assert body["report"]["config_version"] == 1
    assert "equity_snapshot" in body["report"]["jobs"]


async def test_a_worker_that_does_not_answer_is_reported_unreachable_with_200(api):
    response = await api.http.get("/api/system/worker-health", headers=AUTH)

    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["status"], body["reachable"], body["report"]) == ("unreachable", False, None)
    assert "cream worker" in body["error"]


async def test_something_else_at_the_workers_address_is_reported_invalid(tmp_path, clock):
    # Another service on the port: JSON with a status, but not the worker's report.
    routes = {("GET", "/health"): lambda _: Reply(body={"status": "ok"})}
    with FakeHttpServer(routes) as other:
        listen = other.url.removeprefix("http://")
        async with running_api(tmp_path, clock, worker_listen=listen) as api:
            response = await api.http.get("/api/system/worker-health", headers=AUTH)

    body = response.json()
    assert (response.status_code, body["status"], body["http_status"]) == (200, "invalid", 200)
    assert "CREAM_WORKER_LISTEN" in body["error"]
    assert body["report"] is None


async def test_worker_health_needs_credentials(api):
    assert_error_shape(await api.http.get("/api/system/worker-health"), 401, "UNAUTHENTICATED")


@pytest.mark.parametrize(
    ("listen", "url"),
    [
        ("127.0.0.1:3002", "http://127.0.0.1:3002/health"),
        ("0.0.0.0:3002", "http://127.0.0.1:3002/health"),
        ("[::]:3002", "http://[::1]:3002/health"),
        ("worker.internal:9000", "http://worker.internal:9000/health"),
    ],
)
def test_the_listen_setting_becomes_a_reachable_url(listen, url):
    assert health_url(listen) == url


async def test_a_malformed_listen_setting_is_reported_not_raised(tmp_path, clock):
    async with running_api(tmp_path, clock, worker_listen="no-port-here") as api:
        body = (await api.http.get("/api/system/worker-health", headers=AUTH)).json()
    assert body["status"] == "unreachable"
    assert "HOST:PORT" in body["error"]
