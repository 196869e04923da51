"""Token counts from the compiled core: the `cl100k_base` byte-pair encoding.

The Rust core embeds tiktoken-rs and its vocabulary, so counting needs no network. Only
`cream.engine` imports the compiled module (tests/test_architecture.py); everyone else counts
through here.
"""

from __future__ import annotations

from cream._engine import count_tokens_cl100k


def count_cl100k(text: str) -> int:
    """How many `cl100k_base` tokens `text` encodes to (special-token text is plain text)."""
    return count_tokens_cl100k(text)
