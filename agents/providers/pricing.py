"""Per-million-token list prices of the models Cream calls, and the cost of one call.

Prices are the providers' published standard (pay-as-you-go, text, no caching, no batch)
rates in US dollars per million tokens:

- Gemini: https://ai.google.dev/gemini-api/docs/pricing (Gemini 3 Pro Preview $2/$12 up to
  200k prompt tokens, $4/$18 above; Gemini 3 Flash Preview $0.50/$3; Gemini 2.5 Pro
  $1.25/$10 up to 200k, $2.50/$15 above; Gemini 2.5 Flash $0.30/$2.50). Output prices include
  thinking tokens, which Gemini reports separately and we add to the output count.
- Anthropic: https://docs.claude.com/en/docs/about-claude/pricing (Opus 4.1 $15/$75; Sonnet
  4.5 $3/$15 up to 200k prompt tokens, $6/$22.50 above; Haiku 4.5 $1/$5).

A model without a price is refused before the call: a budget in dollars cannot be enforced
for a call whose cost is unknown (fail closed).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Final

from agents.providers.base import ProviderError

_MILLION: Final = Decimal(1_000_000)


class UnknownModelPriceError(ProviderError):
    """No list price for a model, so its calls cannot be costed against a budget."""

    code = "UNKNOWN_MODEL_PRICE"


@dataclass(frozen=True, slots=True)
class ModelPrice:
    """Dollars per million input and output tokens; long prompts may cost more."""

    input_per_mtok: Decimal
    output_per_mtok: Decimal
    # Prompts longer than this many tokens are billed at the long-context rates.
    long_context_threshold: int | None = None
    long_input_per_mtok: Decimal | None = None
    long_output_per_mtok: Decimal | None = None

    def cost(self, input_tokens: int, output_tokens: int) -> Decimal:
        """The dollar cost of one call with these token counts."""
        input_rate, output_rate = self.input_per_mtok, self.output_per_mtok
        threshold = self.long_context_threshold
        if threshold is not None and input_tokens > threshold:
            input_rate = self.long_input_per_mtok or input_rate
            output_rate = self.long_output_per_mtok or output_rate
        return (input_tokens * input_rate + output_tokens * output_rate) / _MILLION


def _d(value: str) -> Decimal:
    return Decimal(value)


PRICES: Final[Mapping[str, ModelPrice]] = {
    "gemini-3-pro-preview": ModelPrice(_d("2"), _d("12"), 200_000, _d("4"), _d("18")),
    "gemini-3-flash-preview": ModelPrice(_d("0.50"), _d("3")),
    "gemini-2.5-pro": ModelPrice(_d("1.25"), _d("10"), 200_000, _d("2.50"), _d("15")),
    "gemini-2.5-flash": ModelPrice(_d("0.30"), _d("2.50")),
    "claude-opus-4-5": ModelPrice(_d("5"), _d("25")),
    "claude-opus-4-1": ModelPrice(_d("15"), _d("75")),
    "claude-sonnet-4-5": ModelPrice(_d("3"), _d("15"), 200_000, _d("6"), _d("22.50")),
    "claude-haiku-4-5": ModelPrice(_d("1"), _d("5")),
}


def price_for(model: str) -> ModelPrice:
    """The list price of `model`; a dated or versioned id (`claude-sonnet-4-5-20250929`,
    `gemini-2.5-flash-001`) takes the price of the model it names.

    Raises:
        UnknownModelPriceError: The model has no price in the table.
    """
    if model in PRICES:
        return PRICES[model]
    for name in sorted(PRICES, key=len, reverse=True):
        if model.startswith(f"{name}-"):
            return PRICES[name]
    raise UnknownModelPriceError(
        f"no list price for model {model!r}, so its cost cannot be budgeted; priced models: "
        f"{', '.join(sorted(PRICES))} (add it to agents/providers/pricing.py)"
    )


def call_cost(model: str, input_tokens: int, output_tokens: int) -> Decimal:
    """The dollar cost of one call of `model`."""
    return price_for(model).cost(input_tokens, output_tokens)
