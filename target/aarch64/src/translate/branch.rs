//! A64 encoding group: branch.

use crate::decode::Pattern;

pub static PATTERNS: &[Pattern] = &[];
