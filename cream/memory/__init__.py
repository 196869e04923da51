"""Case memory: situation vectors, decisions and outcomes, retrieved by similarity."""

from cream.memory.case import (
    Case,
    CaseAction,
    CaseDecision,
    CaseDirection,
    Outcome,
    SimilarCase,
)
from cream.memory.embeddings import GeminiEmbedder, RationaleEmbedder, gemini_embedder
from cream.memory.errors import (
    CaseMemoryError,
    CaseNotFoundError,
    CorruptCaseError,
    EmbeddingError,
    InsufficientHistoryError,
    InvalidCaseError,
    OutcomeNotReadyError,
    VectorMismatchError,
)
from cream.memory.index import CaseIndex
from cream.memory.outcome import realized_outcome
from cream.memory.situation import FEATURE_NAMES, HISTORY_BARS, Situation, situation_vector
from cream.memory.store import CaseEntry, CaseMemory

__all__ = [
    "FEATURE_NAMES",
    "HISTORY_BARS",
    "Case",
    "CaseAction",
    "CaseDecision",
    "CaseDirection",
    "CaseEntry",
    "CaseIndex",
    "CaseMemory",
    "CaseMemoryError",
    "CaseNotFoundError",
    "CorruptCaseError",
    "EmbeddingError",
    "GeminiEmbedder",
    "InsufficientHistoryError",
    "InvalidCaseError",
    "Outcome",
    "OutcomeNotReadyError",
    "RationaleEmbedder",
    "SimilarCase",
    "Situation",
    "VectorMismatchError",
    "gemini_embedder",
    "realized_outcome",
    "situation_vector",
]
