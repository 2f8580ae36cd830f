//! The AArch64 guest: CPU state, decoder tables, translation to tcg IR, helpers.
