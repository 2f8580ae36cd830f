//! A64 encoding group: data_reg.

use crate::decode::Pattern;

pub static PATTERNS: &[Pattern] = &[];
