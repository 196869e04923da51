"""trigger-cycle queues a row and its command atomically; cycles show status and stages."""

from __future__ import annotations

from datetime import timedelta

from cream.events.log import EventLog
from cream.events.outbox import read_after
from cream.events.types import CYCLE_REQUESTED, CYCLE_STAGE
from cream.storage.cycles import CycleRepository
from tests.api.harness import AUTH, assert_error_shape


async def test_trigger_cycle_writes_the_queued_row_and_the_command_in_one_transaction(api):
    response = await api.http.post(
        "/api/system/trigger-cycle",
        json={"symbols": ["aapl", "SPY"], "use_draft": False},
        headers={**AUTH, "x-correlation-id": "req-42"},
    )

    assert response.status_code == 202, response.text
    body = response.json()
    cycle_id = body["cycle_id"]
    assert response.headers["location"] == f"/api/cycles/{cycle_id}"
    assert (body["status"], body["symbols"], body["config_version"]) == (
        "queued",
        ["AAPL", "SPY"],
        1,
    )
    cycle = await CycleRepository(api.db, "PAPER").get(cycle_id)
    assert cycle is not None
    assert (cycle.status, cycle.requested_by, cycle.use_draft, cycle.started_at) == (
        "queued",
        "api-token",
        False,
        None,
    )
    commands = [s.event for s in await read_after(api.db, "PAPER", 0) if s.event.kind == "command"]
    assert len(commands) == 1
    command = commands[0]
    assert (command.type, command.cycle_id, command.correlation_id) == (
        CYCLE_REQUESTED,
        cycle_id,
        "req-42",
    )
    assert command.payload == {
        "cycle_id": cycle_id,
        "symbols": ["AAPL", "SPY"],
        "use_draft": False,
        "requested_by": "api-token",
        "trigger": "api",
    }


async def test_when_the_command_cannot_be_written_no_cycle_row_is_left(api):
    await api.db.execute(
        "CREATE TRIGGER refuse_commands BEFORE INSERT ON outbox WHEN NEW.type = 'cycle.requested' "
        "BEGIN SELECT RAISE(ABORT, 'outbox refused'); END"
    )

    response = await api.http.post("/api/system/trigger-cycle", json={}, headers=AUTH)

    assert response.status_code >= 400
    assert_error_shape(response, response.status_code)
    assert await CycleRepository(api.db, "PAPER").list() == []
    rows = await api.db.query("SELECT COUNT(*) AS n FROM audit_log WHERE action = 'cycle.trigger'")
    assert rows[0]["n"] == 0


async def test_symbols_outside_the_universe_are_422_with_the_offenders(api):
    response = await api.http.post(
        "/api/system/trigger-cycle", json={"symbols": ["AAPL", "ZZZZ"]}, headers=AUTH
    )

    body = assert_error_shape(response, 422, "SYMBOL_NOT_IN_UNIVERSE")
    assert body["details"]["invalid"] == ["ZZZZ"]
    assert await CycleRepository(api.db, "PAPER").list() == []


async def test_malformed_symbols_and_unknown_fields_are_422(api):
    bad = await api.http.post(
        "/api/system/trigger-cycle", json={"symbols": ["aa pl; drop"]}, headers=AUTH
    )
    assert_error_shape(bad, 422, "INVALID_SYMBOL")
    extra = await api.http.post(
        "/api/system/trigger-cycle", json={"symbols": None, "force": True}, headers=AUTH
    )
    body = assert_error_shape(extra, 422, "VALIDATION_FAILED")
    assert any("force" in e["field"] for e in body["details"]["errors"])


async def test_use_draft_without_a_draft_is_409(api):
    response = await api.http.post(
        "/api/system/trigger-cycle", json={"use_draft": True}, headers=AUTH
    )
    assert_error_shape(response, 409, "DRAFT_NOT_FOUND")


async def test_a_queued_cycle_runs_to_completed_with_its_stage_progress(api, clock):
    queued = await api.http.post("/api/system/trigger-cycle", json={}, headers=AUTH)
    cycle_id = queued.json()["cycle_id"]
    cycles = CycleRepository(api.db, "PAPER", clock=clock)
    log = EventLog(api.db, "PAPER", producer="worker", clock=clock)

    await cycles.start(cycle_id, config_version=1, symbols=["SPY"], started_at=clock.now())
    await log.commit(
        [],
        [
            log.event(
                CYCLE_STAGE, {"cycle_id": cycle_id, "stage": s, "state": st}, cycle_id=cycle_id
            )
            for s, st in (("observe", "started"), ("observe", "completed"), ("orient", "started"))
        ],
    )
    running = (await api.http.get(f"/api/cycles/{cycle_id}", headers=AUTH)).json()

    assert running["cycle"]["status"] == "running"
    assert running["cycle"]["requested_by"] == "api-token"
    states = {s["stage"]: s["state"] for s in running["stages"]}
    assert states["observe"] == "completed"
    assert states["orient"] == "started"
    assert states["act"] == "pending"

    await cycles.finish(cycle_id, status="completed", finished_at=clock.now() + timedelta(1))
    listed = (await api.http.get("/api/cycles", headers=AUTH)).json()
    assert [(c["cycle_id"], c["status"]) for c in listed["items"]] == [(cycle_id, "completed")]
    failed_only = (await api.http.get("/api/cycles?status=failed", headers=AUTH)).json()
    assert failed_only["items"] == []


async def test_an_unknown_cycle_is_404(api):
    response = await api.http.get("/api/cycles/nope", headers=AUTH)
    assert_error_shape(response, 404, "CYCLE_NOT_FOUND")
