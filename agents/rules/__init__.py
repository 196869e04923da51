"""The `rules` provider: a deterministic, offline baseline strategy for the eight roles."""

from agents.rules.provider import MODEL_NAME, PROVIDER_NAME, RulesProvider

__all__ = ["MODEL_NAME", "PROVIDER_NAME", "RulesProvider"]
