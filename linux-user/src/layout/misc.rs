//! Small guest structs whose layout follows from the word size and byte
//! order alone: `timespec`, `timeval`, `rlimit`, `iovec`, `tms`, `sysinfo`,
//! `stack_t`, the generic `sigaction`, `linux_dirent64` and `utsname`.

use super::Codec;

/// `struct timespec` / `struct timeval` (two `long`s), as host values.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TimePair {
    pub sec: i64,
    /// Nanoseconds for a `timespec`, microseconds for a `timeval`.
    pub frac: i64,
}

impl TimePair {
    /// Bytes of each field: the word, or 8 for the `*_time64` calls.
    fn field(c: &Codec) -> usize {
        if c.time64 {
            8
        } else {
            c.word
        }
    }

    /// Size in guest memory.
    pub fn size(c: &Codec) -> usize {
        2 * Self::field(c)
    }

    pub fn encode(&self, c: &Codec) -> Vec<u8> {
        let f = Self::field(c);
        let mut b = vec![0u8; 2 * f];
        c.put(&mut b, 0, f, self.sec as u64);
        c.put(&mut b, f, f, self.frac as u64);
        b
    }

    pub fn decode(c: &Codec, b: &[u8]) -> TimePair {
        let f = Self::field(c);
        let sx = |v: u64| ((v << (64 - 8 * f)) as i64) >> (64 - 8 * f);
        TimePair {
            sec: sx(c.get(b, 0, f)),
            frac: sx(c.get(b, f, f)),
        }
    }

    pub fn from_timespec(t: &libc::timespec) -> TimePair {
        TimePair {
            sec: t.tv_sec,
            frac: t.tv_nsec,
        }
    }

    pub fn to_timespec(self) -> libc::timespec {
        libc::timespec {
            tv_sec: self.sec,
            tv_nsec: self.frac,
        }
    }
}

/// `struct rlimit` (two `unsigned long`s; `RLIM_INFINITY` is all ones in
/// the guest's word size) or `struct rlimit64` (two `u64`s, `word = 8`).
pub fn encode_rlimit(c: &Codec, cur: u64, max: u64) -> Vec<u8> {
    let clamp = |v: u64| {
        if c.word == 4 && v > u64::from(u32::MAX) {
            u64::from(u32::MAX)
        } else {
            v
        }
    };
    let mut b = vec![0u8; 2 * c.word];
    c.put_word(&mut b, 0, clamp(cur));
    c.put_word(&mut b, c.word, clamp(max));
    b
}

/// Decode a guest `struct rlimit`; the guest's infinity becomes `u64::MAX`.
pub fn decode_rlimit(c: &Codec, b: &[u8]) -> (u64, u64) {
    let widen = |v: u64| {
        if c.word == 4 && v == u64::from(u32::MAX) {
            u64::MAX
        } else {
            v
        }
    };
    (widen(c.get_word(b, 0)), widen(c.get_word(b, c.word)))
}

/// `struct iovec` entries decoded from guest memory: `(base, len)`.
pub fn decode_iovecs(c: &Codec, b: &[u8]) -> Vec<(u64, u64)> {
    b.chunks_exact(2 * c.word)
        .map(|e| (c.get_word(e, 0), c.get_word(e, c.word)))
        .collect()
}

/// `struct tms`: four `clock_t` (`long`).
pub fn encode_tms(c: &Codec, t: &libc::tms) -> Vec<u8> {
    let mut b = vec![0u8; 4 * c.word];
    for (i, v) in [t.tms_utime, t.tms_stime, t.tms_cutime, t.tms_cstime]
        .into_iter()
        .enumerate()
    {
        c.put_word(&mut b, i * c.word, v as u64);
    }
    b
}

/// `struct sysinfo`: `long uptime; unsigned long loads[3], totalram,
/// freeram, sharedram, bufferram, totalswap, freeswap; u16 procs, pad;
/// unsigned long totalhigh, freehigh; u32 mem_unit; char _f[...]`.
pub fn encode_sysinfo(c: &Codec, s: &libc::sysinfo) -> Vec<u8> {
    let w = c.word;
    let size = if w == 8 { 112 } else { 64 };
    let mut b = vec![0u8; size];
    let words = [
        s.uptime as u64,
        s.loads[0],
        s.loads[1],
        s.loads[2],
        s.totalram,
        s.freeram,
        s.sharedram,
        s.bufferram,
        s.totalswap,
        s.freeswap,
    ];
    // A 32-bit guest cannot hold more than 4 GiB worth of units: scale up the
    // unit as the kernel does for such tasks.
    let mut unit = u64::from(s.mem_unit);
    let mut scaled = words;
    if w == 4 {
        while scaled[4..].iter().any(|&v| v > u64::from(u32::MAX)) {
            for v in &mut scaled[4..] {
                *v >>= 1;
            }
            unit <<= 1;
        }
    }
    for (i, v) in scaled.iter().enumerate() {
        c.put_word(&mut b, i * w, *v);
    }
    let off = 10 * w;
    c.put(&mut b, off, 2, s.procs.into());
    let off = (off + 4).next_multiple_of(w);
    c.put_word(&mut b, off, s.totalhigh);
    c.put_word(&mut b, off + w, s.freehigh);
    c.put(&mut b, off + 2 * w, 4, unit);
    b
}

