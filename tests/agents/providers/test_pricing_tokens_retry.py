"""Price table, token estimate and Retry-After parsing."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from agents.providers.pricing import UnknownModelPriceError, call_cost, price_for
from agents.providers.retry import RetryPolicy, retry_after_seconds
from agents.providers.tokens import count_tokens
from cream.config.models import KNOWN_MODELS


def test_every_known_llm_model_has_a_price() -> None:
    for model, known in KNOWN_MODELS.items():
        if known.provider in ("gemini", "anthropic"):
            assert price_for(model).output_per_mtok > 0, model


def test_long_prompts_are_billed_at_the_long_context_rate() -> None:
    assert call_cost("gemini-3-pro-preview", 200_000, 1_000) == Decimal("0.412")
    assert call_cost("gemini-3-pro-preview", 200_001, 1_000) == Decimal("0.818004")


def test_dated_model_ids_take_their_family_price_and_unknown_ones_fail() -> None:
    assert price_for("claude-sonnet-4-5-20250929") == price_for("claude-sonnet-4-5")
    with pytest.raises(UnknownModelPriceError):
        price_for("claude-sonnet-4-50")
    with pytest.raises(UnknownModelPriceError):
        price_for("gpt-5")


@pytest.mark.parametrize(
    ("text", "tokens"),
    [
        ("", 0),
        ("hello world", 2),  # cl100k ids 15339, 1917
        ("Hello, world!", 4),  # 9906, 11, 1917, 0
        ("How's it going?", 5),  # 4438, 596, 433, 2133, 30
        ("The quick brown fox jumps over the lazy dog.", 10),
        ("<|endoftext|>", 7),  # special-token text is counted as plain text
    ],
)
def test_tokens_are_counted_with_the_cl100k_encoding(text: str, tokens: int) -> None:
    assert count_tokens(text) == tokens


def test_token_counts_grow_with_the_text() -> None:
    short = count_tokens('{"symbol": "AAPL", "close": 187.25}')
    assert 10 <= short <= 20
    assert count_tokens('{"symbol": "AAPL", "close": 187.25}\n' * 10) >= 10 * short


def test_retry_after_forms() -> None:
    now = datetime(2026, 11, 20, 12, 0, 0, tzinfo=UTC)
    assert retry_after_seconds({"Retry-After": "7"}) == 7.0
    assert retry_after_seconds({"retry-after-ms": "1500", "retry-after": "9"}) == 1.5
    assert retry_after_seconds({"Retry-After": "Fri, 20 Nov 2026 12:00:30 GMT"}, now=now) == 30.0
    assert retry_after_seconds({"Retry-After": "soon"}) is None
    assert retry_after_seconds({}) is None


def test_backoff_grows_and_is_capped() -> None:
    policy = RetryPolicy(base_delay_s=1.0, max_delay_s=4.0)
    assert 0.5 <= policy.backoff(1) <= 1.0
    assert 2.0 <= policy.backoff(3) <= 4.0
    assert 2.0 <= policy.backoff(10) <= 4.0
    with pytest.raises(ValueError, match="at least one attempt"):
        RetryPolicy(max_attempts=0)
