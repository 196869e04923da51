"""`ConfigReader`: the read side of config governance (active, draft, versions, audit, diffs)."""

from __future__ import annotations

from cream.clock import Clock, SystemClock
from cream.config.content import DiffEntry, diff
from cream.config.errors import ConfigNotFoundError
from cream.config.versions import ConfigVersion
from cream.events.wakeups import Notifier
from cream.storage.config_versions import AuditRow, ConfigVersionStore
from cream.storage.database import Database


class ConfigReader:
    """Reads config versions; `ConfigService` adds the lifecycle changes.

    Args:
        db: An open, migrated database.
        clock: Source of every timestamp.
        notifier: Wakes event consumers after an activation commits.
    """

    def __init__(
        self, db: Database, *, clock: Clock | None = None, notifier: Notifier | None = None
    ) -> None:
        self._db = db
        self._clock = clock or SystemClock()
        self._notifier = notifier

    async def active(self, environment: str) -> ConfigVersion | None:
        """The active version of the environment, or None before `cream db seed`."""
        row = await ConfigVersionStore(self._db, environment).active()
        return ConfigVersion.from_row(row) if row is not None else None

    async def require_active(self, environment: str) -> ConfigVersion:
        """The active version.

        Raises:
            ConfigNotFoundError: None is active yet.
        """
        active = await self.active(environment)
        if active is None:
            raise ConfigNotFoundError(
                f"no active config in {environment}; run `cream db seed` to activate the defaults"
            )
        return active

    async def draft(self, environment: str) -> ConfigVersion | None:
        """The draft, or None."""
        row = await ConfigVersionStore(self._db, environment).draft()
        return ConfigVersion.from_row(row) if row is not None else None

    async def get(self, environment: str, version: int) -> ConfigVersion:
        """The version with this number.

        Raises:
            ConfigNotFoundError: No such version.
        """
        row = await ConfigVersionStore(self._db, environment).version(version)
        if row is None:
            raise ConfigNotFoundError(f"{environment} has no config version {version}")
        return ConfigVersion.from_row(row)

    async def history(self, environment: str) -> list[ConfigVersion]:
        """The draft (if any), then every version newest first."""
        rows = await ConfigVersionStore(self._db, environment).versions()
        return [ConfigVersion.from_row(row) for row in rows]

    async def audit(self, environment: str, limit: int = 100) -> list[AuditRow]:
        """The audit trail, newest first."""
        return await ConfigVersionStore(self._db, environment).audit(limit)

    async def diff(
        self, environment: str, old: int | None = None, new: int | None = None
    ) -> list[DiffEntry]:
        """What changes from version `old` to `new` (defaults: the active and the draft).

        Raises:
            ConfigNotFoundError: A version, the active config or the draft does not exist.
        """
        if old is not None:
            before = await self.get(environment, old)
        else:
            before = await self.require_active(environment)
        if new is not None:
            after = await self.get(environment, new)
        else:
            draft = await self.draft(environment)
            if draft is None:
                raise ConfigNotFoundError(f"{environment} has no draft to compare")
            after = draft
        return diff(before.data, after.data)

    async def _require_draft(self, environment: str) -> ConfigVersion:
        draft = await self.draft(environment)
        if draft is None:
            raise ConfigNotFoundError(
                f"{environment} has no draft; start one with `cream config set KEY=VALUE` or "
                f"`cream config edit`"
            )
        return draft
