"""Record and replay provider answers, so any past cycle re-runs exactly and for free.

A cassette is one JSON file per call key in `cassette_dir`. The key is the request's
`prompt_hash()` (agent, model, system, prompt, schema); a repair attempt also hashes its
feedback, so the first answer and its repairs are distinct cassettes and a replay takes the
same number of attempts as the original. Recording wraps a real provider and stores what it
answered: the raw JSON with its usage, or the typed failure (malformed output with its errors,
timeout, rate limit...) so failures replay too. Replaying validates the stored JSON against
the schema again and reports cost 0; the original usage stays available in
`ReplayedGeneration.recorded_usage`. The model's tool calls are stored with the answer, for the
audit trail, and replayed as they were recorded; no tool runs on replay (the answer is final).
The key includes the offered tools, so a request with other tools is another cassette. A key
with no cassette is a `ReplayMissError`.
Files are written atomically (temporary file, fsync, rename).
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import json
import os
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, Final, Literal, TypeVar

from pydantic import BaseModel

from agents.providers.base import (
    Generation,
    GenerationRequest,
    MalformedOutputError,
    Provider,
    ProviderAuthError,
    ProviderError,
    ProviderRateLimitedError,
    ProviderTimeoutError,
    ProviderUnavailableError,
    ReplayMissError,
    ToolCall,
    Usage,
)
from agents.providers.output import parse_output

T = TypeVar("T", bound=BaseModel)

ReplayMode = Literal["replay", "record"]
CASSETTE_VERSION: Final = 1

# Failures that are replayed as the same exception class.
_ERRORS: Final[dict[str, type[ProviderError]]] = {
    cls.code: cls
    for cls in (
        ProviderError,
        ProviderTimeoutError,
        ProviderRateLimitedError,
        ProviderUnavailableError,
        ProviderAuthError,
    )
}


@dataclass(frozen=True, slots=True)
class ReplayedGeneration(Generation[T]):
    """A replayed answer: `usage` costs nothing; `recorded_usage` is what the original cost."""

    recorded_usage: Usage = dataclasses.field(default_factory=Usage)


def cassette_key(request: GenerationRequest[Any]) -> str:
    """The cassette's name: the prompt hash, with the feedback hashed in for repair attempts."""
    base = request.prompt_hash()
    if not request.feedback:
        return base
    material = json.dumps([base, *request.feedback], separators=(",", ":"))
    return hashlib.sha256(material.encode()).hexdigest()


def _usage_json(usage: Usage) -> dict[str, Any]:
    return {
        "input_tokens": usage.input_tokens,
        "output_tokens": usage.output_tokens,
        "cost_usd": str(usage.cost_usd),
        "latency_ms": usage.latency_ms,
    }


def _usage_from(data: dict[str, Any]) -> Usage:
    return Usage(
        int(data["input_tokens"]),
        int(data["output_tokens"]),
        Decimal(data["cost_usd"]),
        int(data["latency_ms"]),
    )


