//! Executable memory for JIT code: one reserved arena, bump-allocated, reset
//! as a whole when the translation cache is flushed (Cranelift's own JIT
//! module cannot free single functions, so Mimic places code itself).

use std::ptr::NonNull;

pub struct CodeMem {
    base: NonNull<u8>,
    size: usize,
    used: usize,
    /// Bytes at the start that survive `reset` (the entry trampoline).
    keep: usize,
}

// SAFETY: the arena is only written through `&mut self`; code in it is
// immutable once published.
unsafe impl Send for CodeMem {}

impl CodeMem {
    pub fn new(size: usize) -> std::io::Result<CodeMem> {
        // SAFETY: an anonymous private mapping; no existing memory is affected.
        let p = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                size,
                libc::PROT_READ | libc::PROT_WRITE | libc::PROT_EXEC,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE,
                -1,
                0,
            )
        };
        if p == libc::MAP_FAILED {
            return Err(std::io::Error::last_os_error());
        }
        Ok(CodeMem {
            base: NonNull::new(p as *mut u8).expect("mmap returned null"),
            size,
            used: 0,
            keep: 0,
        })
    }

    /// Copies `code` in; returns its address, or `None` when the arena is full.
    pub fn place(&mut self, code: &[u8]) -> Option<usize> {
        let start = (self.used + 15) & !15;
        if start + code.len() > self.size {
            return None;
        }
        // SAFETY: `start..start+len` is inside the mapping and not yet handed
        // out (bump allocation), so no running code is overwritten.
        unsafe {
            std::ptr::copy_nonoverlapping(code.as_ptr(), self.base.as_ptr().add(start), code.len());
        }
        self.used = start + code.len();
        Some(self.base.as_ptr() as usize + start)
    }

    /// Everything placed so far survives future resets.
    pub fn keep_current(&mut self) {
        self.keep = self.used;
    }

    /// Drops all code placed since `keep_current`. Callers guarantee no
    /// dropped code is running or referenced.
    pub fn reset(&mut self) {
        self.used = self.keep;
    }

    pub fn used(&self) -> usize {
        self.used
    }

    pub fn contains(&self, addr: usize) -> bool {
        let b = self.base.as_ptr() as usize;
        addr >= b && addr < b + self.used
    }
}

impl Drop for CodeMem {
    fn drop(&mut self) {
        // SAFETY: unmapping our own mapping; no code in it runs after drop.
        unsafe {
            libc::munmap(self.base.as_ptr() as *mut libc::c_void, self.size);
        }
    }
}
