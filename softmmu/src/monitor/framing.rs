//! Splits a QMP input stream into top-level JSON texts, the way QMP's
//! JSON streamer does: objects and arrays end at their closing bracket
//! (brackets inside strings do not count), scalars at the next white
//! space. A text that is too large or too deep, or a stray closing
//! bracket, is reported as an error and the streamer starts afresh from
//! the next byte (as QEMU's does), so one bad message never ends the
//! session.

/// Most bytes in one message, and most nesting.
const MAX_BYTES: usize = 1 << 20;
const MAX_DEPTH: usize = 1024;

#[derive(Debug, PartialEq, Eq)]
pub enum Piece {
    /// One complete JSON text (not yet parsed).
    Text(Vec<u8>),
    /// Input that can never be valid, with the reason.
    Error(String),
}

#[derive(Default)]
pub struct Framer {
    buf: Vec<u8>,
    depth: usize,
    in_string: bool,
    escape: bool,
    scalar: bool,
}

impl Framer {
    /// Feeds bytes; returns the texts (and errors) they complete.
    pub fn push(&mut self, data: &[u8]) -> Vec<Piece> {
        let mut out = Vec::new();
        for &b in data {
            self.byte(b, &mut out);
        }
        out
    }

    fn reset(&mut self) {
        *self = Framer::default();
    }

    fn byte(&mut self, b: u8, out: &mut Vec<Piece>) {
        if self.in_string {
            self.keep(b, out);
            if self.escape {
                self.escape = false;
            } else if b == b'\\' {
                self.escape = true;
            } else if b == b'"' {
                self.in_string = false;
                self.end_if_top(out);
            }
            return;
        }
        if self.scalar {
            if b.is_ascii_whitespace() || matches!(b, b'{' | b'[' | b'}' | b']' | b'"') {
                self.emit(out);
                self.byte(b, out);
            } else {
                self.keep(b, out);
            }
            return;
        }
        match b {
            b'"' => {
                self.keep(b, out);
                self.in_string = true;
            }
            b'{' | b'[' => {
                self.keep(b, out);
                self.depth += 1;
                if self.depth > MAX_DEPTH {
                    self.reset();
                    out.push(Piece::Error("JSON nesting too deep".into()));
                }
            }
            b'}' | b']' => {
                if self.depth == 0 {
                    self.reset();
                    out.push(Piece::Error(format!(
                        "JSON parse error, unexpected '{}'",
                        b as char
                    )));
                    return;
                }
                self.keep(b, out);
                self.depth -= 1;
                self.end_if_top(out);
            }
            _ if b.is_ascii_whitespace() => {
                if self.depth > 0 {
                    self.keep(b, out);
                }
            }
            _ => {
                self.keep(b, out);
                if self.depth == 0 {
                    self.scalar = true;
                }
            }
        }
    }

    fn keep(&mut self, b: u8, out: &mut Vec<Piece>) {
        if self.buf.len() >= MAX_BYTES {
            self.reset();
            out.push(Piece::Error("JSON message too large".into()));
            return;
        }
        self.buf.push(b);
    }

    fn end_if_top(&mut self, out: &mut Vec<Piece>) {
        if self.depth == 0 {
            self.emit(out);
        }
    }

    fn emit(&mut self, out: &mut Vec<Piece>) {
        let text = std::mem::take(&mut self.buf);
        self.reset();
        if !text.is_empty() {
            out.push(Piece::Text(text));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(p: Vec<Piece>) -> Vec<String> {
        p.into_iter()
            .map(|p| match p {
                Piece::Text(t) => String::from_utf8(t).unwrap(),
                Piece::Error(e) => format!("ERR {e}"),
            })
            .collect()
    }

    #[test]
    fn splits_objects_across_reads_and_ignores_brackets_in_strings() {
        let mut f = Framer::default();
        assert!(f.push(b"{\"execute\": \"a}\\\"{\"").is_empty());
        assert_eq!(
            texts(f.push(b"}{\"x\":[1,{}]}\n 42 \"s\" ")),
            vec![r#"{"execute": "a}\"{"}"#, r#"{"x":[1,{}]}"#, "42", "\"s\""]
        );
    }

    #[test]
    fn recovers_after_errors() {
        let mut f = Framer::default();
        let p = texts(f.push(b"}{\"a\":1}"));
        assert_eq!(p.len(), 2);
        assert!(p[0].starts_with("ERR"));
        assert_eq!(p[1], r#"{"a":1}"#);
        let deep = "[".repeat(MAX_DEPTH + 1);
        let p = texts(f.push(deep.as_bytes()));
        assert_eq!(p, vec!["ERR JSON nesting too deep"]);
        assert_eq!(texts(f.push(b"{\"c\":3}")), vec![r#"{"c":3}"#]);
        // An unbalanced text ends at the size limit; what follows it is
        // read afresh.
        let mut f = Framer::default();
        let mut big = b"{\"a\":[".to_vec();
        big.extend(std::iter::repeat_n(b"1,".as_slice(), MAX_BYTES / 2).flatten());
        big.extend(b"1]}{\"b\":2}");
        let p = texts(f.push(&big));
        assert_eq!(
            p.first().map(String::as_str),
            Some("ERR JSON message too large")
        );
        assert_eq!(p.last().map(String::as_str), Some(r#"{"b":2}"#));
    }
}
