//! Cream's deterministic risk core.

/// The generated `cream.v1` wire types.
#[expect(clippy::pedantic, reason = "generated code")]
pub mod pb {
    include!(concat!(env!("OUT_DIR"), "/cream.v1.rs"));
}
