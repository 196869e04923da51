"""The `rules` provider: a deterministic, offline baseline strategy for the eight roles.

Importing this package registers it with `agents.providers.registry` as "rules", so
`build_provider("rules", settings)` works wherever the package has been imported.
"""

from agents.providers.base import Provider
from agents.providers.registry import register_provider, registered_providers
from agents.rules.provider import MODEL_NAME, PROVIDER_NAME, RulesProvider
from cream.settings import Settings

__all__ = ["MODEL_NAME", "PROVIDER_NAME", "RulesProvider", "register"]


def _factory(_settings: Settings, _redis_url: str | None) -> Provider:
    # No keys, no network, no rate limits: nothing in the settings applies.
    return RulesProvider()


def register() -> None:
    """Registers the rules provider under "rules" (idempotent)."""
    if PROVIDER_NAME not in registered_providers():
        register_provider(PROVIDER_NAME, _factory)


register()
