//! Token counts for Python: the `cl100k_base` byte-pair encoding of `OpenAI`.
//!
//! The vocabulary is compiled into the module (tiktoken-rs embeds it), so counting needs no
//! network and gives the same number on every machine.

use pyo3::prelude::*;

/// How many `cl100k_base` tokens `text` encodes to (special-token text counts as plain text).
#[pyfunction]
pub fn count_tokens_cl100k(py: Python<'_>, text: &str) -> usize {
    let bpe = tiktoken_rs::cl100k_base_singleton();
    py.detach(|| bpe.count_ordinary(text))
}
