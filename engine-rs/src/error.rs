//! The stable code and message every core error carries across the boundary.

/// An error with a stable machine-readable code and a message a person can act on.
pub trait Coded {
    /// Stable code, e.g. "`PLAN_EMPTY`".
    fn code(&self) -> &str;
    /// What went wrong and what to fix.
    fn message(&self) -> String;
}

/// A protobuf message could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{what} is not a valid protobuf message: {reason}")]
pub struct DecodeError {
    /// The message type that was expected.
    pub what: &'static str,
    /// The decoder's reason.
    pub reason: String,
}

impl Coded for DecodeError {
    fn code(&self) -> &'static str {
        "DECODE_ERROR"
    }
    fn message(&self) -> String {
        self.to_string()
    }
}

/// Decodes `bytes` as message `M`.
///
/// # Errors
/// `DecodeError` when the bytes are not a valid encoding of `M`.
pub fn decode<M: prost::Message + Default>(
    what: &'static str,
    bytes: &[u8],
) -> Result<M, DecodeError> {
    M::decode(bytes).map_err(|err| DecodeError {
        what,
        reason: err.to_string(),
    })
}
