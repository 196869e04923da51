//! The outcome of a check, kept as numbers until it is written out: as a
//! `CheckConstraintsResponse` message, or straight to its protobuf bytes.

use rust_decimal::Decimal;

use crate::decimal::{fmt, money, write_fmt_to, write_money_to};
use crate::pb;

/// One decision's `DecisionCheck`, with its figures unformatted.
#[derive(Debug, Clone, Default)]
pub(super) struct DecisionOutcome<'a> {
    pub id: &'a str,
    pub approved: bool,
    /// The `OrderSide` value, 0 until the side is known.
    pub side: i32,
    /// Written with [`fmt`].
    pub quantity: Option<Decimal>,
    /// Written with [`fmt`].
    pub reference_price: Option<Decimal>,
    /// Written with [`money`].
    pub notional: Option<Decimal>,
}

/// A whole check's result.
#[derive(Debug, Clone, Default)]
pub(super) struct Outcome<'a> {
    pub approved: bool,
    pub violations: Vec<pb::ConstraintViolation>,
    pub decisions: Vec<DecisionOutcome<'a>>,
    pub trading_state: i32,
    pub policy_version: i64,
}

impl Outcome<'_> {
    /// The response message.
    pub fn into_response(self) -> pb::CheckConstraintsResponse {
        pb::CheckConstraintsResponse {
            approved: self.approved,
            violations: self.violations,
            decisions: self
                .decisions
                .into_iter()
                .map(|d| pb::DecisionCheck {
                    decision_id: d.id.to_owned(),
                    approved: d.approved,
                    quantity: d.quantity.map(fmt).unwrap_or_default(),
                    reference_price: d.reference_price.map(fmt).unwrap_or_default(),
                    notional: d.notional.map(money).unwrap_or_default(),
                    side: d.side,
                })
                .collect(),
            trading_state: self.trading_state,
            policy_version: self.policy_version,
        }
    }

    /// The response's protobuf encoding, byte for byte what `prost` writes for
    /// [`Outcome::into_response`], without building the message.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(64 + 48 * self.decisions.len());
        if self.approved {
            key(&mut out, 1, VARINT);
            out.push(1);
        }
        for violation in &self.violations {
            prost::encoding::message::encode(2, violation, &mut out);
        }
        for decision in &self.decisions {
            key(&mut out, 3, LEN);
            let start = out.len();
            // A decision check is nearly always under 128 bytes: one length byte, patched below.
            out.push(0);
            string(&mut out, 1, decision.id);
            if decision.approved {
                key(&mut out, 2, VARINT);
                out.push(1);
            }
            if let Some(quantity) = decision.quantity {
                number(&mut out, 3, |out| write_fmt_to(out, quantity));
            }
            if let Some(reference) = decision.reference_price {
                number(&mut out, 4, |out| write_fmt_to(out, reference));
            }
            if let Some(notional) = decision.notional {
                number(&mut out, 5, |out| write_money_to(out, notional));
            }
            if decision.side != 0 {
                key(&mut out, 6, VARINT);
                varint(&mut out, int32_wire(decision.side));
            }
            patch_len(&mut out, start);
        }
        if self.trading_state != 0 {
            key(&mut out, 4, VARINT);
            varint(&mut out, int32_wire(self.trading_state));
        }
        if self.policy_version != 0 {
            key(&mut out, 5, VARINT);
            varint(
                &mut out,
                u64::from_ne_bytes(self.policy_version.to_ne_bytes()),
            );
        }
        out
    }
}

const VARINT: u8 = 0;
const LEN: u8 = 2;

/// An int32 on the wire: sign-extended to 64 bits.
fn int32_wire(value: i32) -> u64 {
    u64::from_ne_bytes(i64::from(value).to_ne_bytes())
}

/// Writes the length of the message body that starts after the byte at `at` into that byte,
/// moving the body when its length needs more than one byte.
fn patch_len(out: &mut Vec<u8>, at: usize) {
    let len = out.len() - at - 1;
    if let Ok(byte) = u8::try_from(len)
        && byte < 0x80
    {
        out[at] = byte;
        return;
    }
    let mut prefix = Vec::with_capacity(10);
    varint(&mut prefix, len as u64);
    out.splice(at..=at, prefix);
}

/// A string field holding a number written by `write` (always under 128 bytes).
fn number(out: &mut Vec<u8>, tag: u8, write: impl FnOnce(&mut Vec<u8>)) {
    key(out, tag, LEN);
    let at = out.len();
    out.push(0);
    write(out);
    patch_len(out, at);
}

fn varint(out: &mut Vec<u8>, value: u64) {
    prost::encoding::encode_varint(value, out);
}

fn key(out: &mut Vec<u8>, tag: u8, wire: u8) {
    out.push(tag << 3 | wire);
}

fn string(out: &mut Vec<u8>, tag: u8, value: &str) {
    if !value.is_empty() {
        key(out, tag, LEN);
        varint(out, value.len() as u64);
        out.extend_from_slice(value.as_bytes());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use prost::Message;

    #[test]
    fn direct_encoding_equals_the_message_encoding() {
        let violation = pb::ConstraintViolation {
            code: "X".into(),
            severity: 1,
            decision_id: "d1".into(),
            message: "m".into(),
            context: [("k".to_owned(), "v".to_owned())].into_iter().collect(),
        };
        let long_id = "d".repeat(200);
        for (approved, side, state, version) in [
            (true, 1, 1, 7),
            (false, 0, 0, 0),
            (false, 2, -3, -1),
            (true, -1, 3, i64::MAX),
        ] {
            let outcome = Outcome {
                approved,
                violations: if approved {
                    vec![]
                } else {
                    vec![violation.clone()]
                },
                decisions: vec![
                    DecisionOutcome {
                        id: "d1",
                        approved,
                        side,
                        quantity: Some(Decimal::new(20, 0)),
                        reference_price: Some(Decimal::new(-1_234_500, 4)),
                        notional: Some(Decimal::new(-5, 3)),
                    },
                    DecisionOutcome {
                        id: &long_id,
                        ..DecisionOutcome::default()
                    },
                    DecisionOutcome::default(),
                ],
                trading_state: state,
                policy_version: version,
            };
            assert_eq!(
                outcome.encode(),
                outcome.clone().into_response().encode_to_vec()
            );
        }
    }
}
