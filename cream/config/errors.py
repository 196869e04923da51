"""Config governance errors: each has a stable code; validation lists every field problem."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar


@dataclass(frozen=True, slots=True)
class FieldError:
    """One problem of a config document: the dotted field path and what is wrong."""

    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"


class ConfigError(Exception):
    """Base of every config governance error."""

    code: ClassVar[str] = "CONFIG_ERROR"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ConfigValidationError(ConfigError):
    """A config document is invalid; `errors` lists every problem, not only the first."""

    code: ClassVar[str] = "CONFIG_INVALID"

    def __init__(self, errors: list[FieldError]) -> None:
        lines = "\n".join(f"  {error}" for error in errors)
        super().__init__(f"the config has {len(errors)} problem(s):\n{lines}")
        self.errors = errors


class UnknownConfigKeyError(ConfigError):
    """A dotted key names no config field."""

    code: ClassVar[str] = "CONFIG_UNKNOWN_KEY"


class ConfigNotFoundError(ConfigError):
    """The requested version, draft or active config does not exist."""

    code: ClassVar[str] = "CONFIG_NOT_FOUND"


class ConfigConflictError(ConfigError):
    """The state changed under the operation (another promotion won, the draft was edited)."""

    code: ClassVar[str] = "CONFIG_CONFLICT"


class ConfigUnchangedError(ConfigError):
    """The operation would activate content equal to the active version's."""

    code: ClassVar[str] = "CONFIG_UNCHANGED"


class ConfigNotValidatedError(ConfigError):
    """Promotion needs a validated draft."""

    code: ClassVar[str] = "CONFIG_NOT_VALIDATED"


class ConfigNotProvenInPaperError(ConfigError):
    """LIVE may only activate content that was active in PAPER."""

    code: ClassVar[str] = "CONFIG_NOT_PROVEN_IN_PAPER"
