"""Why the `rules` provider cannot answer: typed provider errors with stable codes."""

from __future__ import annotations

from agents.providers.base import ProviderError


class InsufficientDataError(ProviderError):
    """No price at all for a symbol: nothing can be computed without inventing numbers."""

    code = "RULES_INSUFFICIENT_DATA"


class RulesInputError(ProviderError):
    """The request cannot be answered as given (unknown agent, wrong schema, bad limits)."""

    code = "RULES_BAD_INPUT"
