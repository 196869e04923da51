"""The event types Cream's processes exchange through the outbox (ARCHITECTURE §7).

One place for the names, so producers (graph, API, engine) and consumers (worker, `/ws`,
dashboard) cannot drift apart. Payloads are thin: ids, status and what a list view needs;
details are fetched over REST.
"""

from __future__ import annotations

from typing import Final

# Command (API → worker): run a cycle now. Payload: cycle_id, symbols (list or null),
# use_draft (bool), requested_by, trigger ("api" | "cli" | "schedule").
CYCLE_REQUESTED: Final = "cycle.requested"
# Payload: cycle_id, symbols, config_version, trigger, environment.
CYCLE_STARTED: Final = "cycle.started"
# Payload: cycle_id, stage (see CYCLE_STAGES), state ("started" | "completed" | "failed"),
# round (approval rounds, else 0), detail (short text).
CYCLE_STAGE: Final = "cycle.stage"
# Payload: cycle_id, status ("completed" | "failed"), decisions, orders, wall_ms, error.
CYCLE_COMPLETED: Final = "cycle.completed"
CYCLE_FAILED: Final = "cycle.failed"
# Payload: cycle_id, decision_id, symbol, action, status, reason_code.
DECISION_MADE: Final = "decision.made"
# Payload: cycle_id, decision_id, client_order_id, symbol, side, quantity, status.
ORDER_SUBMITTED: Final = "orders.submitted"
# Payload: order_id, client_order_id, symbol, exec_type, status, filled_qty, price.
ORDER_UPDATED: Final = "orders.updated"
# Payload: severity ("info" | "warning" | "critical"), code, message.
ALERT_RAISED: Final = "alerts.raised"

# The stages of one cycle, in order (the dashboard's progress display).
CYCLE_STAGES: Final = (
    "observe",
    "orient",
    "analysts",
    "research",
    "trader",
    "approval",
    "act",
    "persist",
)
