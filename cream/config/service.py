"""`ConfigService`: the draft → validated → active → archived lifecycle, per environment.

Every change is one `db.batch()` guarded inside the transaction (see
`cream.storage.config_versions`), audited, and — for activations — appends a
`config.promoted` event to the outbox in the same batch, then wakes the consumers.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, Final, Literal, Protocol

from cream.config.content import (
    canonical_json,
    content_hash,
    diff,
    document_data,
)
from cream.config.errors import (
    ConfigConflictError,
    ConfigNotProvenInPaperError,
    ConfigNotValidatedError,
    ConfigUnchangedError,
)
from cream.config.keys import apply_assignments
from cream.config.reader import ConfigReader
from cream.config.schema import default_document
from cream.config.validation import validate_document
from cream.config.versions import ConfigVersion
from cream.events.log import EventLog
from cream.storage.config_versions import (
    AuditAction,
    ConfigVersionStore,
    Preconditions,
)
from cream.storage.database import Statement
from cream.storage.errors import ConstraintViolationError

PROMOTED_EVENT: Final = "config.promoted"


class ConfigService(ConfigReader):
    """Reads and changes config versions (constructor arguments as `ConfigReader`)."""

    async def set_values(
        self, environment: str, assignments: Sequence[str], *, by: str
    ) -> ConfigVersion:
        """Applies `dotted.key=value` assignments to the draft (creating it from the active).

        Raises:
            UnknownConfigKeyError: A key names no field.
            ConfigValidationError: A value has the wrong type, or the result is invalid;
                every problem is listed and nothing is saved.
        """
        base = await self._draft_base(environment)
        return await self.save_draft(environment, apply_assignments(base, assignments), by=by)

    async def save_draft(
        self, environment: str, data: Mapping[str, Any], *, by: str
    ) -> ConfigVersion:
        """Replaces the draft's content (creating the draft if there is none).

        Raises:
            ConfigValidationError: The content is invalid; every problem is listed.
            ConfigConflictError: The draft was changed or created concurrently.
        """
        normal = document_data(validate_document(data))
        store = ConfigVersionStore(self._db, environment)
        now = self._clock.now()
        current = await store.draft()
        if current is None:
            active = await store.active()
            config_id = uuid.uuid4().hex
            previous = active.document if active is not None else None
            steps = [
                store.insert_draft(
                    config_id,
                    canonical_json(normal),
                    content_hash(normal),
                    parent_version=active.version if active is not None else None,
                    by=by,
                    now=now,
                ),
                store.audit_entry(
                    uuid.uuid4().hex,
                    "draft",
                    config_id,
                    actor=by,
                    now=now,
                    from_version=active.version if active is not None else None,
                    diff=[e.as_dict() for e in diff(previous, normal)],
                    draft=(content_hash(normal), ("draft",)),
                ),
            ]
        else:
            steps = _rewrite_draft(
                store,
                current,
                normal,
                action="draft",
                status="draft",
                by=by,
                now=now,
                diff=[e.as_dict() for e in diff(current.document, normal)],
            )
        await self._guarded(steps, f"the {environment} draft changed while it was being saved")
        return await self._require_draft(environment)

    async def validate(self, environment: str, *, by: str) -> ConfigVersion:
        """Checks the draft and marks it validated.

        Raises:
            ConfigNotFoundError: There is no draft.
            ConfigValidationError: The draft is invalid; every problem is listed.
            ConfigNotProvenInPaperError: LIVE, and this content was never active in PAPER.
        """
        draft = await self._require_draft(environment)
        validate_document(draft.data)
        store = ConfigVersionStore(self._db, environment)
        await self._check_proven(store, draft.content_hash)
        steps = _rewrite_draft(
            store,
            draft,
            draft.data,
            action="validate",
            status="validated",
            by=by,
            now=self._clock.now(),
        )
        await self._guarded(steps, f"the {environment} draft changed while it was being validated")
        return await self._require_draft(environment)

    async def promote(self, environment: str, *, by: str) -> ConfigVersion:
        """Activates the validated draft as a new version, archiving the active one.

        Raises:
            ConfigNotFoundError: There is no draft.
            ConfigNotValidatedError: The draft is not validated (or was edited since).
            ConfigUnchangedError: The draft's content equals the active version's.
            ConfigNotProvenInPaperError: LIVE, and this content was never active in PAPER.
            ConfigConflictError: Another promotion or rollback won the race.
        """
        draft = await self._require_draft(environment)
        if draft.status != "validated":
            raise ConfigNotValidatedError(
                f"the {environment} draft is not validated; run `cream config validate` first"
            )
        validate_document(draft.data)
        store = ConfigVersionStore(self._db, environment)
        active = await store.active()
        if active is not None and active.content_hash == draft.content_hash:
            raise ConfigUnchangedError(
                f"the {environment} draft equals the active v{active.version}; nothing to promote"
            )
        await self._check_proven(store, draft.content_hash)
        top = await store.max_version()
        now = self._clock.now()
        guard = Preconditions(
            active_id=active.id if active is not None else None,
            max_version=top,
            proven_hash=draft.content_hash if environment == "LIVE" else None,
        )
        changes = diff(active.document if active is not None else None, draft.data)
        steps = [
            store.audit_entry(
                uuid.uuid4().hex,
                "promote",
                draft.id,
                actor=by,
                now=now,
                version=top + 1,
                from_version=active.version if active is not None else None,
                diff=[e.as_dict() for e in changes],
                guard=guard,
                draft=(draft.content_hash, ("validated",)),
            ),
            store.archive_active(now),
            store.activate_draft(draft.id, top + 1, by=by, now=now),
        ]
        previous = active.version if active is not None else None
        return await self._activate(
            environment, steps, top + 1, previous, "promote", by, draft.content_hash
        )

    async def rollback(self, environment: str, version: int, *, by: str) -> ConfigVersion:
        """Re-activates archived version `version` as a NEW version.

        Raises:
            ConfigNotFoundError: No such version.
            ConfigUnchangedError: Its content equals the active version's.
            ConfigValidationError: Its content no longer passes validation.
            ConfigNotProvenInPaperError: LIVE, and this content was never active in PAPER.
            ConfigConflictError: Another promotion or rollback won the race.
        """
        target = await self.get(environment, version)
        store = ConfigVersionStore(self._db, environment)
        active = await store.active()
        if active is not None and active.content_hash == target.content_hash:
            raise ConfigUnchangedError(
                f"v{version} has the same content as the active v{active.version}; "
                f"nothing to roll back"
            )
        validate_document(target.data)
        await self._check_proven(store, target.content_hash)
        top = await store.max_version()
        now = self._clock.now()
        config_id = uuid.uuid4().hex
        guard = Preconditions(
            active_id=active.id if active is not None else None,
            max_version=top,
            proven_hash=target.content_hash if environment == "LIVE" else None,
        )
        changes = diff(active.document if active is not None else None, target.data)
        steps = [
            store.audit_entry(
                uuid.uuid4().hex,
                "rollback",
                config_id,
                actor=by,
                now=now,
                version=top + 1,
                from_version=active.version if active is not None else None,
                diff=[e.as_dict() for e in changes],
                guard=guard,
            ),
            store.archive_active(now),
            store.insert_active(
                config_id,
                top + 1,
                canonical_json(target.data),
                target.content_hash,
                parent_version=version,
                by=by,
                note=f"rollback to v{version}",
                now=now,
            ),
        ]
        previous = active.version if active is not None else None
        return await self._activate(
            environment, steps, top + 1, previous, "rollback", by, target.content_hash
        )

    async def seed(self, environment: str, *, by: str = "seed") -> tuple[ConfigVersion, bool]:
        """Activates the defaults as v1 unless the environment has a version already.

        Returns:
            The active version and whether this call created it.

        Raises:
            ConfigNotProvenInPaperError: LIVE, and the defaults were never active in PAPER.
        """
        store = ConfigVersionStore(self._db, environment)
        if await store.max_version() > 0:
            return await self.require_active(environment), False
        data = document_data(default_document())
        digest = content_hash(data)
        await self._check_proven(store, digest)
        now = self._clock.now()
        config_id = uuid.uuid4().hex
        steps = [
            store.audit_entry(
                uuid.uuid4().hex,
                "seed",
                config_id,
                actor=by,
                now=now,
                version=1,
                diff=[e.as_dict() for e in diff(None, data)],
                guard=Preconditions(None, 0, proven_hash=digest if environment == "LIVE" else None),
            ),
            store.insert_active(
                config_id,
                1,
                canonical_json(data),
                digest,
                parent_version=None,
                by=by,
                note="defaults",
                now=now,
            ),
        ]
        try:
            created = await self._activate(environment, steps, 1, None, "seed", by, digest)
        except ConfigConflictError:
            if await store.max_version() > 0:
                return await self.require_active(environment), False  # seeded concurrently
            raise
        return created, True

    async def discard_draft(self, environment: str, *, by: str) -> None:
        """Deletes the draft (audited).

        Raises:
            ConfigNotFoundError: There is no draft.
        """
        draft = await self._require_draft(environment)
        store = ConfigVersionStore(self._db, environment)
        now = self._clock.now()
        steps = [
            store.audit_entry(
                uuid.uuid4().hex,
                "discard",
                draft.id,
                actor=by,
                now=now,
                from_version=draft.parent_version,
                draft=(draft.content_hash, ("draft", "validated")),
            ),
            store.delete_draft(draft.id),
        ]
        await self._guarded(steps, f"the {environment} draft changed while it was being discarded")

    async def _activate(
        self,
        environment: str,
        steps: list[Statement],
        version: int,
        previous: int | None,
        action: str,
        by: str,
        digest: str,
    ) -> ConfigVersion:
        log = EventLog(
            self._db, environment, producer="config", notifier=self._notifier, clock=self._clock
        )
        event = log.event(
            PROMOTED_EVENT,
            {
                "environment": environment,
                "version": version,
                "previous_version": previous,
                "action": action,
                "by": by,
                "content_hash": digest,
            },
        )
        await self._guarded(
            [*steps, log.append(event)],
            f"the {environment} config changed while {action} was running (another promotion "
            f"or rollback won); review `cream config history` and retry",
        )
        await log.wake()
        return await self.get(environment, version)

    async def _guarded(self, steps: list[Statement], conflict: str) -> None:
        try:
            await self._db.batch(steps)
        except ConstraintViolationError as exc:
            raise ConfigConflictError(conflict) from exc

    async def _draft_base(self, environment: str) -> dict[str, Any]:
        draft = await self.draft(environment)
        if draft is not None:
            return draft.data
        active = await self.active(environment)
        return active.data if active is not None else document_data(default_document())

    async def _check_proven(self, store: ConfigVersionStore, digest: str) -> None:
        if store.environment == "LIVE" and not await store.proven_in_paper(digest):
            raise ConfigNotProvenInPaperError(
                "LIVE may only activate a config that was active in PAPER; promote this "
                "content in PAPER first"
            )


class _DraftRef(Protocol):
    """What a draft rewrite needs to know of the draft it replaces."""

    @property
    def id(self) -> str: ...
    @property
    def parent_version(self) -> int | None: ...
    @property
    def content_hash(self) -> str: ...


def _rewrite_draft(
    store: ConfigVersionStore,
    current: _DraftRef,
    data: Mapping[str, Any],
    *,
    action: AuditAction,
    status: Literal["draft", "validated"],
    by: str,
    now: datetime,
    diff: list[dict[str, Any]] | None = None,
) -> list[Statement]:
    """The audited update of an existing draft, guarded by the content hash it was read with."""
    return [
        store.audit_entry(
            uuid.uuid4().hex,
            action,
            current.id,
            actor=by,
            now=now,
            from_version=current.parent_version,
            diff=diff,
            draft=(current.content_hash, ("draft", "validated")),
        ),
        store.update_draft(
            current.id,
            canonical_json(data),
            content_hash(data),
            expected_hash=current.content_hash,
            status=status,
            now=now,
        ),
    ]