/// `stack_t` for ABIs ordered `{ void *ss_sp; int ss_flags; size_t ss_size; }`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SigStack {
    pub sp: u64,
    pub flags: i32,
    pub size: u64,
}

impl SigStack {
    pub fn size_of(c: &Codec) -> usize {
        3 * c.word
    }

    pub fn encode(&self, c: &Codec) -> Vec<u8> {
        let mut b = vec![0u8; Self::size_of(c)];
        c.put_word(&mut b, 0, self.sp);
        c.put(&mut b, c.word, 4, self.flags as u32 as u64);
        c.put_word(&mut b, 2 * c.word, self.size);
        b
    }

    pub fn decode(c: &Codec, b: &[u8]) -> SigStack {
        SigStack {
            sp: c.get_word(b, 0),
            flags: c.get(b, c.word, 4) as u32 as i32,
            size: c.get_word(b, 2 * c.word),
        }
    }
}

/// The kernel's generic `struct sigaction` (`handler, flags, restorer,
/// mask`), with a 64-bit signal mask.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SigAction {
    pub handler: u64,
    pub flags: u64,
    pub restorer: u64,
    pub mask: u64,
}

impl SigAction {
    pub fn size_of(c: &Codec) -> usize {
        3 * c.word + 8
    }

    pub fn encode(&self, c: &Codec) -> Vec<u8> {
        let mut b = vec![0u8; Self::size_of(c)];
        c.put_word(&mut b, 0, self.handler);
        c.put_word(&mut b, c.word, self.flags);
        c.put_word(&mut b, 2 * c.word, self.restorer);
        if c.word == 4 {
            // `sigset_t` is two 32-bit words, lower signals first.
            c.put(&mut b, 12, 4, self.mask & 0xffff_ffff);
            c.put(&mut b, 16, 4, self.mask >> 32);
        } else {
            c.put(&mut b, 24, 8, self.mask);
        }
        b
    }

    pub fn decode(c: &Codec, b: &[u8]) -> SigAction {
        let mask = if c.word == 4 {
            c.get(b, 12, 4) | (c.get(b, 16, 4) << 32)
        } else {
            c.get(b, 24, 8)
        };
        SigAction {
            handler: c.get_word(b, 0),
            flags: c.get_word(b, c.word),
            restorer: c.get_word(b, 2 * c.word),
            mask,
        }
    }
}

/// Decode a guest `sigset_t` of `len` bytes (8 for every Linux ABI here).
pub fn decode_sigset(c: &Codec, b: &[u8]) -> u64 {
    if c.word == 4 {
        c.get(b, 0, 4) | (c.get(b, 4, 4) << 32)
    } else {
        c.get(b, 0, 8)
    }
}

/// Encode a 64-signal mask as the guest's `sigset_t`.
pub fn encode_sigset(c: &Codec, mask: u64) -> Vec<u8> {
    let mut b = vec![0u8; 8];
    if c.word == 4 {
        c.put(&mut b, 0, 4, mask & 0xffff_ffff);
        c.put(&mut b, 4, 4, mask >> 32);
    } else {
        c.put(&mut b, 0, 8, mask);
    }
    b
}

/// Re-encode a buffer of host `linux_dirent64` records in guest byte order.
/// The record layout (`u64 d_ino; s64 d_off; u16 d_reclen; u8 d_type;
/// char d_name[]`) is the same in every ABI, so only byte order changes.
pub fn convert_dirent64(c: &Codec, host: &[u8]) -> Vec<u8> {
    let mut out = host.to_vec();
    if !c.big_endian {
        return out;
    }
    let mut off = 0;
    while off + 19 <= host.len() {
        let reclen = u16::from_ne_bytes([host[off + 16], host[off + 17]]) as usize;
        if reclen == 0 || off + reclen > host.len() {
            break;
        }
        out[off..off + 8].reverse();
        out[off + 8..off + 16].reverse();
        out[off + 16..off + 18].reverse();
        off += reclen;
    }
    out
}

