"""The provider protocol: one structured generation call, with its usage and tool calls.

A provider turns a `GenerationRequest` (agent, model, prompts, output schema, the agent's
structured inputs and the tools it may call) into a validated instance of the schema plus the
call's `Usage`. LLM providers run the tool-calling loop themselves (`agents/providers/
toolloop.py`): at most `max_tool_rounds` rounds of tool calls, each recorded as a `ToolCall`,
then the final structured answer; usage sums over every round. Errors are typed with a stable
code, so the graph can record `reason_code` and fail closed:

- `MalformedOutputError`: the answer did not validate; carries the raw text and the errors,
  which the structured-retry wrapper feeds back to the model (at most twice).
- `ProviderTimeoutError`, `ProviderRateLimitedError`, `ProviderUnavailableError`,
  `ProviderAuthError`, `ReplayMissError`: everything else that can go wrong.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Final, Generic, Protocol, TypeVar

from pydantic import BaseModel

from agents.inputs import AgentInputs

if TYPE_CHECKING:
    from agents.tools import ToolData

T = TypeVar("T", bound=BaseModel)

# Tool rounds per generation before the model is asked for its answer without tools.
DEFAULT_MAX_TOOL_ROUNDS: Final = 4


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
    # Names of the tools (keys of `agents.tools.TOOLS`) the model may call, and what they read.
    tools: tuple[str, ...] = ()
    tool_data: ToolData | None = field(default=None, compare=False, repr=False)
    max_tool_rounds: int = DEFAULT_MAX_TOOL_ROUNDS

    def __post_init__(self) -> None:
        # A request that offers tools must be able to run them: refuse it here, not mid-call.
        if self.max_tool_rounds < 0:
            raise ValueError(f"max_tool_rounds must be >= 0, got {self.max_tool_rounds}")
        if not self.tools:
            return
        from agents.tools import TOOLS

        unknown = [name for name in self.tools if name not in TOOLS]
        if unknown:
            raise ValueError(f"unknown tools {unknown}; tools: {', '.join(TOOLS)}")
        if len(set(self.tools)) != len(self.tools):
            raise ValueError(f"tools are listed twice: {list(self.tools)}")
        if self.tool_data is None:
            raise ValueError(f"{self.agent} is offered tools {list(self.tools)} but no tool data")

    def prompt_hash(self) -> str:
        """SHA-256 of (agent, model, system, prompt, schema[, tools]): replay key and lineage id.

        The tool names join the material only when there are tools, so the hash of a request
        without tools is what it was before tools existed (recorded cassettes still match).
        """
        parts: list[Any] = [self.agent, self.model, self.system, self.prompt, self.schema.__name__]
        if self.tools:
            parts.append({"tools": list(self.tools), "max_tool_rounds": self.max_tool_rounds})
        material = json.dumps(parts, separators=(",", ":"))
        return hashlib.sha256(material.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class ToolCall:
    """One tool call the model made, for audit: what it asked and how the tool answered."""

    name: str
    arguments: Mapping[str, Any]
    ok: bool
    # The ToolError's code when `ok` is False (UNKNOWN_TOOL, INVALID_ARGUMENTS, NO_BARS...).
    error_code: str | None = None
    error: str | None = None
    latency_ms: int = 0
    # The tool round (1-based) and the structured-retry attempt it belonged to.
    round: int = 1
    attempt: int = 1

    def as_json(self) -> dict[str, Any]:
        """The JSON-ready record (arguments as the model sent them)."""
        return {
            "name": self.name,
            "arguments": dict(self.arguments),
            "ok": self.ok,
            "error_code": self.error_code,
            "error": self.error,
            "latency_ms": self.latency_ms,
            "round": self.round,
            "attempt": self.attempt,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ToolCall:
        """The call recorded by `as_json`.

        Raises:
            KeyError, TypeError, ValueError: `data` is not such a record.
        """
        arguments = data["arguments"]
        if not isinstance(arguments, dict):
            raise TypeError(f"tool call arguments must be an object, not {arguments!r}")
        return cls(
            name=str(data["name"]),
            arguments=arguments,
            ok=bool(data["ok"]),
            error_code=data.get("error_code"),
            error=data.get("error"),
            latency_ms=int(data.get("latency_ms", 0)),
            round=int(data.get("round", 1)),
            attempt=int(data.get("attempt", 1)),
        )


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
    # Every tool call of every attempt, in order.
    tool_calls: tuple[ToolCall, ...] = field(default=())


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
        # Tool calls made before the failure, kept for the audit of the failed call.
        self.tool_calls: tuple[ToolCall, ...] = ()


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
