//! Fast lookups of short strings: a hash map with a small multiplicative hasher, and tagged
//! linear sets for the few dozen symbols one plan touches.
//!
//! Keys are short ticker and OCC strings, so a fast non-keyed hash is enough; iteration order
//! of the hash map is never used for output (sums are taken in `BTreeMap` order).

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// `HashMap` with [`FxHasher`].
pub type FastMap<K, V> = HashMap<K, V, BuildHasherDefault<FxHasher>>;

/// The rustc `FxHasher` mixing step, over 8-byte words.
#[derive(Debug, Default, Clone, Copy)]
pub struct FxHasher {
    hash: u64,
}

const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

impl FxHasher {
    fn add(&mut self, word: u64) {
        self.hash = (self.hash.rotate_left(5) ^ word).wrapping_mul(SEED);
    }
}

impl Hasher for FxHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            let mut word = [0u8; 8];
            word.copy_from_slice(chunk);
            self.add(u64::from_le_bytes(word));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut word = [0u8; 8];
            word[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(word));
        }
    }

    fn write_u8(&mut self, byte: u8) {
        self.add(u64::from(byte));
    }

    fn write_usize(&mut self, value: usize) {
        self.add(u64::try_from(value).unwrap_or(u64::MAX));
    }

    fn finish(&self) -> u64 {
        self.hash
    }
}

/// The first 8 bytes of a string and its length, packed: equal strings have equal tags, and
/// most unequal short symbols differ here, so a scan compares bytes only on a likely match.
#[must_use]
pub fn tag(text: &str) -> u64 {
    let bytes = text.as_bytes();
    let mut word = [0u8; 8];
    let n = bytes.len().min(8);
    word[..n].copy_from_slice(&bytes[..n]);
    u64::from_le_bytes(word)
        ^ u64::try_from(bytes.len())
            .unwrap_or(u64::MAX)
            .rotate_right(8)
}

/// An insertion-ordered set of borrowed strings searched linearly by tag.
#[derive(Debug, Clone, Default)]
pub struct SeenSet<'a> {
    items: Vec<(u64, &'a str)>,
}

impl<'a> SeenSet<'a> {
    /// Room for `capacity` strings.
    #[must_use]
    pub fn with_capacity(capacity: usize) -> Self {
        Self {
            items: Vec::with_capacity(capacity),
        }
    }

    /// Adds `text`; false when it was already there.
    pub fn insert(&mut self, text: &'a str) -> bool {
        let t = tag(text);
        if self
            .items
            .iter()
            .any(|(other, s)| *other == t && *s == text)
        {
            return false;
        }
        self.items.push((t, text));
        true
    }
}
