"""Config changes over HTTP are recorded in `audit_log`: who, what, which version, which request."""

from __future__ import annotations

from typing import Any

from tests.api.harness import AUTH, TOKEN


async def _audit(api, action: str) -> list[dict[str, Any]]:
    response = await api.http.get("/api/audit", params={"action": action}, headers=AUTH)
    assert response.status_code == 200, response.text
    return response.json()


def _traced(correlation_id: str) -> dict[str, str]:
    return {**AUTH, "x-correlation-id": correlation_id}


async def _save_draft(api, interval_ms: int, correlation_id: str):
    document = (await api.http.get("/api/config/active", headers=AUTH)).json()["data"]
    document["trading"]["trading_cycle_interval_ms"] = interval_ms
    return await api.http.put("/api/config/draft", json=document, headers=_traced(correlation_id))


async def test_draft_validate_promote_and_rollback_each_leave_an_audit_row(api):
    assert (await _save_draft(api, 1_800_000, "req-draft")).status_code == 200
    validated = await api.http.post("/api/config/validate", headers=_traced("req-validate"))
    promoted = await api.http.post("/api/config/promote", headers=_traced("req-promote"))
    rolled = await api.http.post(
        "/api/config/rollback", json={"version": 1}, headers=_traced("req-rollback")
    )
    assert (validated.status_code, promoted.status_code, rolled.status_code) == (200, 200, 200)

    (draft,) = await _audit(api, "config.draft")
    (validate,) = await _audit(api, "config.validate")
    (promote,) = await _audit(api, "config.promote")
    (rollback,) = await _audit(api, "config.rollback")

    assert (draft["actor"], draft["target"], draft["correlation_id"]) == (
        "api-token",
        "config/draft",
        "req-draft",
    )
    assert draft["details"]["result"] == "ok"
    assert validate["details"]["status"] == "validated"
    assert (promote["target"], promote["correlation_id"]) == ("config/v2", "req-promote")
    assert promote["details"]["version"] == 2
    assert promote["details"]["content_hash"] == promoted.json()["content_hash"]
    assert (rollback["target"], rollback["correlation_id"]) == ("config/v3", "req-rollback")
    assert rollback["details"]["requested"] == "config/v1"


async def test_refused_changes_are_audited_with_the_error_code(api):
    invalid = await _save_draft(api, -5, "req-bad-draft")
    no_draft = await api.http.post("/api/config/promote", headers=_traced("req-no-draft"))
    assert (invalid.status_code, no_draft.status_code) == (422, 404)

    (draft,) = await _audit(api, "config.draft")
    (promote,) = await _audit(api, "config.promote")

    assert draft["details"]["result"] == "refused"
    assert draft["details"]["code"] == "CONFIG_INVALID"
    assert draft["correlation_id"] == "req-bad-draft"
    assert (promote["details"]["code"], promote["target"]) == ("CONFIG_NOT_FOUND", "config/draft")


async def test_a_dashboard_session_is_audited_under_its_login_name(api):
    login = await api.http.post("/api/auth/login", json={"token": TOKEN, "actor": "alice"})
    assert login.status_code == 200, login.text
    assert api.http.cookies.get("cream_session")  # the client keeps the session cookie
    csrf = {"X-CSRF-Token": login.json()["csrf_token"]}
    document = (await api.http.get("/api/config/active", headers=AUTH)).json()["data"]
    document["trading"]["trading_cycle_interval_ms"] = 1_800_000

    saved = await api.http.put("/api/config/draft", json=document, headers=csrf)

    assert saved.status_code == 200, saved.text
    (entry,) = await _audit(api, "config.draft")
    assert entry["actor"] == "alice"
    assert entry["correlation_id"] == saved.headers["x-correlation-id"]


async def test_a_change_without_its_csrf_token_is_refused_before_anything_is_audited(api):
    login = await api.http.post("/api/auth/login", json={"token": TOKEN, "actor": "mallory"})
    assert login.status_code == 200, login.text

    refused = await api.http.post("/api/config/promote")

    assert refused.status_code == 403
    assert await _audit(api, "config.promote") == []
