"""How many tokens a prompt costs, counted offline, for budgets and benchmarks.

The count is exact for OpenAI's `cl100k_base` byte-pair encoding: the Rust core embeds the
tokenizer and its vocabulary (tiktoken-rs), so no network is needed. Gemini and Claude use
tokenizers of their own, which their count-tokens endpoints report only over the network; on
the English and JSON that Cream puts in prompts, cl100k counts are within about 10-20 % of
theirs. After a call, the providers' own usage reports (exact) are what cost and budgets use.
"""

from __future__ import annotations

from cream.engine.tokens import count_cl100k


def count_tokens(text: str) -> int:
    """The number of `cl100k_base` tokens `text` takes as a prompt (0 for an empty text)."""
    return count_cl100k(text)
