//! The guest page table: which guest pages are mapped and with what flags.
//!
//! Stored as a map of runs (`start -> (end, flags)`): non-overlapping,
//! page-aligned, with neighbouring runs of equal flags merged. Lookups are
//! `O(log runs)`, which suits the users: syscalls, the loader, instruction
//! fetch checks on translation (once per block), and later `/proc/self/maps`.

use std::collections::BTreeMap;

/// Guest may read (same bit as `PROT_READ`).
pub const PAGE_READ: u32 = 1;
/// Guest may write (`PROT_WRITE`).
pub const PAGE_WRITE: u32 = 2;
/// Guest may execute (`PROT_EXEC`).
pub const PAGE_EXEC: u32 = 4;
/// The `PROT_*` bits of a flags word.
pub const PAGE_PROT: u32 = PAGE_READ | PAGE_WRITE | PAGE_EXEC;
/// A `MAP_SHARED` mapping.
pub const PAGE_SHARED: u32 = 0x10;
/// Backed by a file (not anonymous).
pub const PAGE_FILE: u32 = 0x20;
/// Code has been translated from this page since it was last mapped.
pub const PAGE_TRANSLATED: u32 = 0x40;

/// One run of equal-flag pages: `[start, end)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Run {
    pub start: u64,
    pub end: u64,
    pub flags: u32,
}

/// Mapped guest pages and their flags.
#[derive(Debug, Default)]
pub struct PageMap {
    runs: BTreeMap<u64, (u64, u32)>,
}

impl PageMap {
    pub fn new() -> PageMap {
        PageMap::default()
    }

    /// Flags of the page holding `addr`, if mapped.
    pub fn get(&self, addr: u64) -> Option<u32> {
        let (_, &(end, flags)) = self.runs.range(..=addr).next_back()?;
        (addr < end).then_some(flags)
    }

    /// Runs intersecting `[start, end)`, clipped to it, in address order.
    pub fn runs(&self, start: u64, end: u64) -> Vec<Run> {
        let mut out = Vec::new();
        if let Some((_, &(e, flags))) = self.runs.range(..start).next_back() {
            if e > start {
                out.push(Run {
                    start,
                    end: e.min(end),
                    flags,
                });
            }
        }
        for (&s, &(e, flags)) in self.runs.range(start..end) {
            out.push(Run {
                start: s,
                end: e.min(end),
                flags,
            });
        }
        out
    }

