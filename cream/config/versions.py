"""`ConfigVersion`: a stored config version with its parsed document."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cream.config.risk import to_risk_policy
from cream.config.schema import ConfigDocument
from cream.config.validation import validate_document
from cream.storage.config_versions import ConfigStatus, ConfigVersionRow
from cream.v1 import execution_pb2


@dataclass(frozen=True, slots=True)
class ConfigVersion:
    """A config version of one environment. `version` is None for the draft."""

    id: str
    environment: str
    version: int | None
    status: ConfigStatus
    data: dict[str, Any]
    content_hash: str
    parent_version: int | None
    created_by: str
    activated_at: str | None
    activated_by: str | None
    note: str | None
    created_at: str
    updated_at: str

    @classmethod
    def from_row(cls, row: ConfigVersionRow) -> ConfigVersion:
        """Wraps a stored row."""
        return cls(
            id=row.id,
            environment=row.environment,
            version=row.version,
            status=row.status,
            data=row.document,
            content_hash=row.content_hash,
            parent_version=row.parent_version,
            created_by=row.created_by,
            activated_at=row.activated_at,
            activated_by=row.activated_by,
            note=row.note,
            created_at=row.created_at,
            updated_at=row.updated_at,
        )

    @property
    def label(self) -> str:
        """`v7`, or `draft`."""
        return f"v{self.version}" if self.version is not None else "draft"

    def document(self) -> ConfigDocument:
        """The parsed document.

        Raises:
            ConfigValidationError: The stored content no longer passes validation.
        """
        return validate_document(self.data)

    def risk_policy(self) -> execution_pb2.RiskPolicy:
        """The `cream.v1.RiskPolicy` of this version (version 0 for a draft)."""
        return to_risk_policy(self.document().risk, self.version or 0)
