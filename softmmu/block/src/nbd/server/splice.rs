//! Zero-copy read replies for raw files: a worker moves file pages into its
//! own pipe with splice(2) (blocking on the disk, if at all, outside the
//! writer lock), then, holding the lock, writes the chunk header and
//! splices the pipe into the socket. No byte of data is copied through
//! user space.

use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};

/// Pipe size asked for (the largest data chunk sent this way).
const WANT: usize = 1 << 20;

pub struct Pipe {
    r: OwnedFd,
    w: OwnedFd,
    /// Bytes the pipe holds.
    pub cap: usize,
    /// Bytes currently in it.
    held: usize,
}

fn cvt(r: isize) -> io::Result<usize> {
    if r < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(r as usize)
    }
}

impl Pipe {
    pub fn new() -> io::Result<Pipe> {
        let mut fds = [0; 2];
        if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
            return Err(io::Error::last_os_error());
        }
        let (r, w) = unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) };
        let got = unsafe { libc::fcntl(w.as_raw_fd(), libc::F_SETPIPE_SZ, WANT as libc::c_int) };
        let cap = if got > 0 {
            got as usize
        } else {
            let d = unsafe { libc::fcntl(w.as_raw_fd(), libc::F_GETPIPE_SZ) };
            if d <= 0 {
                return Err(io::Error::last_os_error());
            }
            d as usize
        };
        Ok(Pipe { r, w, cap, held: 0 })
    }

    /// Moves `n` (<= cap) bytes of `file` at `off` into the empty pipe.
    pub fn fill(&mut self, file: RawFd, off: u64, n: usize) -> io::Result<()> {
        debug_assert!(self.held == 0 && n <= self.cap);
        let mut pos = off as libc::loff_t;
        while self.held < n {
            let k = cvt(unsafe {
                libc::splice(
                    file,
                    &mut pos,
                    self.w.as_raw_fd(),
                    std::ptr::null_mut(),
                    n - self.held,
                    libc::SPLICE_F_MOVE,
                )
            });
            match k {
                Ok(0) => return Err(io::ErrorKind::UnexpectedEof.into()),
                Ok(k) => self.held += k,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    /// Sends everything the pipe holds to `sock`.
    pub fn drain(&mut self, sock: RawFd) -> io::Result<()> {
        while self.held > 0 {
            let k = cvt(unsafe {
                libc::splice(
                    self.r.as_raw_fd(),
                    std::ptr::null_mut(),
                    sock,
                    std::ptr::null_mut(),
                    self.held,
                    // No SPLICE_F_MORE: it would hold the reply back (cork).
                    libc::SPLICE_F_MOVE,
                )
            });
            match k {
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(k) => self.held -= k,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    /// Whether the pipe is empty (a failed fill or drain leaves it dirty:
    /// the caller drops it and makes a new one).
    pub fn is_clean(&self) -> bool {
        self.held == 0
    }
}
