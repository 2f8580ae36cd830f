//! A64 encoding group: system.

use crate::decode::Pattern;

pub static PATTERNS: &[Pattern] = &[];
