"""Building a provider by name from the settings: gemini, anthropic, replay, and any registered.

The LLM providers are wrapped in their per-provider limiter (concurrency and requests per
minute; shared through Redis when a Redis URL is given), which also paces the extra requests
of their tool loops. A missing API key is refused with a
`ProviderAuthError` saying which variable to set. Other providers (the offline `rules`
engine lives in `agents/rules/`) join through `register_provider(name, factory)`.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from agents.providers.anthropic_provider import AnthropicProvider
from agents.providers.base import Provider, ProviderAuthError, ProviderError
from agents.providers.gemini import GeminiProvider
from agents.providers.limits import LimitedProvider, ProviderLimiter
from agents.providers.replay import ReplayProvider
from cream.settings import Settings

REPLAY_DIR_ENV: Final = "CREAM_REPLAY_DIR"
DEFAULT_REPLAY_DIR: Final = "var/replay"


class UnknownProviderError(ProviderError):
    """A provider name nobody registered."""

    code = "UNKNOWN_PROVIDER"


@dataclass(frozen=True, slots=True)
class ProviderLimits:
    """Calls in flight at once and calls started per minute, per provider."""

    max_concurrent: int
    requests_per_minute: float


# Conservative defaults under the paid tiers' published per-minute quotas.
DEFAULT_LIMITS: Final[dict[str, ProviderLimits]] = {
    "gemini": ProviderLimits(max_concurrent=16, requests_per_minute=300),
    "anthropic": ProviderLimits(max_concurrent=8, requests_per_minute=50),
}

ProviderFactory = Callable[[Settings, str | None], Provider]
"""Builds a provider from the settings and an optional Redis URL (for shared limits)."""


def _limiter(name: str, redis_url: str | None) -> ProviderLimiter:
    limits = DEFAULT_LIMITS[name]
    return ProviderLimiter(
        limits.max_concurrent, limits.requests_per_minute, redis_url=redis_url, key=name
    )


def _gemini(settings: Settings, redis_url: str | None) -> Provider:
    if not settings.google_api_key:
        raise ProviderAuthError(
            "the gemini provider needs a Gemini API key: set GOOGLE_API_KEY (or choose the "
            "rules provider, which runs offline)"
        )
    limiter = _limiter("gemini", redis_url)
    provider = GeminiProvider(
        settings.google_api_key, base_url=settings.gemini_base_url, pace=limiter.token
    )
    return LimitedProvider(provider, limiter)


def _anthropic(settings: Settings, redis_url: str | None) -> Provider:
    if not settings.anthropic_api_key:
        raise ProviderAuthError(
            "the anthropic provider needs an Anthropic API key: set ANTHROPIC_API_KEY (or "
            "choose the rules provider, which runs offline)"
        )
    limiter = _limiter("anthropic", redis_url)
    provider = AnthropicProvider(
        settings.anthropic_api_key, base_url=settings.anthropic_base_url, pace=limiter.token
    )
    return LimitedProvider(provider, limiter)


def _replay(_settings: Settings, _redis_url: str | None) -> Provider:
    return ReplayProvider(Path(os.environ.get(REPLAY_DIR_ENV) or DEFAULT_REPLAY_DIR))


_FACTORIES: dict[str, ProviderFactory] = {
    "gemini": _gemini,
    "anthropic": _anthropic,
    "replay": _replay,
}


def register_provider(name: str, factory: ProviderFactory, *, replace: bool = False) -> None:
    """Makes `build_provider(name, ...)` use `factory` (e.g. the offline `rules` engine).

    Raises:
        ValueError: `name` is taken and `replace` is False.
    """
    if name in _FACTORIES and not replace:
        raise ValueError(f"a provider named {name!r} is already registered")
    _FACTORIES[name] = factory


def unregister_provider(name: str) -> None:
    """Forgets a registered provider (tests that register their own clean up with this)."""
    _FACTORIES.pop(name, None)


def registered_providers() -> tuple[str, ...]:
    """The names `build_provider` accepts."""
    return tuple(sorted(_FACTORIES))


def build_provider(name: str, settings: Settings, *, redis_url: str | None = None) -> Provider:
    """The provider called `name`, configured from `settings`.

    Raises:
        UnknownProviderError: Nobody registered `name`.
        ProviderAuthError: The provider's API key is not set.
    """
    factory = _FACTORIES.get(name)
    if factory is None:
        raise UnknownProviderError(
            f"unknown provider {name!r}; known providers: {', '.join(registered_providers())}"
        )
    return factory(settings, redis_url)