/// `struct utsname`: six 65-byte NUL-terminated strings.
pub const UTSNAME_FIELD: usize = 65;

/// Encode `utsname` fields (sysname, nodename, release, version, machine,
/// domainname), truncating each to 64 bytes.
pub fn encode_utsname(fields: [&[u8]; 6]) -> Vec<u8> {
    let mut b = vec![0u8; 6 * UTSNAME_FIELD];
    for (i, s) in fields.iter().enumerate() {
        let n = s.len().min(UTSNAME_FIELD - 1);
        b[i * UTSNAME_FIELD..i * UTSNAME_FIELD + n].copy_from_slice(&s[..n]);
    }
    b
}

/// Where the fields of a guest `struct flock` (as `F_GETLK`/`F_SETLK`
/// exchange it; `flock64` on 32-bit ABIs) live.
#[derive(Debug)]
pub struct FlockLayout {
    pub size: usize,
    pub l_type: super::Field,
    pub l_whence: super::Field,
    pub l_start: super::Field,
    pub l_len: super::Field,
    pub l_pid: super::Field,
}

/// 64-bit generic `struct flock`: 32 bytes.
pub static FLOCK_GENERIC64: FlockLayout = FlockLayout {
    size: 32,
    l_type: super::f(0, 2),
    l_whence: super::f(2, 2),
    l_start: super::f(8, 8),
    l_len: super::f(16, 8),
    l_pid: super::f(24, 4),
};

/// Encode a host `struct flock` for the guest.
pub fn encode_flock(l: &FlockLayout, c: &Codec, f: &libc::flock) -> Vec<u8> {
    let mut b = vec![0u8; l.size];
    l.l_type.put(c, &mut b, f.l_type as u16 as u64);
    l.l_whence.put(c, &mut b, f.l_whence as u16 as u64);
    l.l_start.put(c, &mut b, f.l_start as u64);
    l.l_len.put(c, &mut b, f.l_len as u64);
    l.l_pid.put(c, &mut b, f.l_pid as u32 as u64);
    b
}

/// Decode a guest `struct flock`.
pub fn decode_flock(l: &FlockLayout, c: &Codec, b: &[u8]) -> libc::flock {
    // SAFETY: an all-zero `struct flock` is valid.
    let mut f: libc::flock = unsafe { std::mem::zeroed() };
    let sx = |fd: &super::Field, v: u64| -> i64 {
        let shift = 64 - 8 * fd.size as u32;
        ((v << shift) as i64) >> shift
    };
    f.l_type = l.l_type.get(c, b) as i16;
    f.l_whence = l.l_whence.get(c, b) as i16;
    f.l_start = sx(&l.l_start, l.l_start.get(c, b));
    f.l_len = sx(&l.l_len, l.l_len.get(c, b));
    f.l_pid = l.l_pid.get(c, b) as i32;
    f
}

#[cfg(test)]
mod tests {
    use super::*;

    const BE32: Codec = Codec {
        big_endian: true,
        word: 4,
        time64: false,
    };

    #[test]
    fn timespec_time64_on_a_32_bit_abi() {
        let c = Codec {
            big_endian: false,
            word: 4,
            time64: true,
        };
        let t = TimePair {
            sec: 4_102_444_800, // 2100-01-01: past 2038
            frac: 123_456_789,
        };
        let b = t.encode(&c);
        assert_eq!(b.len(), 16);
        assert_eq!(&b[..8], &4_102_444_800u64.to_le_bytes());
        let back = TimePair::decode(&c, &b);
        assert_eq!((back.sec, back.frac), (t.sec, t.frac));
        let neg = TimePair { sec: -1, frac: 0 }.encode(&c);
        assert_eq!(TimePair::decode(&c, &neg).sec, -1);
        // Without the flag the same ABI has 32-bit fields.
        assert_eq!(TimePair::size(&Codec { time64: false, ..c }), 8);
    }

    #[test]
    fn timespec_64_and_32() {
        let t = TimePair { sec: 5, frac: 999 };
        let b = t.encode(&Codec::LE64);
        assert_eq!(b.len(), 16);
        assert_eq!(TimePair::decode(&Codec::LE64, &b), t);
        let b = t.encode(&BE32);
        assert_eq!(b, [0, 0, 0, 5, 0, 0, 3, 0xe7]);
    }

