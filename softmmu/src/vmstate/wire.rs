//! Little-endian encoding of device and cpu state: a `Writer` appends
//! fields, a `Reader` takes them back and reports a short or malformed
//! record as a `StateError` (never a panic).

use super::StateError;

#[derive(Default)]
pub struct Writer {
    pub buf: Vec<u8>,
}

impl Writer {
    pub fn u8(&mut self, v: u8) -> &mut Self {
        self.buf.push(v);
        self
    }
    pub fn bool(&mut self, v: bool) -> &mut Self {
        self.u8(v as u8)
    }
    pub fn u16(&mut self, v: u16) -> &mut Self {
        self.buf.extend_from_slice(&v.to_le_bytes());
        self
    }
    pub fn u32(&mut self, v: u32) -> &mut Self {
        self.buf.extend_from_slice(&v.to_le_bytes());
        self
    }
    pub fn u64(&mut self, v: u64) -> &mut Self {
        self.buf.extend_from_slice(&v.to_le_bytes());
        self
    }
    /// A length-prefixed byte string.
    pub fn bytes(&mut self, b: &[u8]) -> &mut Self {
        self.u32(b.len() as u32);
        self.buf.extend_from_slice(b);
        self
    }
    pub fn finish(self) -> Vec<u8> {
        self.buf
    }
}

pub struct Reader<'a> {
    data: &'a [u8],
    pos: usize,
    /// What is being read (for errors).
    what: &'a str,
}

impl<'a> Reader<'a> {
    pub fn new(what: &'a str, data: &'a [u8]) -> Reader<'a> {
        Reader { data, pos: 0, what }
    }
    fn take(&mut self, n: usize) -> Result<&'a [u8], StateError> {
        if self.data.len() - self.pos < n {
            return Err(StateError(format!(
                "{}: state truncated ({} bytes, needs more)",
                self.what,
                self.data.len()
            )));
        }
        let s = &self.data[self.pos..self.pos + n];
        self.pos += n;
        Ok(s)
    }
    pub fn u8(&mut self) -> Result<u8, StateError> {
        Ok(self.take(1)?[0])
    }
    pub fn bool(&mut self) -> Result<bool, StateError> {
        match self.u8()? {
            0 => Ok(false),
            1 => Ok(true),
            v => Err(self.bad(&format!("boolean field holds {v}"))),
        }
    }
    pub fn u16(&mut self) -> Result<u16, StateError> {
        let b = self.take(2)?;
        Ok(u16::from_le_bytes([b[0], b[1]]))
    }
    pub fn u32(&mut self) -> Result<u32, StateError> {
        let b = self.take(4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }
    pub fn u64(&mut self) -> Result<u64, StateError> {
        let mut a = [0u8; 8];
        a.copy_from_slice(self.take(8)?);
        Ok(u64::from_le_bytes(a))
    }
    pub fn bytes(&mut self) -> Result<&'a [u8], StateError> {
        let n = self.u32()? as usize;
        self.take(n)
    }
    /// A count that must not exceed `max`.
    pub fn count(&mut self, max: usize) -> Result<usize, StateError> {
        let n = self.u32()? as usize;
        if n > max {
            return Err(self.bad(&format!("count {n} exceeds {max}")));
        }
        Ok(n)
    }
    pub fn bad(&self, msg: &str) -> StateError {
        StateError(format!("{}: {msg}", self.what))
    }
    /// Every byte must have been consumed.
    pub fn end(&self) -> Result<(), StateError> {
        if self.pos != self.data.len() {
            return Err(self.bad(&format!(
                "{} unexpected trailing bytes",
                self.data.len() - self.pos
            )));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_errors() {
        let mut w = Writer::default();
        w.u8(7)
            .bool(true)
            .u16(0xbeef)
            .u32(5)
            .u64(u64::MAX)
            .bytes(b"hi");
        let b = w.finish();
        let mut r = Reader::new("t", &b);
        assert_eq!(r.u8().unwrap(), 7);
        assert!(r.bool().unwrap());
        assert_eq!(r.u16().unwrap(), 0xbeef);
        assert_eq!(r.u32().unwrap(), 5);
        assert_eq!(r.u64().unwrap(), u64::MAX);
        assert_eq!(r.bytes().unwrap(), b"hi");
        r.end().unwrap();
        assert!(r.u8().is_err());
        let mut r = Reader::new("t", &[2]);
        assert!(r.bool().unwrap_err().0.contains("boolean"));
        let mut r = Reader::new("t", &[9, 0, 0, 0]);
        assert!(r.count(8).is_err());
    }
}
