"""The error shape and correlation ids; engine routes against a real engine, and 503 without."""

from __future__ import annotations

from tests.api.harness import AUTH, assert_error_shape, running_api
from tests.cream.engine.conftest import MARKET_OPEN, PRICES, launch
from tests.cream.engine.feeds import ScriptedFeed


async def test_a_given_correlation_id_is_echoed_in_header_and_error_body(api):
    response = await api.http.get(
        "/api/decisions/missing", headers={**AUTH, "x-correlation-id": "trace-abc.1"}
    )

    body = assert_error_shape(response, 404)
    assert body["correlation_id"] == "trace-abc.1"


async def test_a_missing_or_unsafe_correlation_id_is_replaced_by_a_generated_one(api):
    plain = await api.http.get("/api/cycles", headers=AUTH)
    assert len(plain.headers["x-correlation-id"]) == 32
    unsafe = await api.http.get(
        "/api/cycles/x", headers={**AUTH, "x-correlation-id": "<script>alert(1)</script>"}
    )
    body = assert_error_shape(unsafe, 404)
    assert "<" not in body["correlation_id"]


async def test_unknown_api_routes_and_bad_json_use_the_error_shape(api):
    assert_error_shape(await api.http.get("/api/nothing-here", headers=AUTH), 404, "NOT_FOUND")
    broken = await api.http.post(
        "/api/system/trigger-cycle",
        content=b"{not json",
        headers={**AUTH, "content-type": "application/json"},
    )
    assert_error_shape(broken, 422, "VALIDATION_FAILED")


async def test_engine_routes_are_503_when_the_engine_is_down(api):
    for path in ("/api/portfolio", "/api/portfolio/account", "/api/market/quotes/AAPL"):
        response = await api.http.get(path, headers=AUTH)
        body = assert_error_shape(response, 503, "ENGINE_UNAVAILABLE")
        assert "cream engine" in body["message"]
    health = await api.http.get("/health")
    assert health.status_code == 503
    checks = health.json()["checks"]
    assert (checks["db"]["status"], checks["engine"]["status"]) == ("ok", "down")


async def test_engine_routes_answer_from_a_real_engine(tmp_path, clock, engine_settings):
    from cream.clock import ManualClock

    engine_clock = ManualClock(MARKET_OPEN)
    harness = await launch(engine_settings, engine_clock, ScriptedFeed(engine_clock, PRICES))
    try:
        async with running_api(tmp_path / "api", clock, engine_address=harness.address) as api:
            quote = await api.http.get("/api/market/quotes/aapl", headers=AUTH)
            assert quote.status_code == 200, quote.text
            assert quote.json()["symbol"] == "AAPL"
            assert quote.json()["ask"]
            snapshot = (await api.http.get("/api/market/snapshot", headers=AUTH)).json()
            assert {s["symbol"] for s in snapshot["symbols"]} == {
                "SPY",
                "AAPL",
                "MSFT",
                "NVDA",
                "TSLA",
            }
            portfolio = await api.http.get("/api/portfolio", headers=AUTH)
            assert portfolio.status_code == 200, portfolio.text
            assert portfolio.json()["account"]["environment"] == "PAPER"
            assert portfolio.json()["positions"] == []
            unknown = await api.http.get("/api/market/quotes/ZZZZ", headers=AUTH)
            assert_error_shape(unknown, 404)
            health = await api.http.get("/health")
            assert health.status_code == 200
            assert health.json()["status"] == "ok"
    finally:
        await harness.client.close()
        await harness.runtime.stop(grace=0)


async def test_without_a_dashboard_build_the_root_says_so(tmp_path, clock):
    async with running_api(tmp_path, clock, dashboard_dist=tmp_path / "no-dist") as api:
        response = await api.http.get("/")
        assert response.status_code == 200
        assert "not built" in response.text


async def test_a_built_dashboard_is_served_with_spa_fallback(tmp_path, clock):
    dist = tmp_path / "dist"
    (dist / "assets").mkdir(parents=True)
    (dist / "index.html").write_text("<html>cream dashboard</html>")
    (dist / "assets" / "app.js").write_text("console.log('app')")
    async with running_api(tmp_path / "api", clock, dashboard_dist=dist) as api:
        assert "cream dashboard" in (await api.http.get("/")).text
        assert "console.log" in (await api.http.get("/assets/app.js")).text
        assert "cream dashboard" in (await api.http.get("/decisions/dec-1")).text
        escaped = await api.http.get("/assets/..%2f..%2fapi.db")
        assert "cream dashboard" in escaped.text or escaped.status_code == 404
        assert_error_shape(await api.http.get("/api/unknown"), 404, "NOT_FOUND")
