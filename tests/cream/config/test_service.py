"""The lifecycle: draft → validated → active → archived, audited, with events and rollback."""

from __future__ import annotations

import pytest

from cream.clock import ManualClock
from cream.config.errors import (
    ConfigNotFoundError,
    ConfigNotProvenInPaperError,
    ConfigNotValidatedError,
    ConfigUnchangedError,
    ConfigValidationError,
)
from cream.config.service import ConfigService
from cream.events.outbox import read_after
from cream.storage.config_versions import ConfigVersionStore
from cream.storage.database import Database
from cream.storage.errors import ConstraintViolationError


async def promote(service: ConfigService, env: str, *assignments: str):
    await service.set_values(env, list(assignments), by="ana")
    await service.validate(env, by="ana")
    return await service.promote(env, by="ana")


async def test_seed_activates_the_defaults_once(service: ConfigService):
    first, created = await service.seed("PAPER")
    again, created_again = await service.seed("PAPER")

    assert (first.version, first.status, created) == (1, "active", True)
    assert (again.id, created_again) == (first.id, False)
    assert first.risk_policy().version == 1


async def test_promotion_archives_the_old_version_and_numbers_the_new_one(
    service: ConfigService,
):
    await service.seed("PAPER")

    promoted = await promote(service, "PAPER", "trading.max_consensus_iterations=2")

    assert (promoted.version, promoted.status, promoted.activated_by) == (2, "active", "ana")
    assert (await service.require_active("PAPER")).document().trading.max_consensus_iterations == 2
    assert (await service.get("PAPER", 1)).status == "archived"
    assert await service.draft("PAPER") is None


async def test_promotion_is_audited_with_who_and_the_diff_against_the_active(
    service: ConfigService,
):
    await service.seed("PAPER")

    await promote(service, "PAPER", "risk.portfolio.max_leverage=1.5")

    entry = (await service.audit("PAPER"))[0]
    assert (entry.action, entry.actor, entry.version, entry.from_version) == (
        "promote",
        "ana",
        2,
        1,
    )
    assert entry.diff == [{"key": "risk.portfolio.max_leverage", "old": "2.0", "new": "1.5"}]


async def test_promotion_appends_a_config_promoted_event_in_the_same_batch(
    service: ConfigService, db: Database
):
    await service.seed("PAPER")

    await promote(service, "PAPER", "trading.max_consensus_iterations=2")

    events = [s.event for s in await read_after(db, "PAPER", 0)]
    assert [(e.type, e.payload["version"], e.payload["action"]) for e in events] == [
        ("config.promoted", 1, "seed"),
        ("config.promoted", 2, "promote"),
    ]
    assert events[1].payload["previous_version"] == 1


async def test_an_unvalidated_or_re_edited_draft_is_not_promoted(service: ConfigService):
    await service.seed("PAPER")
    await service.set_values("PAPER", ["trading.max_consensus_iterations=2"], by="ana")

    with pytest.raises(ConfigNotValidatedError):
        await service.promote("PAPER", by="ana")

    await service.validate("PAPER", by="ana")
    await service.set_values("PAPER", ["trading.max_consensus_iterations=4"], by="bob")
    with pytest.raises(ConfigNotValidatedError):
        await service.promote("PAPER", by="ana")


async def test_promoting_what_is_already_active_says_unchanged(service: ConfigService):
    await service.seed("PAPER")
    await service.set_values("PAPER", ["trading.max_consensus_iterations=3"], by="ana")
    await service.validate("PAPER", by="ana")

    with pytest.raises(ConfigUnchangedError, match="equals the active v1"):
        await service.promote("PAPER", by="ana")
    assert (await service.require_active("PAPER")).version == 1


async def test_an_invalid_draft_is_refused_and_nothing_is_saved(service: ConfigService):
    await service.seed("PAPER")

    with pytest.raises(ConfigValidationError) as caught:
        await service.set_values(
            "PAPER",
            ["risk.portfolio.max_net_notional=900000", "agents.critic.model=gpt-9"],
            by="ana",
        )

    assert len(caught.value.errors) == 2
    assert await service.draft("PAPER") is None