    /// Every run, in address order.
    pub fn all(&self) -> impl Iterator<Item = Run> + '_ {
        self.runs
            .iter()
            .map(|(&start, &(end, flags))| Run { start, end, flags })
    }

    /// Whether no page in `[start, end)` is mapped.
    pub fn is_free(&self, start: u64, end: u64) -> bool {
        self.runs(start, end).is_empty()
    }

    /// Whether every page in `[start, end)` is mapped and has all of `need`.
    pub fn all_mapped(&self, start: u64, end: u64, need: u32) -> bool {
        self.mapped_prefix(start, end, need) == end
    }

    /// The end of the longest prefix of `[start, end)` that is mapped with
    /// all of `need` (returns `start` if the first page is not).
    pub fn mapped_prefix(&self, start: u64, end: u64, need: u32) -> u64 {
        let mut at = start;
        for r in self.runs(start, end) {
            if r.start != at || r.flags & need != need {
                break;
            }
            at = r.end;
        }
        at.max(start).min(end)
    }

    fn split_at(&mut self, addr: u64) {
        if let Some((&s, &(e, flags))) = self.runs.range(..addr).next_back() {
            if e > addr {
                self.runs.insert(s, (addr, flags));
                self.runs.insert(addr, (e, flags));
            }
        }
    }

    /// Unmap `[start, end)`.
    pub fn clear(&mut self, start: u64, end: u64) {
        if start >= end {
            return;
        }
        self.split_at(start);
        self.split_at(end);
        let keys: Vec<u64> = self.runs.range(start..end).map(|(&k, _)| k).collect();
        for k in keys {
            self.runs.remove(&k);
        }
    }

    /// Map `[start, end)` with `flags`, replacing whatever was there.
    pub fn set(&mut self, start: u64, end: u64, flags: u32) {
        if start >= end {
            return;
        }
        self.clear(start, end);
        self.runs.insert(start, (end, flags));
        self.merge_around(start, end);
    }

    /// Apply `f` to the flags of every mapped page in `[start, end)`.
    pub fn update(&mut self, start: u64, end: u64, f: impl Fn(u32) -> u32) {
        if start >= end {
            return;
        }
        self.split_at(start);
        self.split_at(end);
        for (_, v) in self.runs.range_mut(start..end) {
            v.1 = f(v.1);
        }
        self.merge_around(start, end);
    }

    /// Merge equal-flag neighbours among the runs touching `[start, end]`.
    fn merge_around(&mut self, start: u64, end: u64) {
        let first = self
            .runs
            .range(..start)
            .next_back()
            .map_or(start, |(&k, _)| k);
        let keys: Vec<u64> = self.runs.range(first..=end).map(|(&k, _)| k).collect();
        let mut prev: Option<u64> = None;
        for k in keys {
            let (e, fl) = self.runs[&k];
            if let Some(p) = prev {
                let (pe, pfl) = self.runs[&p];
                if pe == k && pfl == fl {
                    self.runs.insert(p, (e, fl));
                    self.runs.remove(&k);
                    continue;
                }
            }
            prev = Some(k);
        }
    }

    /// The highest `align`-aligned address `a` with `[a, a + len)` free and
    /// inside `[bottom, top)`.
    pub fn find_free_down(&self, len: u64, top: u64, bottom: u64, align: u64) -> Option<u64> {
        let mut hi = top;
        let fits = |lo: u64, hi: u64| -> Option<u64> {
            let a = hi.checked_sub(len)? & !(align - 1);
            (a >= lo && hi >= lo).then_some(a)
        };
        for (&s, &(e, _)) in self.runs.range(..top).rev() {
            if e < hi {
                if let Some(a) = fits(e.max(bottom), hi) {
                    return Some(a);
                }
            }
            hi = hi.min(s);
            if hi <= bottom {
                return None;
            }
        }
        fits(bottom, hi)
    }

    /// The lowest `align`-aligned address `a >= bottom` with `[a, a + len)`
    /// free and below `top`.
    pub fn find_free_up(&self, len: u64, bottom: u64, top: u64, align: u64) -> Option<u64> {
        let mut lo = bottom.next_multiple_of(align);
        let fits = |lo: u64, hi: u64| lo.checked_add(len).is_some_and(|e| e <= hi);
        if let Some((_, &(e, _))) = self.runs.range(..=lo).next_back() {
            if e > lo {
                lo = e.next_multiple_of(align);
            }
        }
        for (&s, &(e, _)) in self.runs.range(lo..) {
            if fits(lo, s.min(top)) {
                return Some(lo);
            }
            lo = lo.max(e.next_multiple_of(align));
            if lo >= top {
                return None;
            }
        }
        fits(lo, top).then_some(lo)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const P: u64 = 0x1000;

    #[test]
    fn set_split_merge() {
        let mut m = PageMap::new();
        m.set(0, 10 * P, PAGE_READ);
        m.update(3 * P, 5 * P, |f| f | PAGE_WRITE);
        assert_eq!(m.all().count(), 3);
        assert_eq!(m.get(4 * P), Some(PAGE_READ | PAGE_WRITE));
        assert_eq!(m.get(5 * P), Some(PAGE_READ));
        m.update(3 * P, 5 * P, |f| f & !PAGE_WRITE);
        assert_eq!(m.all().count(), 1, "merged back");
        m.clear(2 * P, 4 * P);
        assert_eq!(m.get(3 * P), None);
        assert!(m.is_free(2 * P, 4 * P));
        assert!(!m.is_free(P, 3 * P));
        assert_eq!(m.mapped_prefix(0, 10 * P, PAGE_READ), 2 * P);
        assert!(m.all_mapped(4 * P, 10 * P, PAGE_READ));
        assert!(!m.all_mapped(4 * P, 11 * P, PAGE_READ));
        assert_eq!(
            m.runs(P, 5 * P),
            vec![
                Run {
                    start: P,
                    end: 2 * P,
                    flags: PAGE_READ
                },
                Run {
                    start: 4 * P,
                    end: 5 * P,
                    flags: PAGE_READ
                },
            ]
        );
    }

    #[test]
    fn find_free() {
        let mut m = PageMap::new();
        m.set(90 * P, 100 * P, PAGE_READ);
        m.set(80 * P, 85 * P, PAGE_READ);
        assert_eq!(m.find_free_down(2 * P, 100 * P, 0, P), Some(88 * P));
        assert_eq!(m.find_free_down(6 * P, 100 * P, 0, P), Some(74 * P));
        assert_eq!(m.find_free_down(6 * P, 100 * P, 78 * P, P), None);
        assert_eq!(
            m.find_free_down(4 * P, 100 * P, 0, 8 * P),
            Some(80 * P - 8 * P)
        );
        assert_eq!(m.find_free_up(5 * P, 80 * P, 200 * P, P), Some(85 * P));
        assert_eq!(m.find_free_up(6 * P, 80 * P, 200 * P, P), Some(100 * P));
        assert_eq!(m.find_free_up(6 * P, 80 * P, 101 * P, P), None);
        assert_eq!(m.find_free_up(P, 0, 200 * P, P), Some(0));
    }
}
