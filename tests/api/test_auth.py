"""Auth: every route needs credentials; mutations need CSRF with cookies; all are audited."""

from __future__ import annotations

import re

import pytest

from api.main import create_app
from cream.settings import Settings
from cream.storage.audit_log import AuditLogRepository
from tests.api.harness import AUTH, TOKEN, assert_error_shape

MUTATING = {"POST", "PUT", "PATCH", "DELETE"}
# The one mutation that cannot require a session: it is how a session is made.
UNAUTHENTICATED = {("POST", "/api/auth/login"), ("GET", "/health")}


def _routes() -> list[tuple[str, str]]:
    """Every route the app publishes (its OpenAPI paths), path parameters filled in."""
    paths = create_app(Settings(cream_api_token=TOKEN)).openapi()["paths"]
    return sorted(
        (method.upper(), re.sub(r"\{[^}]+\}", "x1", path))
        for path, operations in paths.items()
        for method in operations
    )


ROUTES = _routes()
MUTATIONS = [r for r in ROUTES if r[0] in MUTATING and r not in UNAUTHENTICATED]
READS = [r for r in ROUTES if r[0] not in MUTATING and r not in UNAUTHENTICATED]


def test_the_route_inventory_has_the_mutations_we_guard():
    paths = {path for _, path in MUTATIONS}
    assert {"/api/system/trigger-cycle", "/api/config/promote", "/api/config/draft"} <= paths
    assert ("GET", "/api/decisions/x1") in READS


@pytest.mark.parametrize(("method", "path"), MUTATIONS + READS)
async def test_every_route_without_credentials_is_401(api, method, path):
    response = await api.http.request(method, path, json={})
    assert_error_shape(response, 401, "UNAUTHENTICATED")
    assert response.headers["www-authenticate"].startswith("Bearer")


@pytest.mark.parametrize(("method", "path"), MUTATIONS + READS)
async def test_every_route_with_a_wrong_token_is_403(api, method, path):
    response = await api.http.request(
        method, path, json={}, headers={"Authorization": "Bearer not-the-token-at-all"}
    )
    assert_error_shape(response, 403, "INVALID_TOKEN")


@pytest.mark.parametrize(("method", "path"), MUTATIONS)
async def test_every_mutation_with_a_session_but_no_csrf_header_is_403(api, method, path):
    login = await api.http.post("/api/auth/login", json={"token": TOKEN, "actor": "alice"})
    assert login.status_code == 200

    response = await api.http.request(method, path, json={})

    assert_error_shape(response, 403, "CSRF_FAILED")
    wrong = await api.http.request(method, path, json={}, headers={"X-CSRF-Token": "nope"})
    assert_error_shape(wrong, 403, "CSRF_FAILED")


async def test_a_malformed_authorization_header_is_401(api):
    response = await api.http.get("/api/cycles", headers={"Authorization": f"Token {TOKEN}"})
    assert_error_shape(response, 401, "MALFORMED_AUTHORIZATION")


async def test_login_sets_an_httponly_strict_cookie_and_csrf_lets_the_session_mutate(api):
    response = await api.http.post("/api/auth/login", json={"token": TOKEN, "actor": "alice"})

    assert response.status_code == 200
    csrf = response.json()["csrf_token"]
    cookies = response.headers.get_list("set-cookie")
    session_cookie = next(c for c in cookies if c.startswith("cream_session="))
    assert "HttpOnly" in session_cookie
    assert "SameSite=strict" in session_cookie or "SameSite=Strict" in session_cookie
    assert (await api.http.get("/api/auth/session")).json()["actor"] == "alice"

    queued = await api.http.post(
        "/api/system/trigger-cycle", json={}, headers={"X-CSRF-Token": csrf}
    )

    assert queued.status_code == 202, queued.text
    cycle = (await api.http.get(f"/api/cycles/{queued.json()['cycle_id']}")).json()["cycle"]
    assert cycle["requested_by"] == "alice"
    actions = [(e.actor, e.action) for e in await AuditLogRepository(api.db, "PAPER").list()]
    assert ("alice", "cycle.trigger") in actions
    assert ("alice", "auth.login") in actions


async def test_login_with_a_wrong_token_is_403_and_sets_no_cookie(api):
    response = await api.http.post("/api/auth/login", json={"token": "wrong-token-value"})

    assert_error_shape(response, 403, "INVALID_TOKEN")
    assert "set-cookie" not in response.headers


async def test_logout_ends_the_session(api):
    login = await api.http.post("/api/auth/login", json={"token": TOKEN})
    csrf = login.json()["csrf_token"]
    cookie = api.http.cookies.get("cream_session")

    out = await api.http.post("/api/auth/logout", headers={"X-CSRF-Token": csrf})

    assert out.status_code == 204
    api.http.cookies.set("cream_session", cookie)  # a stolen copy of the old cookie
    again = await api.http.get("/api/cycles")
    assert_error_shape(again, 401, "SESSION_EXPIRED")


async def test_an_expired_session_is_401(api, clock):
    from datetime import timedelta

    await api.http.post("/api/auth/login", json={"token": TOKEN})
    clock.advance(timedelta(hours=13))

    assert_error_shape(await api.http.get("/api/cycles"), 401, "SESSION_EXPIRED")


async def test_bearer_requests_need_no_csrf(api):
    response = await api.http.post("/api/system/trigger-cycle", json={}, headers=AUTH)
    assert response.status_code == 202
