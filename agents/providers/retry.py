"""Backoff and retry of one provider call within its timeout, honouring Retry-After.

The SDKs' own retries are switched off, so this loop is the only one: a rate limit (429) or a
server error (5xx, connection failure) is retried after the server's Retry-After, or an
exponential backoff with jitter, as long as the wait still ends before the call's deadline.
When the attempts or the time run out the last failure is raised as
`ProviderRateLimitedError` or `ProviderUnavailableError`; the deadline itself as
`ProviderTimeoutError`.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Literal, TypeVar

from agents.providers.base import (
    ProviderError,
    ProviderRateLimitedError,
    ProviderTimeoutError,
    ProviderUnavailableError,
)

R = TypeVar("R")
Sleep = Callable[[float], Awaitable[None]]
FailureKind = Literal["rate_limited", "unavailable"]


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How often and how patiently to retry a transient failure."""

    max_attempts: int = 5
    base_delay_s: float = 0.5
    max_delay_s: float = 30.0

    def __post_init__(self) -> None:
        if self.max_attempts < 1 or self.base_delay_s < 0 or self.max_delay_s < 0:
            raise ValueError(
                f"a retry policy needs at least one attempt and no negative waits: {self}"
            )

    def backoff(self, attempt: int) -> float:
        """The wait after failed attempt `attempt` (1-based): exponential, half jittered."""
        ceiling = min(self.max_delay_s, self.base_delay_s * 2 ** (attempt - 1))
        return float(ceiling / 2 + random.uniform(0, ceiling / 2))


class TransientError(Exception):
    """An attempt that failed in a way worth retrying: 429, 5xx or a lost connection."""

    def __init__(self, kind: FailureKind, detail: str, retry_after_s: float | None) -> None:
        super().__init__(detail)
        self.kind = kind
        self.detail = detail
        self.retry_after_s = retry_after_s


def transient_for_status(status: int) -> FailureKind | None:
    """Whether an HTTP status is retried, and as what."""
    if status == 429:
        return "rate_limited"
    if status in (408, 409) or status >= 500:
        return "unavailable"
    return None


def retry_after_seconds(headers: Mapping[str, str], *, now: datetime | None = None) -> float | None:
    """The wait a server asked for: `retry-after-ms`, or `Retry-After` (seconds or HTTP date)."""
    lowered = {key.lower(): value for key, value in headers.items()}
    if (millis := lowered.get("retry-after-ms")) is not None:
        try:
            return max(0.0, float(millis) / 1000)
        except ValueError:
            pass
    value = lowered.get("retry-after")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def _exhausted(failure: TransientError, why: str) -> ProviderError:
    message = f"{failure.detail}; {why}"
    if failure.kind == "rate_limited":
        return ProviderRateLimitedError(message)
    return ProviderUnavailableError(message)


async def with_retries(
    call: Callable[[], Awaitable[R]],
    *,
    what: str,
    timeout_s: float,
    policy: RetryPolicy,
    sleep: Sleep = asyncio.sleep,
    stated_timeout_s: float | None = None,
) -> R:
    """The result of `call`, retried on `TransientError` until `timeout_s` has passed.

    `stated_timeout_s` is the timeout messages name when `timeout_s` is what remains of a
    longer one (a tool loop's later rounds).

    Raises:
        ProviderTimeoutError: The deadline passed during an attempt.
        ProviderRateLimitedError | ProviderUnavailableError: Retries ran out, or the next wait
            would end past the deadline.
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    stated = timeout_s if stated_timeout_s is None else stated_timeout_s
    for attempt in range(1, policy.max_attempts + 1):
        remaining = deadline - loop.time()
        if remaining <= 0:
            raise ProviderTimeoutError(f"{what} gave no answer within {stated:g} s")
        try:
            async with asyncio.timeout(remaining):
                return await call()
        except TimeoutError as exc:
            raise ProviderTimeoutError(
                f"{what} gave no answer within {stated:g} s (attempt {attempt})"
            ) from exc
        except TransientError as failure:
            if attempt == policy.max_attempts:
                raise _exhausted(failure, f"gave up after {attempt} attempts") from failure
            delay = failure.retry_after_s
            if delay is None:
                delay = policy.backoff(attempt)
            if loop.time() + delay >= deadline:
                raise _exhausted(
                    failure,
                    f"the next try would start after {delay:g} s, past the {stated:g} s "
                    f"timeout (attempt {attempt})",
                ) from failure
            await sleep(delay)
    raise AssertionError("unreachable: the loop returns or raises")  # pragma: no cover
