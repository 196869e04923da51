"""The operator's path through the dashboard in a real Chromium against the real stack:
log in, trigger a cycle, watch its stages complete, open the resulting decision, see the
equity curve the worker recorded after the cycle and the worker's health, edit the draft and
see a validation error, fix it, promote, and see the new active version (audited)."""

from __future__ import annotations

import json
import re
import time
import urllib.request
from pathlib import Path
from typing import Any, Final

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.stack import CreamStack

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

# Liveness bounds for waits, never speed assertions: a cycle on a loaded CI box with the
# offline rules model still takes a while.
CYCLE_TIMEOUT_MS: Final = 240_000
UI_TIMEOUT_MS: Final = 30_000
STAGES: Final = (
    "observe",
    "orient",
    "analysts",
    "research",
    "trader",
    "approval",
    "act",
    "persist",
)
EDITED_FIELD: Final = "trading.max_consensus_iterations"


def api_get(stack: CreamStack, path: str) -> Any:
    """A GET against the api with the bearer token (the test's own view of the truth)."""
    request = urllib.request.Request(
        f"{stack.api_url}{path}", headers={"Authorization": f"Bearer {stack.token}"}
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def shot(page: Page, artifacts: Path, name: str) -> None:
    page.screenshot(path=str(artifacts / f"{name}.png"), full_page=True)


def log_in(page: Page, stack: CreamStack, artifacts: Path) -> None:
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/login"))
    page.get_by_test_id("login-actor").fill("e2e-operator")
    # A wrong token is refused with the API's error shown, not swallowed.
    page.get_by_test_id("login-token").fill("not-the-token")
    page.get_by_test_id("login-submit").click()
    expect(page.get_by_test_id("login-error")).to_contain_text("INVALID_TOKEN")
    shot(page, artifacts, "01-login-refused")
    page.get_by_test_id("login-token").fill(stack.token)
    page.get_by_test_id("login-submit").click()
    expect(page.get_by_test_id("account-stats")).to_be_visible(timeout=UI_TIMEOUT_MS)
    expect(page.get_by_test_id("ws-status")).to_have_attribute("data-status", "open")
    shot(page, artifacts, "02-overview")


def run_cycle(page: Page, stack: CreamStack, artifacts: Path) -> tuple[str, str]:
    """Triggers a cycle for one symbol and waits for every stage; returns (cycle, symbol)."""
    page.get_by_test_id("nav-cycles").click()
    picker = page.get_by_test_id("symbol-picker").locator("input[type=checkbox]")
    expect(picker.first).to_be_visible(timeout=UI_TIMEOUT_MS)
    symbol = picker.first.get_attribute("data-testid")
    assert symbol is not None and symbol.startswith("symbol-")
    symbol = symbol.removeprefix("symbol-")
    picker.first.check()
    page.get_by_test_id("trigger-cycle").click()

    progress = page.get_by_test_id("cycle-progress")
    expect(progress).to_be_visible(timeout=UI_TIMEOUT_MS)
    cycle_id = progress.get_attribute("data-cycle-id")
    assert cycle_id, "the trigger returned no cycle id"
    shot(page, artifacts, "03-cycle-requested")

    for stage in STAGES:
        expect(page.get_by_test_id(f"stage-{stage}")).to_have_attribute(
            "data-state", "completed", timeout=CYCLE_TIMEOUT_MS
        )
    expect(page.get_by_test_id("cycle-status")).to_have_attribute(
        "data-status", "completed", timeout=CYCLE_TIMEOUT_MS
    )
    shot(page, artifacts, "04-cycle-completed")
    # The progress was pushed over /ws (thin cycle.stage events), not only read over REST.
    live_events = int(progress.get_attribute("data-live-events") or "0")
    assert live_events >= len(STAGES), f"only {live_events} stage events arrived over /ws"

    stored = api_get(stack, f"/api/cycles/{cycle_id}")
    assert stored["cycle"]["status"] == "completed"
    assert stored["cycle"]["symbols"] == [symbol]
    assert stored["cycle"]["requested_by"] == "e2e-operator"
    assert [s["state"] for s in stored["stages"]] == ["completed"] * len(STAGES)
    # Who triggered it is audited with the name given at login.
    triggers = api_get(stack, "/api/audit?action=cycle.trigger")
    assert any(e["actor"] == "e2e-operator" and e["target"] == cycle_id for e in triggers)
    return cycle_id, symbol


def open_decision(
    page: Page, stack: CreamStack, artifacts: Path, cycle_id: str, symbol: str
) -> None:
    page.get_by_test_id("cycle-link").click()
    expect(page).to_have_url(re.compile(f"/cycles/{cycle_id}$"))
    row = page.get_by_test_id("decision-row").filter(has_text=symbol).first
    expect(row).to_be_visible(timeout=UI_TIMEOUT_MS)
    decision_id = row.get_attribute("data-decision-id")
    row.get_by_test_id("decision-link").click()

    detail = page.get_by_test_id("decision-detail")
    expect(detail).to_have_attribute("data-decision-id", str(decision_id), timeout=UI_TIMEOUT_MS)
    expect(page.get_by_test_id("decision-symbol")).to_have_text(symbol)
    stored = api_get(stack, f"/api/decisions/{decision_id}")
    expect(page.get_by_test_id("decision-action")).to_have_text(stored["summary"]["action"])
    # Every agent that spoke in the cycle is on the page.
    agents = {output["agent"] for output in stored["agent_outputs"]}
    assert agents, "the cycle stored no agent outputs"
    for agent in agents:
        expect(page.get_by_test_id(f"agent-output-{agent}").first).to_be_visible()
    shot(page, artifacts, "05-decision")


def wait_for_equity_point(stack: CreamStack, cycle_id: str) -> dict[str, Any]:
    """The equity point the worker stores right after the cycle (polled over the API)."""
    deadline = time.monotonic() + UI_TIMEOUT_MS / 1000
    while time.monotonic() < deadline:
        points = api_get(stack, "/api/portfolio/equity")["points"]
        after = [p for p in points if p["cycle_id"] == cycle_id]
        if after:
            return after[-1]
        stack.check_alive()
        time.sleep(0.5)
    raise AssertionError(f"no equity point after cycle {cycle_id}:\n{stack.logs()}")


def see_equity_and_worker(page: Page, stack: CreamStack, artifacts: Path, cycle_id: str) -> None:
    point = wait_for_equity_point(stack, cycle_id)
    assert point["source"] == "cycle"
    page.get_by_test_id("nav-overview").click()
    card = page.get_by_test_id("equity-card")
    expect(card).to_be_visible(timeout=UI_TIMEOUT_MS)
    # lightweight-charts draws into canvases inside the chart's container.
    expect(card.get_by_test_id("equity-chart").locator("canvas").first).to_be_visible(
        timeout=UI_TIMEOUT_MS
    )
    expect(card.get_by_test_id("equity-empty")).to_have_count(0)
    shot(page, artifacts, "06-equity-curve")

    page.get_by_test_id("nav-health").click()
    worker = page.get_by_test_id("worker-health")
    expect(worker.get_by_test_id("worker-jobs")).to_contain_text(
        "equity_snapshot", timeout=UI_TIMEOUT_MS
    )
    expect(worker.get_by_test_id("worker-status")).to_have_attribute(
        "data-status", re.compile(r"^(ok|degraded)$")
    )
    shot(page, artifacts, "07-worker-health")


def edit_and_promote(page: Page, stack: CreamStack, artifacts: Path) -> None:
    before = api_get(stack, "/api/config/active")
    page.get_by_test_id("nav-config").click()
    expect(page.get_by_test_id("active-version")).to_have_text(f"v{before['version']}")

    field = page.get_by_test_id(f"config-field-{EDITED_FIELD}")
    current = before["data"]["trading"]["max_consensus_iterations"]
    fixed = 2 if current != 2 else 4
    field.fill("0")
    page.get_by_test_id("config-save").click()
    error = page.get_by_test_id(f"config-error-{EDITED_FIELD}")
    expect(error).to_be_visible(timeout=UI_TIMEOUT_MS)
    expect(field).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_test_id("config-error")).to_contain_text("CONFIG_INVALID")
    shot(page, artifacts, "08-validation-error")

    field.fill(str(fixed))
    page.get_by_test_id("config-save").click()
    expect(page.get_by_test_id("config-notice")).to_have_text("Draft saved.", timeout=UI_TIMEOUT_MS)
    expect(error).to_have_count(0)

    page.get_by_test_id("config-promote").click()
    dialog = page.get_by_test_id("promote-dialog")
    expect(dialog).to_be_visible()
    expect(dialog.locator(f'[data-testid="diff-row"][data-key="{EDITED_FIELD}"]')).to_be_visible()
    shot(page, artifacts, "09-promote-confirm")
    page.get_by_test_id("dialog-confirm").click()

    new_version = before["version"] + 1
    expect(page.get_by_test_id("active-version")).to_have_text(
        f"v{new_version}", timeout=UI_TIMEOUT_MS
    )
    expect(page.get_by_test_id("config-notice")).to_contain_text(f"v{new_version} is now active")
    after = api_get(stack, "/api/config/active")
    assert after["version"] == new_version
    assert after["data"]["trading"]["max_consensus_iterations"] == fixed
    assert after["activated_by"] == "e2e-operator"
    promotions = api_get(stack, "/api/audit?action=config.promote")
    assert any(
        e["actor"] == "e2e-operator" and e["target"] == f"config/v{new_version}" for e in promotions
    )
    page.get_by_test_id("tab-history").click()
    expect(
        page.locator(f'[data-testid="history-row"][data-version="{new_version}"]')
    ).to_contain_text("active")
    shot(page, artifacts, "10-promoted")


def test_operator_triggers_a_cycle_reads_its_decision_sees_equity_and_promotes_a_config(
    page: Page, stack: CreamStack, artifacts: Path
) -> None:
    log_in(page, stack, artifacts)
    cycle_id, symbol = run_cycle(page, stack, artifacts)
    open_decision(page, stack, artifacts, cycle_id, symbol)
    see_equity_and_worker(page, stack, artifacts, cycle_id)
    edit_and_promote(page, stack, artifacts)
    stack.check_alive()
