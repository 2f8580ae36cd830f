//! A64 encoding group: fp.

use crate::decode::Pattern;

pub static PATTERNS: &[Pattern] = &[];
