"""The case-memory error hierarchy: every failure is a `CaseMemoryError` with a stable code."""

from __future__ import annotations

from typing import ClassVar


class CaseMemoryError(Exception):
    """Base of every case-memory error; `code` is stable and safe to show or map to a status."""

    code: ClassVar[str] = "CASE_MEMORY_ERROR"

    def __init__(self, message: str) -> None:
        super().__init__(f"{self.code}: {message}")
        self.message = message


class InsufficientHistoryError(CaseMemoryError):
    """Too few bars closed by the decision time to describe the situation."""

    code: ClassVar[str] = "INSUFFICIENT_HISTORY"

    def __init__(self, symbol: str, needed: int, got: int) -> None:
        super().__init__(
            f"{symbol}: the situation vector needs {needed} closed bars, {got} were available; "
            f"load more history before the decision time"
        )
        self.needed = needed
        self.got = got


class InvalidCaseError(CaseMemoryError):
    """A case, decision or query given to the memory is incomplete or malformed."""

    code: ClassVar[str] = "INVALID_CASE"


class CaseNotFoundError(CaseMemoryError):
    """No case with this id exists in the memory's environment."""

    code: ClassVar[str] = "CASE_NOT_FOUND"


class OutcomeNotReadyError(CaseMemoryError):
    """The decision's horizon has not elapsed in the bars known so far."""

    code: ClassVar[str] = "OUTCOME_NOT_READY"

    def __init__(self, case_id: str, bars_missing: int) -> None:
        super().__init__(
            f"case {case_id}: the horizon ends {bars_missing} bar(s) after the last closed bar; "
            f"settle it once those bars have closed"
        )
        self.bars_missing = bars_missing


class VectorMismatchError(CaseMemoryError):
    """A situation vector has another length or feature version than the memory's."""

    code: ClassVar[str] = "VECTOR_MISMATCH"


class CorruptCaseError(CaseMemoryError):
    """A stored case row cannot be decoded (bad vector blob or JSON)."""

    code: ClassVar[str] = "CORRUPT_CASE"


class EmbeddingError(CaseMemoryError):
    """The embedding service refused the request or answered with something unusable."""

    code: ClassVar[str] = "EMBEDDING_FAILED"
