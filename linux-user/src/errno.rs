//! Error numbers: the host's errno as the one currency inside linux-user, and
//! its translation into the guest's numbering at the syscall boundary.
//!
//! Handlers return [`Errno`] values holding *host* (Linux generic) numbers.
//! [`to_guest`] turns one into the guest's number through the ABI's
//! [`ErrnoMap`]: the identity for AArch64, ARM and x86; MIPS, SPARC and Alpha
//! number many errors differently and list their differences there.

use std::fmt;

/// A host errno value (Linux generic numbering, as the host libc uses).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Errno(pub i32);

macro_rules! errnos {
    ($($name:ident),* $(,)?) => {
        impl Errno {
            $(
                #[doc = concat!("`", stringify!($name), "`")]
                pub const $name: Errno = Errno(libc::$name);
            )*

            /// The symbolic name (`"ENOENT"`), for `-strace` and logs.
            pub fn name(self) -> Option<&'static str> {
                $( if self.0 == libc::$name { return Some(stringify!($name)); } )*
                None
            }
        }
    };
}

errnos!(
    EPERM,
    ENOENT,
    ESRCH,
    EINTR,
    EIO,
    ENXIO,
    E2BIG,
    ENOEXEC,
    EBADF,
    ECHILD,
    EAGAIN,
    ENOMEM,
    EACCES,
    EFAULT,
    EBUSY,
    EEXIST,
    EXDEV,
    ENODEV,
    ENOTDIR,
    EISDIR,
    EINVAL,
    ENFILE,
    EMFILE,
    ENOTTY,
    EFBIG,
    ENOSPC,
    ESPIPE,
    EROFS,
    EMLINK,
    EPIPE,
    EDOM,
    ERANGE,
    ENAMETOOLONG,
    ENODATA,
    ENOSYS,
    ENOTEMPTY,
    ELOOP,
    ETIMEDOUT,
    EOVERFLOW,
    EOPNOTSUPP,
    ENOTSOCK,
    ESTALE,
    EDEADLK,
    ENOLCK,
    ENOBUFS,
    ENOPROTOOPT,
    EAFNOSUPPORT,
    ECONNREFUSED,
    EADDRINUSE,
    ENOTCONN,
);

impl Errno {
    /// The calling thread's current host `errno`.
    pub fn last() -> Errno {
        Errno(
            std::io::Error::last_os_error()
                .raw_os_error()
                .unwrap_or(libc::EIO),
        )
    }

    /// The errno an `io::Error` carries (`EIO` when it carries none).
    pub fn from_io(e: &std::io::Error) -> Errno {
        Errno(e.raw_os_error().unwrap_or(libc::EIO))
    }
}

impl fmt::Debug for Errno {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(n) => write!(f, "{n}"),
            None => write!(f, "Errno({})", self.0),
        }
    }
}

impl fmt::Display for Errno {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", std::io::Error::from_raw_os_error(self.0))
    }
}

impl std::error::Error for Errno {}

/// A guest pointer did not point at accessible guest memory.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("bad guest address")]
pub struct Efault;

impl From<Efault> for Errno {
    fn from(_: Efault) -> Errno {
        Errno::EFAULT
    }
}

/// How a guest numbers errors: `(host, guest)` pairs for every number that
/// differs from the host's; numbers not listed are the same.
#[derive(Debug)]
pub struct ErrnoMap(pub &'static [(i32, i32)]);

impl ErrnoMap {
    /// Linux generic numbering (AArch64, ARM, x86, PPC, SH, M68K, ...).
    pub const IDENTITY: ErrnoMap = ErrnoMap(&[]);

    /// The guest's number for host errno `e`.
    pub fn to_guest(&self, e: Errno) -> i32 {
        self.0
            .iter()
            .find(|(h, _)| *h == e.0)
            .map_or(e.0, |(_, g)| *g)
    }

    /// The host errno for guest number `g`.
    pub fn to_host(&self, g: i32) -> Errno {
        Errno(
            self.0
                .iter()
                .find(|(_, gg)| *gg == g)
                .map_or(g, |(h, _)| *h),
        )
    }
}

/// The syscall return value (`-errno` in the guest's numbering) for `e`.
pub fn to_guest(map: &ErrnoMap, e: Errno) -> i64 {
    -i64::from(map.to_guest(e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identity_and_mapped() {
        assert_eq!(to_guest(&ErrnoMap::IDENTITY, Errno::ENOENT), -2);
        let mips_like = ErrnoMap(&[(libc::ENOSYS, 89)]);
        assert_eq!(to_guest(&mips_like, Errno::ENOSYS), -89);
        assert_eq!(to_guest(&mips_like, Errno::EBADF), -9);
        assert_eq!(mips_like.to_host(89), Errno::ENOSYS);
        assert_eq!(Errno::EFAULT.name(), Some("EFAULT"));
        assert_eq!(format!("{:?}", Errno(9999)), "Errno(9999)");
    }
}
