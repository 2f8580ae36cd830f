//! Guest struct layouts and the conversions between host values and guest
//! bytes.
//!
//! Nothing here copies a host struct into guest memory as it is: every
//! conversion writes field by field through a [`Codec`] (the guest's byte
//! order and `long` size) at offsets taken from a layout description, so one
//! piece of code serves 64-bit, 32-bit, little- and big-endian guests. Each
//! ABI names its layouts in [`StructLayout`].

pub mod misc;
pub mod net;
pub mod netlink;
pub mod sockaddr;
pub mod stat;
pub mod statfs;
pub mod termios;

pub use stat::{HostStat, StatLayout};
pub use statfs::StatfsLayout;
pub use termios::TermiosLayout;

/// The guest's byte order and word (`long`, pointer) size.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Codec {
    pub big_endian: bool,
    /// Size of `long` and of pointers in bytes: 4 or 8.
    pub word: usize,
    /// `struct timespec` has 64-bit fields whatever `word` is: set while a
    /// 32-bit ABI's `*_time64` syscall runs (see `TimePair`).
    pub time64: bool,
}

impl Codec {
    pub const LE64: Codec = Codec {
        big_endian: false,
        word: 8,
        time64: false,
    };

    /// Write the low `size` bytes of `v` at `buf[off..off + size]` in guest
    /// byte order. `size` is 1, 2, 4 or 8; out-of-range offsets are a bug in a
    /// layout table and panic in tests.
    pub fn put(&self, buf: &mut [u8], off: usize, size: usize, v: u64) {
        let bytes = v.to_le_bytes();
        let dst = &mut buf[off..off + size];
        dst.copy_from_slice(&bytes[..size]);
        if self.big_endian {
            dst.reverse();
        }
    }

    /// Read `size` bytes at `off` in guest byte order, zero-extended.
    pub fn get(&self, buf: &[u8], off: usize, size: usize) -> u64 {
        let mut bytes = [0u8; 8];
        bytes[..size].copy_from_slice(&buf[off..off + size]);
        if self.big_endian {
            bytes[..size].reverse();
        }
        u64::from_le_bytes(bytes)
    }

    /// Read `size` bytes at `off`, sign-extended.
    pub fn get_signed(&self, buf: &[u8], off: usize, size: usize) -> i64 {
        let v = self.get(buf, off, size);
        let shift = 64 - 8 * size as u32;
        ((v << shift) as i64) >> shift
    }

    /// Write a `long`/pointer-sized value.
    pub fn put_word(&self, buf: &mut [u8], off: usize, v: u64) {
        self.put(buf, off, self.word, v)
    }

    /// Read a `long`/pointer-sized value, zero-extended.
    pub fn get_word(&self, buf: &[u8], off: usize) -> u64 {
        self.get(buf, off, self.word)
    }

    /// Read a signed `long`, sign-extended.
    pub fn get_sword(&self, buf: &[u8], off: usize) -> i64 {
        self.get_signed(buf, off, self.word)
    }

    /// A `long` value as the guest sees it in a 64-bit register: sign-extended
    /// from the word size.
    pub fn sext_word(&self, v: u64) -> i64 {
        if self.word == 4 {
            v as u32 as i32 as i64
        } else {
            v as i64
        }
    }

    /// Encode a word-sized value into a fresh buffer.
    pub fn word_bytes(&self, v: u64) -> Vec<u8> {
        let mut b = vec![0; self.word];
        self.put_word(&mut b, 0, v);
        b
    }
}

/// One field of a guest struct: byte offset and size (0 = the guest struct
/// has no such field).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Field {
    pub off: usize,
    pub size: usize,
}

/// Shorthand for layout tables.
pub const fn f(off: usize, size: usize) -> Field {
    Field { off, size }
}

/// A field the guest struct does not have.
pub const NONE: Field = Field { off: 0, size: 0 };

impl Field {
    /// Store `v` (truncated to the field) if the guest has this field.
    pub fn put(&self, c: &Codec, buf: &mut [u8], v: u64) {
        if self.size != 0 {
            c.put(buf, self.off, self.size, v);
        }
    }

    /// Load the field (zero if the guest has no such field).
    pub fn get(&self, c: &Codec, buf: &[u8]) -> u64 {
        if self.size == 0 {
            0
        } else {
            c.get(buf, self.off, self.size)
        }
    }
}

/// Which layout each guest struct has in one ABI.
#[derive(Debug)]
pub struct StructLayout {
    /// `struct stat` as `fstat`/`newfstatat` write it.
    pub stat: &'static StatLayout,
    /// `struct statfs` as `statfs`/`fstatfs` write it.
    pub statfs: &'static StatfsLayout,
    /// `struct termios` as `TCGETS` reads and `TCSETS` writes it.
    pub termios: &'static TermiosLayout,
    /// `struct flock` as `fcntl(F_GETLK)` exchanges it.
    pub flock: &'static misc::FlockLayout,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codec_orders_bytes() {
        let be32 = Codec {
            big_endian: true,
            word: 4,
            time64: false,
        };
        let mut b = [0u8; 8];
        be32.put_word(&mut b, 0, 0x1122_3344_5566);
        assert_eq!(&b[..4], &[0x33, 0x44, 0x55, 0x66]);
        assert_eq!(be32.get_word(&b, 0), 0x3344_5566);
        Codec::LE64.put(&mut b, 0, 8, 0x0102_0304_0506_0708);
        assert_eq!(b, [8, 7, 6, 5, 4, 3, 2, 1]);
        Codec::LE64.put(&mut b, 0, 4, 0xffff_fffe);
        assert_eq!(Codec::LE64.get_signed(&b, 0, 4), -2);
        assert_eq!(be32.sext_word(0xffff_ffff), -1);
    }
}
