//! The translation cache: blocks keyed by (guest pc, decode flags), each with
//! its IR, interpreter code, optional JIT code and two chain slots.

use crate::backend::interp;
use crate::ir::IrBlock;
use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU32, AtomicUsize, Ordering};

/// One translated block.
pub struct Tb {
    pub pc: u64,
    pub flags: u32,
    pub ir: IrBlock,
    pub interp: interp::Code,
    /// Host address of compiled code, 0 while interpreted only.
    pub jit: AtomicUsize,
    /// Executions in the interpreter (drives tier-up).
    pub exec_count: AtomicU32,
    /// Compiled code of the direct-jump targets (0: not chained).
    pub chain: [AtomicUsize; 2],
    /// Set when compiling failed, so it is not retried.
    pub jit_failed: std::sync::atomic::AtomicBool,
}

impl Tb {
    pub fn jit_code(&self) -> usize {
        self.jit.load(Ordering::Acquire)
    }
}

const PAGE_BITS: u32 = 12;

/// All blocks of one address space.
#[derive(Default)]
pub struct CodeCache {
    blocks: Vec<Box<Tb>>,
    map: HashMap<(u64, u32), usize>,
    /// Guest pages that hold translated code.
    code_pages: HashSet<u64>,
    pub flushes: u64,
}

impl CodeCache {
    pub fn get(&self, pc: u64, flags: u32) -> Option<&Tb> {
        self.map.get(&(pc, flags)).map(|&i| &*self.blocks[i])
    }

    pub fn insert(&mut self, tb: Tb) -> &Tb {
        let first = tb.pc >> PAGE_BITS;
        let last = (tb.pc + tb.ir.guest_size.max(1) as u64 - 1) >> PAGE_BITS;
        for p in first..=last {
            self.code_pages.insert(p);
        }
        let key = (tb.pc, tb.flags);
        self.blocks.push(Box::new(tb));
        self.map.insert(key, self.blocks.len() - 1);
        self.blocks.last().map(|b| &**b).expect("just pushed")
    }

    /// True if `start..end` overlaps a page holding translated code.
    pub fn overlaps_code(&self, start: u64, end: u64) -> bool {
        if end <= start {
            return false;
        }
        let (first, last) = (start >> PAGE_BITS, (end - 1) >> PAGE_BITS);
        if last - first > self.code_pages.len() as u64 {
            return self.code_pages.iter().any(|&p| p >= first && p <= last);
        }
        (first..=last).any(|p| self.code_pages.contains(&p))
    }

    /// Drops every block (the caller resets JIT code memory and jump caches).
    pub fn flush(&mut self) {
        self.blocks.clear();
        self.map.clear();
        self.code_pages.clear();
        self.flushes += 1;
    }

    pub fn len(&self) -> usize {
        self.blocks.len()
    }

    pub fn is_empty(&self) -> bool {
        self.blocks.is_empty()
    }
}