    #[test]
    fn rlimit_infinity_per_word() {
        assert_eq!(
            encode_rlimit(&BE32, u64::MAX, 1 << 40),
            [0xff; 8].to_vec(),
            "infinity and too-large both become RLIM_INFINITY"
        );
        assert_eq!(decode_rlimit(&BE32, &[0xff; 8]), (u64::MAX, u64::MAX));
        assert_eq!(
            decode_rlimit(&Codec::LE64, &encode_rlimit(&Codec::LE64, 8, 9)),
            (8, 9)
        );
    }

    #[test]
    fn sysinfo_matches_host_on_64_bit() {
        // SAFETY: an all-zero `struct sysinfo` is valid.
        let mut s: libc::sysinfo = unsafe { std::mem::zeroed() };
        s.uptime = 77;
        s.totalram = 1 << 33;
        s.procs = 12;
        s.freehigh = 3;
        s.mem_unit = 1;
        let b = encode_sysinfo(&Codec::LE64, &s);
        assert_eq!(b.len(), std::mem::size_of::<libc::sysinfo>());
        // SAFETY: plain data of `b.len()` bytes.
        let raw =
            unsafe { std::slice::from_raw_parts(&s as *const libc::sysinfo as *const u8, b.len()) };
        assert_eq!(b, raw);
        // 32-bit: 8 GiB of RAM does not fit, the unit grows instead.
        let b = encode_sysinfo(&BE32, &s);
        assert_eq!(b.len(), 64);
        assert_eq!(BE32.get(&b, 16, 4), 1 << 31);
        assert_eq!(BE32.get(&b, 52, 4), 4, "mem_unit");
    }

    #[test]
    fn sigaction_and_stack_layouts() {
        let a = SigAction {
            handler: 0x1000,
            flags: 0x0400_0000,
            restorer: 0x2000,
            mask: 0x8000_0000_0000_0001,
        };
        let b = a.encode(&Codec::LE64);
        assert_eq!(b.len(), 32);
        assert_eq!(&b[24..32], &0x8000_0000_0000_0001u64.to_le_bytes());
        assert_eq!(SigAction::decode(&Codec::LE64, &b), a);
        let b = a.encode(&BE32);
        assert_eq!(b.len(), 20);
        assert_eq!(SigAction::decode(&BE32, &b), a);
        let s = SigStack {
            sp: 0x7000,
            flags: 2,
            size: 8192,
        };
        let b = s.encode(&Codec::LE64);
        assert_eq!(&b[8..12], &2u32.to_le_bytes());
        assert_eq!(&b[16..24], &8192u64.to_le_bytes());
        assert_eq!(SigStack::decode(&Codec::LE64, &b), s);
    }

    #[test]
    fn dirent_swap_for_big_endian() {
        let mut rec = vec![0u8; 24];
        rec[..8].copy_from_slice(&7u64.to_ne_bytes());
        rec[16..18].copy_from_slice(&24u16.to_ne_bytes());
        rec[18] = 4;
        rec[19] = b'a';
        let be = Codec {
            big_endian: true,
            word: 8,
            time64: false,
        };
        let out = convert_dirent64(&be, &rec);
        assert_eq!(&out[..8], &7u64.to_be_bytes());
        assert_eq!(&out[16..18], &24u16.to_be_bytes());
        assert_eq!(out[18..], rec[18..]);
        assert_eq!(convert_dirent64(&Codec::LE64, &rec), rec);
    }

    #[test]
    fn flock_matches_host() {
        assert_eq!(std::mem::size_of::<libc::flock>(), FLOCK_GENERIC64.size);
        // SAFETY: an all-zero `struct flock` is valid.
        let mut f: libc::flock = unsafe { std::mem::zeroed() };
        f.l_type = libc::F_WRLCK as i16;
        f.l_whence = libc::SEEK_END as i16;
        f.l_start = -10;
        f.l_len = 5;
        f.l_pid = 1234;
        let b = encode_flock(&FLOCK_GENERIC64, &Codec::LE64, &f);
        // SAFETY: plain data of `b.len()` bytes.
        let raw = unsafe { std::slice::from_raw_parts(&f as *const libc::flock as *const u8, 32) };
        assert_eq!(b, raw);
        let back = decode_flock(&FLOCK_GENERIC64, &Codec::LE64, &b);
        assert_eq!((back.l_start, back.l_len, back.l_pid), (-10, 5, 1234));
    }

    #[test]
    fn utsname_truncates() {
        let long = [b'x'; 100];
        let b = encode_utsname([b"Linux", &long, b"6.1", b"#1", b"aarch64", b""]);
        assert_eq!(b.len(), 390);
        assert_eq!(&b[..6], b"Linux\0");
        assert_eq!(b[65 + 64], 0);
        assert_eq!(&b[4 * 65..4 * 65 + 8], b"aarch64\0");
    }
}
