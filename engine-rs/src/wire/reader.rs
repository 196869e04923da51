//! A protobuf wire reader over a byte slice, with `prost`'s acceptance rules.

/// The bytes are not something this decoder accepts; `prost` decides what they are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Malformed;

/// A `google.protobuf.Timestamp`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Timestamp {
    pub seconds: i64,
    pub nanos: i32,
}

impl Timestamp {
    pub(super) fn merge(&mut self, bytes: &[u8]) -> Result<(), Malformed> {
        let mut r = Reader::new(bytes);
        while let Some((tag, wire)) = r.key()? {
            match tag {
                1 => self.seconds = r.int64(wire)?,
                2 => self.nanos = r.int32(wire)?,
                _ => r.skip(wire)?,
            }
        }
        Ok(())
    }
}

/// Wire types `prost` knows (groups are refused here).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Wire {
    Varint,
    Fixed64,
    Delimited,
    Fixed32,
}

pub(super) struct Reader<'a> {
    buf: &'a [u8],
}

impl<'a> Reader<'a> {
    pub(super) fn new(buf: &'a [u8]) -> Self {
        Self { buf }
    }

    /// At most 10 bytes, the tenth below 2 (`prost`'s rule).
    pub(super) fn varint(&mut self) -> Result<u64, Malformed> {
        if let Some((&byte, rest)) = self.buf.split_first()
            && byte < 0x80
        {
            self.buf = rest;
            return Ok(u64::from(byte));
        }
        let mut value = 0u64;
        for index in 0..10 {
            let Some((&byte, rest)) = self.buf.split_first() else {
                return Err(Malformed);
            };
            self.buf = rest;
            value |= u64::from(byte & 0x7F) << (index * 7);
            if byte < 0x80 {
                return if index == 9 && byte >= 2 {
                    Err(Malformed)
                } else {
                    Ok(value)
                };
            }
        }
        Err(Malformed)
    }

    /// The next field's tag and wire type, None at the end of the message.
    pub(super) fn key(&mut self) -> Result<Option<(u32, Wire)>, Malformed> {
        if self.buf.is_empty() {
            return Ok(None);
        }
        let key = self.varint()?;
        let key = u32::try_from(key).map_err(|_| Malformed)?;
        let wire = match key & 7 {
            0 => Wire::Varint,
            1 => Wire::Fixed64,
            2 => Wire::Delimited,
            5 => Wire::Fixed32,
            _ => return Err(Malformed),
        };
        let tag = key >> 3;
        if tag == 0 {
            return Err(Malformed);
        }
        Ok(Some((tag, wire)))
    }

    fn take(&mut self, len: u64) -> Result<&'a [u8], Malformed> {
        let len = usize::try_from(len).map_err(|_| Malformed)?;
        if len > self.buf.len() {
            return Err(Malformed);
        }
        let (head, rest) = self.buf.split_at(len);
        self.buf = rest;
        Ok(head)
    }

    pub(super) fn bytes(&mut self, wire: Wire) -> Result<&'a [u8], Malformed> {
        if wire != Wire::Delimited {
            return Err(Malformed);
        }
        let len = self.varint()?;
        self.take(len)
    }

    pub(super) fn string(&mut self, wire: Wire) -> Result<&'a str, Malformed> {
        std::str::from_utf8(self.bytes(wire)?).map_err(|_| Malformed)
    }

    fn scalar(&mut self, wire: Wire) -> Result<u64, Malformed> {
        if wire != Wire::Varint {
            return Err(Malformed);
        }
        self.varint()
    }

    #[expect(
        clippy::cast_possible_truncation,
        reason = "protobuf truncates an int32 read from a 64-bit varint"
    )]
    pub(super) fn int32(&mut self, wire: Wire) -> Result<i32, Malformed> {
        Ok(self.scalar(wire)? as i32)
    }

    #[expect(
        clippy::cast_possible_truncation,
        reason = "protobuf truncates a uint32 read from a 64-bit varint"
    )]
    pub(super) fn uint32(&mut self, wire: Wire) -> Result<u32, Malformed> {
        Ok(self.scalar(wire)? as u32)
    }

    #[expect(
        clippy::cast_possible_wrap,
        reason = "protobuf reads an int64 as the varint's two's complement"
    )]
    pub(super) fn int64(&mut self, wire: Wire) -> Result<i64, Malformed> {
        Ok(self.scalar(wire)? as i64)
    }

    pub(super) fn double(&mut self, wire: Wire) -> Result<f64, Malformed> {
        if wire != Wire::Fixed64 {
            return Err(Malformed);
        }
        let bytes = self.take(8)?;
        let mut raw = [0u8; 8];
        raw.copy_from_slice(bytes);
        Ok(f64::from_le_bytes(raw))
    }

    /// Skips an unknown field.
    pub(super) fn skip(&mut self, wire: Wire) -> Result<(), Malformed> {
        match wire {
            Wire::Varint => self.varint().map(drop),
            Wire::Fixed64 => self.take(8).map(drop),
            Wire::Fixed32 => self.take(4).map(drop),
            Wire::Delimited => {
                let len = self.varint()?;
                self.take(len).map(drop)
            }
        }
    }
}

/// Checks that a string field of a message this core does not read is valid UTF-8, as the
/// `prost` decoder does for every known string field.
pub(super) fn skip_string(r: &mut Reader<'_>, wire: Wire) -> Result<(), Malformed> {
    r.string(wire).map(drop)
}
