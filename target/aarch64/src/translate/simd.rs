//! A64 encoding group: simd.

use crate::decode::Pattern;

pub static PATTERNS: &[Pattern] = &[];
