"""Config governance over HTTP: draft → validate → promote → history → rollback → diff."""

from __future__ import annotations

import asyncio

from cream.config.service import ConfigService
from tests.api.harness import AUTH, assert_error_shape


async def _draft_with_interval(api, interval_ms: int):
    active = (await api.http.get("/api/config/active", headers=AUTH)).json()
    document = active["data"]
    document["trading"]["trading_cycle_interval_ms"] = interval_ms
    return await api.http.put("/api/config/draft", json=document, headers=AUTH)


async def test_the_promote_workflow_round_trip(api):
    saved = await _draft_with_interval(api, 1_800_000)
    assert saved.status_code == 200, saved.text
    assert saved.json()["status"] == "draft"

    diff = (await api.http.get("/api/config/diff", headers=AUTH)).json()
    assert diff == [
        {"key": "trading.trading_cycle_interval_ms", "old": 3_600_000, "new": 1_800_000}
    ]
    validated = await api.http.post("/api/config/validate", headers=AUTH)
    assert validated.json()["status"] == "validated"
    promoted = await api.http.post(
        "/api/config/promote",
        json={"content_hash": validated.json()["content_hash"]},
        headers=AUTH,
    )
    assert promoted.status_code == 200, promoted.text
    assert (promoted.json()["version"], promoted.json()["activated_by"]) == (2, "api-token")

    active = (await api.http.get("/api/config/active", headers=AUTH)).json()
    assert active["data"]["trading"]["trading_cycle_interval_ms"] == 1_800_000
    history = (await api.http.get("/api/config/history", headers=AUTH)).json()
    assert [(v["version"], v["status"]) for v in history] == [(2, "active"), (1, "archived")]

    rolled = await api.http.post("/api/config/rollback", json={"version": 1}, headers=AUTH)
    assert rolled.status_code == 200, rolled.text
    assert rolled.json()["version"] == 3
    back = (await api.http.get("/api/config/diff?from=2&to=3", headers=AUTH)).json()
    assert back == [
        {"key": "trading.trading_cycle_interval_ms", "old": 1_800_000, "new": 3_600_000}
    ]
    audit = (await api.http.get("/api/config/audit", headers=AUTH)).json()
    assert [(a["action"], a["actor"]) for a in audit[:3]] == [
        ("rollback", "api-token"),
        ("promote", "api-token"),
        ("validate", "api-token"),
    ]


async def test_an_invalid_draft_is_422_listing_every_field(api):
    active = (await api.http.get("/api/config/active", headers=AUTH)).json()
    document = active["data"]
    document["trading"]["trading_cycle_interval_ms"] = -5
    document["universe"]["symbols"] = ["not a symbol"]

    response = await api.http.put("/api/config/draft", json=document, headers=AUTH)

    body = assert_error_shape(response, 422, "CONFIG_INVALID")
    fields = {e["field"] for e in body["details"]["errors"]}
    assert any("trading_cycle_interval_ms" in f for f in fields)
    assert any("symbols" in f for f in fields)
    assert_error_shape(await api.http.get("/api/config/draft", headers=AUTH), 404)


async def test_promoting_an_unvalidated_draft_is_409(api):
    await _draft_with_interval(api, 1_800_000)

    response = await api.http.post("/api/config/promote", headers=AUTH)

    assert_error_shape(response, 409, "CONFIG_NOT_VALIDATED")


async def test_promoting_a_draft_that_changed_since_review_is_409(api):
    await _draft_with_interval(api, 1_800_000)
    reviewed = (await api.http.post("/api/config/validate", headers=AUTH)).json()["content_hash"]
    edited = await _draft_with_interval(api, 2_700_000)
    assert edited.status_code == 200, edited.text
    await api.http.post("/api/config/validate", headers=AUTH)

    response = await api.http.post(
        "/api/config/promote", json={"content_hash": reviewed}, headers=AUTH
    )

    assert_error_shape(response, 409, "CONFIG_CONFLICT")
    assert (await api.http.get("/api/config/active", headers=AUTH)).json()["version"] == 1


async def test_two_racing_promotions_activate_one_version_and_refuse_the_other(api, clock):
    await _draft_with_interval(api, 1_800_000)
    await api.http.post("/api/config/validate", headers=AUTH)

    responses = await asyncio.gather(
        *(api.http.post("/api/config/promote", headers=AUTH) for _ in range(2))
    )

    codes = sorted(r.status_code for r in responses)
    assert codes[0] == 200
    assert codes[1] in (404, 409)
    assert_error_shape(responses[[r.status_code for r in responses].index(codes[1])], codes[1])
    versions = await ConfigService(api.db, clock=clock).history("PAPER")
    assert [v.version for v in versions] == [2, 1]


async def test_promoting_content_equal_to_the_active_is_409(api):
    await _draft_with_interval(api, 3_600_000)
    await api.http.post("/api/config/validate", headers=AUTH)

    assert_error_shape(
        await api.http.post("/api/config/promote", headers=AUTH), 409, "CONFIG_UNCHANGED"
    )
