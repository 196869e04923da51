"""Client order ids derived from (cycle, decision, leg): a resumed cycle never trades twice."""

from __future__ import annotations

import hashlib


def derive_client_order_id(cycle_id: str, decision_id: str, leg: int = 0) -> str:
    """A stable id of at most 48 characters (Alpaca's limit) for one order of one decision."""
    if not cycle_id or not decision_id or leg < 0:
        raise ValueError("cycle_id and decision_id are required and leg must be >= 0")
    digest = hashlib.sha256(f"{cycle_id}\x1f{decision_id}\x1f{leg}".encode()).hexdigest()
    return f"cr-{digest[:40]}-{leg}"[:48]
