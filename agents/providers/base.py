"""The provider protocol: one structured generation call, with its usage.

A provider turns a `GenerationRequest` (agent, model, prompts, output schema and the agent's
structured inputs) into a validated instance of the schema plus the call's `Usage`. Errors are
typed with a stable code, so the graph can record `reason_code` and fail closed:

- `MalformedOutputError`: the answer did not validate; carries the raw text and the errors,
  which the structured-retry wrapper feeds back to the model (at most twice).
- `ProviderTimeoutError`, `ProviderRateLimitedError`, `ProviderUnavailableError`,
  `ProviderAuthError`, `ReplayMissError`: everything else that can go wrong.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Generic, Protocol, TypeVar

from pydantic import BaseModel

from agents.inputs import AgentInputs

T = TypeVar("T", bound=BaseModel)


@dataclass(frozen=True, slots=True)
class Usage:
    """What one call cost: tokens in and out, dollars, wall time."""

    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: Decimal = Decimal(0)
    latency_ms: int = 0

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            self.input_tokens + other.input_tokens,
            self.output_tokens + other.output_tokens,
            self.cost_usd + other.cost_usd,
            self.latency_ms + other.latency_ms,
        )


@dataclass(frozen=True, slots=True)
class GenerationRequest(Generic[T]):
    """One call: who asks, which model, the prompts, the schema and the structured inputs."""

    agent: str
    model: str
    system: str
    prompt: str
    schema: type[T]
    inputs: AgentInputs
    temperature: float = 0.2
    timeout_s: float = 120.0
    # Validation errors of earlier attempts, fed back so the model can fix its answer.
    feedback: tuple[str, ...] = ()

    def prompt_hash(self) -> str:
        """SHA-256 of (agent, model, system, prompt, schema): the replay key and lineage id."""
        material = json.dumps(
            [self.agent, self.model, self.system, self.prompt, self.schema.__name__],
            separators=(",", ":"),
        )
        return hashlib.sha256(material.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class Generation(Generic[T]):
    """A validated answer and what it cost."""

    output: T
    usage: Usage
    provider: str
    model: str
    prompt_hash: str
    # The raw text the model returned (JSON), kept for replay and audit.
    raw: str = ""
    attempts: int = 1
    errors: tuple[str, ...] = field(default=())


class Provider(Protocol):
    """Structured generation into a pydantic model."""

    @property
    def name(self) -> str: ...

    async def generate(self, request: GenerationRequest[T]) -> Generation[T]:
        """One validated answer, or a `ProviderError`."""
        ...


class ProviderError(Exception):
    """A call that produced no valid answer; `code` is stable and goes into `reason_code`."""

    code = "PROVIDER_ERROR"

    def __init__(self, message: str, *, usage: Usage | None = None) -> None:
        super().__init__(f"{self.code}: {message}")
        self.message = message
        # Tokens spent before the failure still count against the cycle's budget.
        self.usage = usage or Usage()


class MalformedOutputError(ProviderError):
    code = "MALFORMED_OUTPUT"

    def __init__(
        self, message: str, *, raw: str, errors: tuple[str, ...], usage: Usage | None = None
    ) -> None:
        super().__init__(message, usage=usage)
        self.raw = raw
        self.errors = errors


class ProviderTimeoutError(ProviderError):
    code = "PROVIDER_TIMEOUT"


class ProviderRateLimitedError(ProviderError):
    code = "PROVIDER_RATE_LIMITED"


class ProviderUnavailableError(ProviderError):
    code = "PROVIDER_UNAVAILABLE"


class ProviderAuthError(ProviderError):
    code = "PROVIDER_AUTH"


class ReplayMissError(ProviderError):
    code = "REPLAY_MISS"
