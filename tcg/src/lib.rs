//! The translation core: IR, optimizer, interpreter and Cranelift backends, code cache and cpu loop. Knows no guest.
