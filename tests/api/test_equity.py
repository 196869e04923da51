"""`GET /api/portfolio/equity` over HTTP: the stored curve, its filters, validation and auth."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from cream.storage.equity import EquityRepository
from tests.api.harness import AUTH, assert_error_shape

T0 = datetime(2026, 11, 18, 15, 0, tzinfo=UTC)


async def _store(api, count: int) -> None:
    repo = EquityRepository(api.db, "PAPER", clock=api.clock)
    for n in range(count):
        await repo.record(
            time=T0 + timedelta(minutes=5 * n),
            equity=f"{100000 + n}.50",
            cash="25000.00",
            buying_power="100000.00",
            source="cycle" if n == 1 else "schedule",
            cycle_id="c-1" if n == 1 else None,
        )


async def test_the_curve_is_returned_oldest_first_with_money_as_strings(api):
    await _store(api, 3)

    response = await api.http.get("/api/portfolio/equity", headers=AUTH)

    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["environment"], body["truncated"], body["limit"]) == ("PAPER", False, 1000)
    assert [(p["time"], p["equity"]) for p in body["points"]] == [
        ("2026-11-18T15:00:00.000000Z", "100000.50"),
        ("2026-11-18T15:05:00.000000Z", "100001.50"),
        ("2026-11-18T15:10:00.000000Z", "100002.50"),
    ]
    assert body["points"][1]["source"] == "cycle"
    assert body["points"][1]["cycle_id"] == "c-1"


async def test_an_empty_curve_is_an_empty_list_not_an_error(api):
    response = await api.http.get("/api/portfolio/equity", headers=AUTH)
    assert response.status_code == 200
    assert response.json()["points"] == []


async def test_from_is_inclusive_to_is_exclusive_and_limit_keeps_the_newest(api):
    await _store(api, 5)

    ranged = await api.http.get(
        "/api/portfolio/equity",
        params={"from": "2026-11-18T15:05:00Z", "to": "2026-11-18T15:15:00Z"},
        headers=AUTH,
    )
    limited = await api.http.get("/api/portfolio/equity", params={"limit": 2}, headers=AUTH)

    assert [p["equity"] for p in ranged.json()["points"]] == ["100001.50", "100002.50"]
    assert [p["equity"] for p in limited.json()["points"]] == ["100003.50", "100004.50"]
    assert limited.json()["truncated"] is True


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"from": "2026-11-18T15:00:00"}, "NAIVE_TIMESTAMP"),
        ({"from": "2026-11-18T16:00:00Z", "to": "2026-11-18T15:00:00Z"}, "INVALID_RANGE"),
        ({"from": "yesterday"}, "VALIDATION_FAILED"),
        ({"limit": 0}, "VALIDATION_FAILED"),
        ({"limit": 10_001}, "VALIDATION_FAILED"),
    ],
)
async def test_bad_filters_are_422_in_the_error_shape(api, params, code):
    response = await api.http.get("/api/portfolio/equity", params=params, headers=AUTH)
    assert_error_shape(response, 422, code)


async def test_the_curve_needs_credentials(api):
    assert_error_shape(await api.http.get("/api/portfolio/equity"), 401, "UNAUTHENTICATED")
    wrong = {"Authorization": "Bearer not-the-token"}
    assert_error_shape(
        await api.http.get("/api/portfolio/equity", headers=wrong), 403, "INVALID_TOKEN"
    )