async def test_rollback_reactivates_an_archived_version_as_a_new_version(
    service: ConfigService,
):
    await service.seed("PAPER")
    await promote(service, "PAPER", "trading.max_consensus_iterations=2")

    rolled = await service.rollback("PAPER", 1, by="ops")

    assert (rolled.version, rolled.parent_version, rolled.note) == (3, 1, "rollback to v1")
    assert rolled.content_hash == (await service.get("PAPER", 1)).content_hash
    assert [(v.version, v.status) for v in await service.history("PAPER")] == [
        (3, "active"),
        (2, "archived"),
        (1, "archived"),
    ]
    assert (await service.audit("PAPER"))[0].action == "rollback"


async def test_rolling_back_to_the_active_content_says_unchanged(service: ConfigService):
    await service.seed("PAPER")

    with pytest.raises(ConfigUnchangedError):
        await service.rollback("PAPER", 1, by="ops")
    with pytest.raises(ConfigNotFoundError):
        await service.rollback("PAPER", 9, by="ops")


async def test_live_only_activates_content_that_was_active_in_paper(service: ConfigService):
    await service.seed("PAPER")
    await service.seed("LIVE")  # the defaults were active in PAPER

    await service.set_values("LIVE", ["trading.max_consensus_iterations=2"], by="ana")
    with pytest.raises(ConfigNotProvenInPaperError):
        await service.validate("LIVE", by="ana")

    await promote(service, "PAPER", "trading.max_consensus_iterations=2")
    await service.validate("LIVE", by="ana")
    assert (await service.promote("LIVE", by="ana")).version == 2


async def test_live_cannot_be_seeded_before_paper(service: ConfigService):
    with pytest.raises(ConfigNotProvenInPaperError):
        await service.seed("LIVE")


async def test_environments_have_their_own_versions(service: ConfigService):
    await service.seed("PAPER")
    await promote(service, "PAPER", "trading.max_consensus_iterations=2")

    backtest, _ = await service.seed("BACKTEST")

    assert backtest.version == 1
    assert (await service.require_active("PAPER")).version == 2


async def test_one_draft_at_a_time_and_edits_update_it(service: ConfigService):
    await service.seed("PAPER")
    first = await service.set_values("PAPER", ["trading.max_consensus_iterations=2"], by="a")
    second = await service.set_values("PAPER", ["universe.symbols=SPY,AAPL"], by="b")

    assert first.id == second.id
    assert second.document().trading.max_consensus_iterations == 2
    assert [v.label for v in await service.history("PAPER")] == ["draft", "v1"]
    assert [(e.key, e.new) for e in await service.diff("PAPER")] == [
        ("trading.max_consensus_iterations", 2),
        ("universe.symbols", ["SPY", "AAPL"]),
    ]


async def test_a_write_based_on_a_stale_draft_is_rolled_back_whole(
    service: ConfigService, db: Database, clock: ManualClock
):
    await service.seed("PAPER")
    stale = await service.set_values("PAPER", ["trading.max_consensus_iterations=2"], by="a")
    await service.set_values("PAPER", ["trading.max_consensus_iterations=4"], by="b")
    store = ConfigVersionStore(db, "PAPER")
    audit_rows = len(await service.audit("PAPER"))

    with pytest.raises(ConstraintViolationError):
        await db.batch(
            [
                store.audit_entry(
                    "late",
                    "draft",
                    stale.id,
                    actor="a",
                    now=clock.now(),
                    draft=(stale.content_hash, ("draft", "validated")),
                ),
                store.update_draft(
                    stale.id,
                    "{}",
                    "late-hash",
                    expected_hash=stale.content_hash,
                    status="draft",
                    now=clock.now(),
                ),
            ]
        )

    draft = await service.draft("PAPER")
    assert draft is not None
    assert draft.document().trading.max_consensus_iterations == 4
    assert len(await service.audit("PAPER")) == audit_rows


async def test_discarding_the_draft_leaves_the_active_version(service: ConfigService):
    await service.seed("PAPER")
    await service.set_values("PAPER", ["trading.max_consensus_iterations=2"], by="a")

    await service.discard_draft("PAPER", by="a")

    assert await service.draft("PAPER") is None
    assert (await service.require_active("PAPER")).version == 1