def _write_atomically(path: Path, document: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            json.dump(document, out, indent=2, sort_keys=True)
            out.flush()
            os.fsync(out.fileno())
        Path(temporary).replace(path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


class ReplayProvider:
    """Replays cassettes (`mode="replay"`) or records the answers of `inner` (`"record"`).

    Args:
        cassette_dir: Where the cassettes live (`CREAM_REPLAY_DIR`, default `var/replay`).
        mode: Replay stored answers, or call `inner` and store its answers.
        inner: The provider to record (required in record mode).
    """

    def __init__(
        self, cassette_dir: Path | str, mode: ReplayMode = "replay", inner: Provider | None = None
    ) -> None:
        if mode == "record" and inner is None:
            raise ValueError("record mode needs the provider to record (inner)")
        if mode not in ("replay", "record"):
            raise ValueError(f"mode must be 'replay' or 'record', not {mode!r}")
        self.cassette_dir = Path(cassette_dir)
        self.mode: ReplayMode = mode
        self._inner = inner

    @property
    def name(self) -> str:
        """'replay', or 'record:<inner>' while recording."""
        return (
            "replay"
            if self._inner is None or self.mode == "replay"
            else f"record:{self._inner.name}"
        )

    def path_for(self, request: GenerationRequest[Any]) -> Path:
        """The cassette file of `request`."""
        return self.cassette_dir / f"{cassette_key(request)}.json"

    async def generate(self, request: GenerationRequest[T]) -> Generation[T]:
        """The stored answer (replay) or the inner provider's answer, stored (record)."""
        if self.mode == "record":
            return await self._record(request)
        return await self._replay(request)

    async def _record(self, request: GenerationRequest[T]) -> Generation[T]:
        assert self._inner is not None  # checked in __init__
        document: dict[str, Any] = {
            "version": CASSETTE_VERSION,
            "key": cassette_key(request),
            "agent": request.agent,
            "model": request.model,
            "schema": request.schema.__name__,
            "feedback": list(request.feedback),
            "tools": list(request.tools),
            "provider": self._inner.name,
            "recorded_at": datetime.now(UTC).isoformat(),
        }
        try:
            generation = await self._inner.generate(request)
        except MalformedOutputError as exc:
            document |= {
                "outcome": "malformed",
                "raw": exc.raw,
                "errors": list(exc.errors),
                "message": exc.message,
                "usage": _usage_json(exc.usage),
                "tool_calls": [call.as_json() for call in exc.tool_calls],
            }
            await asyncio.to_thread(_write_atomically, self.path_for(request), document)
            raise
        except ProviderError as exc:
            document |= {
                "outcome": "error",
                "code": exc.code,
                "message": exc.message,
                "usage": _usage_json(exc.usage),
                "tool_calls": [call.as_json() for call in exc.tool_calls],
            }
            await asyncio.to_thread(_write_atomically, self.path_for(request), document)
            raise
        document |= {
            "outcome": "ok",
            "raw": generation.raw,
            "usage": _usage_json(generation.usage),
            "tool_calls": [call.as_json() for call in generation.tool_calls],
        }
        await asyncio.to_thread(_write_atomically, self.path_for(request), document)
        return generation

    async def _replay(self, request: GenerationRequest[T]) -> Generation[T]:
        started = time.monotonic()
        path = self.path_for(request)
        try:
            text = await asyncio.to_thread(path.read_text, encoding="utf-8")
        except FileNotFoundError as exc:
            raise ReplayMissError(
                f"no cassette for {request.agent} with {request.model} (key "
                f"{cassette_key(request)[:16]}…) in {self.cassette_dir}; record it first"
            ) from exc
        try:
            document = json.loads(text)
            outcome = document["outcome"]
            recorded = _usage_from(document["usage"])
            # Cassettes recorded before tools existed have no tool calls.
            calls = tuple(ToolCall.from_json(c) for c in document.get("tool_calls", []))
        except (ValueError, KeyError, TypeError) as exc:
            raise ReplayMissError(f"the cassette {path} is unreadable: {exc!r}") from exc
        usage = Usage(
            recorded.input_tokens,
            recorded.output_tokens,
            Decimal(0),
            round((time.monotonic() - started) * 1000),
        )
        source = f"replay of {request.agent} with {request.model}"
        failure: ProviderError | None = None
        if outcome == "malformed":
            failure = MalformedOutputError(
                f"{source}: {document.get('message', 'recorded as malformed')}",
                raw=str(document.get("raw", "")),
                errors=tuple(document.get("errors", ())),
                usage=usage,
            )
        elif outcome == "error":
            error_class = _ERRORS.get(str(document.get("code")), ProviderError)
            failure = error_class(f"{source}: {document.get('message', '')}", usage=usage)
        if failure is not None:
            failure.tool_calls = calls
            raise failure
        raw = str(document.get("raw", ""))
        output = parse_output(request.schema, raw, source=source, usage=usage)
        return ReplayedGeneration(
            output=output,
            usage=usage,
            provider=self.name,
            model=request.model,
            prompt_hash=request.prompt_hash(),
            raw=raw,
            tool_calls=calls,
            recorded_usage=recorded,
        )
