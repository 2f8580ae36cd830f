//! A journal of every change made to image files, for power-loss tests.
//!
//! While a [`Record`] scope is active on a thread, every [`HostFile`] opened
//! or created on that thread appends its writes, size changes, zeroings and
//! syncs (host flushes that really happen; none under cache=unsafe) to a
//! shared [`Journal`]. [`Journal::replay`] then rebuilds what a disk could
//! hold after power failed at any point: everything before the last sync
//! that completed, and any subset of the changes made after it (the page
//! cache writes back in any order). Nothing is recorded outside a scope.
//!
//! [`HostFile`]: crate::file::HostFile

use std::cell::RefCell;
use std::sync::{Arc, Mutex};

/// One change to a file's content.
#[derive(Debug, Clone)]
pub enum Entry {
    Write {
        off: u64,
        data: Vec<u8>,
    },
    SetLen(u64),
    /// `[off, off+len)` reads as zeroes; `extend`: the file grows to cover it.
    Zero {
        off: u64,
        len: u64,
        extend: bool,
    },
    /// The file grows to at least this length (fallocate), content unchanged.
    Extend(u64),
    /// Everything before is durable.
    Sync,
}

/// The changes made to one file, in order.
#[derive(Debug, Default)]
pub struct Journal {
    entries: Mutex<Vec<Entry>>,
}

thread_local! {
    static CURRENT: RefCell<Option<Arc<Journal>>> = const { RefCell::new(None) };
}

/// While alive, files opened on this thread record into the journal.
pub struct Record(Option<Arc<Journal>>);

impl Record {
    pub fn scope(j: Arc<Journal>) -> Record {
        Record(CURRENT.with(|c| c.replace(Some(j))))
    }
}

impl Drop for Record {
    fn drop(&mut self) {
        let old = self.0.take();
        CURRENT.with(|c| *c.borrow_mut() = old);
    }
}

/// The journal files opened now should record into.
pub(crate) fn current() -> Option<Arc<Journal>> {
    CURRENT.with(|c| c.borrow().clone())
}

impl Journal {
    pub fn new() -> Arc<Journal> {
        Arc::new(Journal::default())
    }

    pub(crate) fn push(&self, e: Entry) {
        self.entries
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(e);
    }

    /// Number of entries so far (a point in time for [`Journal::replay`]).
    pub fn len(&self) -> usize {
        self.entries.lock().unwrap_or_else(|p| p.into_inner()).len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The file content after power failed once the first `cut` entries
    /// were made, starting from `base` (the content when recording began):
    /// every entry up to the last sync before `cut` is applied, and of the
    /// later ones those `keep(index)` chooses, in their order.
    pub fn replay(&self, base: &[u8], cut: usize, mut keep: impl FnMut(usize) -> bool) -> Vec<u8> {
        let entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        let cut = cut.min(entries.len());
        let durable = entries[..cut]
            .iter()
            .rposition(|e| matches!(e, Entry::Sync))
            .map(|i| i + 1)
            .unwrap_or(0);
        let mut f = base.to_vec();
        for (i, e) in entries[..cut].iter().enumerate() {
            if i >= durable && !keep(i) {
                continue;
            }
            match e {
                Entry::Write { off, data } => {
                    let end = *off as usize + data.len();
                    if f.len() < end {
                        f.resize(end, 0);
                    }
                    f[*off as usize..end].copy_from_slice(data);
                }
                Entry::SetLen(n) => f.resize(*n as usize, 0),
                Entry::Zero { off, len, extend } => {
                    let end = (off + len) as usize;
                    if *extend && f.len() < end {
                        f.resize(end, 0);
                    }
                    let e = end.min(f.len());
                    if (*off as usize) < e {
                        f[*off as usize..e].fill(0);
                    }
                }
                Entry::Extend(n) => {
                    if f.len() < *n as usize {
                        f.resize(*n as usize, 0);
                    }
                }
                Entry::Sync => {}
            }
        }
        f
    }
}
