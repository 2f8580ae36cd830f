//! A64 encoding group: ldst.

use crate::decode::Pattern;

pub static PATTERNS: &[Pattern] = &[];
