//! A64 encoding group: data_imm.

use crate::decode::Pattern;

pub static PATTERNS: &[Pattern] = &[];
