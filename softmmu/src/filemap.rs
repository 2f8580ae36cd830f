//! A boot image file mapped read-only instead of read into the heap: the
//! machine keeps the kernel to load it again at every reset, and reading
//! Debian's 33 MB arm64 Image into a vector took ~20 ms of a ~1.2 s boot
//! (page faults on a fresh buffer and a copy), before any guest code ran.

use std::fs::File;
use std::io;
use std::path::Path;

pub struct FileMap {
    ptr: *const u8,
    len: usize,
    file: File,
}

// SAFETY: the mapping is read-only and owned by this value.
unsafe impl Send for FileMap {}
// SAFETY: as above: shared access only reads.
unsafe impl Sync for FileMap {}

impl FileMap {
    /// Maps `path`; `None` when it cannot be (not a regular file, empty):
    /// the caller reads it instead.
    pub fn open(path: &Path) -> io::Result<Option<FileMap>> {
        let file = File::open(path)?;
        let meta = file.metadata()?;
        if !meta.is_file() || meta.len() == 0 || meta.len() > isize::MAX as u64 {
            return Ok(None);
        }
        let len = meta.len() as usize;
        // SAFETY: a new private read-only mapping of a file we hold open;
        // no existing memory is affected.
        let p = unsafe {
            use std::os::fd::AsRawFd;
            libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ,
                libc::MAP_PRIVATE | libc::MAP_POPULATE,
                file.as_raw_fd(),
                0,
            )
        };
        if p == libc::MAP_FAILED {
            return Ok(None);
        }
        Ok(Some(FileMap {
            ptr: p as *const u8,
            len,
            file,
        }))
    }

    /// Whether the file still covers the mapping: reading a page past a
    /// truncated file's end raises SIGBUS.
    pub fn intact(&self) -> bool {
        self.file
            .metadata()
            .is_ok_and(|m| m.len() >= self.len as u64)
    }
}

impl std::ops::Deref for FileMap {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        // SAFETY: `ptr..ptr+len` is the live mapping.
        unsafe { std::slice::from_raw_parts(self.ptr, self.len) }
    }
}

impl Drop for FileMap {
    fn drop(&mut self) {
        // SAFETY: the mapping made in `open`; no slice of it outlives self.
        unsafe { libc::munmap(self.ptr as *mut libc::c_void, self.len) };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_regular_files_only() {
        let dir = std::env::temp_dir().join(format!("mimic-filemap-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let f = dir.join("img");
        std::fs::write(&f, b"hello").unwrap();
        let m = FileMap::open(&f).unwrap().unwrap();
        assert_eq!(&m[..], b"hello");
        assert!(m.intact());
        std::fs::write(&f, b"he").unwrap();
        assert!(!m.intact());
        std::fs::write(dir.join("empty"), b"").unwrap();
        assert!(FileMap::open(&dir.join("empty")).unwrap().is_none());
        assert!(FileMap::open(&dir).unwrap().is_none());
        assert!(FileMap::open(&dir.join("missing")).is_err());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
