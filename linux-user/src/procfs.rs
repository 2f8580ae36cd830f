//! Fake `/proc` files: what the guest must see about itself rather than
//! about the emulator.
//!
//! `open`ing one of these (for the running process: `/proc/self/...`,
//! `/proc/thread-self/...` or `/proc/<our pid>/...`) returns a sealed
//! memfd holding generated contents:
//!
//! - `maps`: the guest's mappings in the kernel's format (address range,
//!   `rwxp`/`s`, offset, device, inode, and `[heap]`/`[stack]` names where
//!   known; file names are not tracked);
//! - `auxv`: the auxiliary vector the guest was started with;
//! - `cmdline`: the guest's argv, NUL-separated;
//! - `stat`: the host's line with the guest's program name and start of
//!   stack;
//! - `/proc/cpuinfo`: the emulated CPU, from the `-cpu` model (filled in by
//!   the guest's cpu loop).
//!
//! `/proc/self/exe` is handled by path mapping (it names the guest program)
//! and `/proc/self/fd` is the host's (guest fds are host fds).

use crate::syscall::Process;
use std::os::unix::ffi::OsStrExt;

/// What the fake files are generated from (set up once at start).
#[derive(Clone, Debug, Default)]
pub struct ProcInfo {
    /// The auxv pairs as the guest's memory holds them.
    pub auxv: Vec<u8>,
    /// argv, each followed by NUL.
    pub cmdline: Vec<u8>,
    /// `/proc/cpuinfo` contents.
    pub cpuinfo: String,
    /// `[stack_low, stack_top)` of the initial stack.
    pub stack: (u64, u64),
    /// The start of the heap (the initial break).
    pub brk_start: u64,
}

/// Which fake file a guest path names, if any.
fn classify(raw: &[u8]) -> Option<&'static str> {
    if raw == b"/proc/cpuinfo" {
        return Some("cpuinfo");
    }
    let rest = raw.strip_prefix(b"/proc/")?;
    let pid = std::process::id().to_string();
    let file = rest
        .strip_prefix(b"self/")
        .or_else(|| rest.strip_prefix(b"thread-self/"))
        .or_else(|| {
            rest.strip_prefix(pid.as_bytes())
                .and_then(|r| r.strip_prefix(b"/"))
        })?;
    match file {
        b"maps" => Some("maps"),
        b"auxv" => Some("auxv"),
        b"cmdline" => Some("cmdline"),
        b"stat" => Some("stat"),
        _ => None,
    }
}

/// `/proc/self/maps` for the guest.
pub fn maps(p: &Process) -> String {
    let brk_start = p.proc_info.brk_start;
    let brk = p.space.current_brk();
    let (stack_low, stack_top) = p.proc_info.stack;
    let mut out = String::new();
    // The heap is its own mapping in Linux even where its flags equal the
    // data segment's below it.
    let mut runs = Vec::new();
    for r in p.space.mappings() {
        if brk_start > r.start && brk_start < r.end {
            runs.push(crate::pages::Run {
                end: brk_start,
                ..r
            });
            runs.push(crate::pages::Run {
                start: brk_start,
                ..r
            });
        } else {
            runs.push(r);
        }
    }
    for r in runs {
        let f = r.flags;
        let perm = |bit: u32, c: char| if f & bit != 0 { c } else { '-' };
        let shared = if f & crate::pages::PAGE_SHARED != 0 {
            's'
        } else {
            'p'
        };
        let name = if r.start < stack_top && r.end > stack_low {
            "[stack]"
        } else if brk_start != 0 && r.start >= brk_start && r.end <= brk.next_multiple_of(4096) {
            "[heap]"
        } else {
            ""
        };
        let head = format!(
            "{:08x}-{:08x} {}{}{}{} 00000000 00:00 0",
            r.start,
            r.end,
            perm(crate::pages::PAGE_READ, 'r'),
            perm(crate::pages::PAGE_WRITE, 'w'),
            perm(crate::pages::PAGE_EXEC, 'x'),
            shared
        );
        if name.is_empty() {
            out.push_str(&head);
        } else {
            out.push_str(&format!("{head:<73}{name}"));
        }
        out.push('\n');
    }
    out
}

/// `/proc/self/stat`: the host's, with the guest's name and stack start.
fn stat(p: &Process) -> Vec<u8> {
    let host = std::fs::read("/proc/self/stat").unwrap_or_default();
    let Some(close) = host.iter().rposition(|&b| b == b')') else {
        return host;
    };
    let name = p
        .exe_path
        .file_name()
        .map(|n| n.as_bytes().to_vec())
        .unwrap_or_default();
    let pid_end = host.iter().position(|&b| b == b' ').unwrap_or(0);
    let mut fields: Vec<Vec<u8>> = host[close + 1..]
        .split(|&b| b == b' ')
        .filter(|f| !f.is_empty())
        .map(|f| f.to_vec())
        .collect();
    // Field 28 (startstack) is the 26th after the name (fields 3..).
    if let Some(f) = fields.get_mut(25) {
        *f = p.proc_info.stack.1.to_string().into_bytes();
    }
    let mut out = host[..pid_end].to_vec();
    out.extend_from_slice(b" (");
    out.extend_from_slice(&name[..name.len().min(15)]);
    out.extend_from_slice(b")");
    for f in fields {
        out.push(b' ');
        out.extend_from_slice(&f);
    }
    if out.last() != Some(&b'\n') {
        out.push(b'\n');
    }
    out
}

/// Opens the fake file a guest path names; `None` when it is not one.
pub fn open(p: &Process, raw: &[u8]) -> Option<Result<u64, crate::Errno>> {
    let which = classify(raw)?;
    let data: Vec<u8> = match which {
        "maps" => maps(p).into_bytes(),
        "auxv" => p.proc_info.auxv.clone(),
        "cmdline" => p.proc_info.cmdline.clone(),
        "stat" => stat(p),
        _ => p.proc_info.cpuinfo.clone().into_bytes(),
    };
    Some(memfd_with(&data))
}

fn memfd_with(data: &[u8]) -> Result<u64, crate::Errno> {
    // SAFETY: a NUL-terminated name; flags are plain integers.
    let fd = unsafe { libc::memfd_create(c"mimic-proc".as_ptr(), libc::MFD_CLOEXEC) };
    if fd < 0 {
        return Err(crate::Errno::last());
    }
    let mut off = 0;
    while off < data.len() {
        // SAFETY: writing from a live slice.
        let n = unsafe { libc::write(fd, data[off..].as_ptr().cast(), data.len() - off) };
        if n <= 0 {
            let e = crate::Errno::last();
            // SAFETY: our own fd.
            unsafe { libc::close(fd) };
            return Err(e);
        }
        off += n as usize;
    }
    // SAFETY: our own fd; rewinding it. The guest did not ask for
    // close-on-exec: clear it again (the fd was only marked while filled).
    unsafe {
        libc::lseek(fd, 0, libc::SEEK_SET);
        libc::fcntl(fd, libc::F_SETFD, 0);
    }
    Ok(fd as u64)
}

/// HWCAP bit names in `/proc/cpuinfo` order (arch/arm64/kernel/cpuinfo.c).
const HWCAP_NAMES: [&str; 32] = [
    "fp", "asimd", "evtstrm", "aes", "pmull", "sha1", "sha2", "crc32", "atomics", "fphp",
    "asimdhp", "cpuid", "asimdrdm", "jscvt", "fcma", "lrcpc", "dcpop", "sha3", "sm3", "sm4",
    "asimddp", "sha512", "sve", "asimdfhm", "dit", "uscat", "ilrcpc", "flagm", "ssbs", "sb",
    "paca", "pacg",
];
const HWCAP2_NAMES: [&str; 24] = [
    "dcpodp",
    "sve2",
    "sveaes",
    "svepmull",
    "svebitperm",
    "svesha3",
    "svesm4",
    "flagm2",
    "frint",
    "svei8mm",
    "svef32mm",
    "svef64mm",
    "svebf16",
    "i8mm",
    "bf16",
    "dgh",
    "rng",
    "bti",
    "mte",
    "ecv",
    "afp",
    "rpres",
    "mte3",
    "sme",
];

/// `/proc/cpuinfo` for an AArch64 CPU with these HWCAPs and MIDR, one
/// entry per host CPU.
pub fn aarch64_cpuinfo(hwcap: u64, hwcap2: u64, midr: u64) -> String {
    let mut feats: Vec<&str> = Vec::new();
    for (i, n) in HWCAP_NAMES.iter().enumerate() {
        if hwcap & (1 << i) != 0 {
            feats.push(n);
        }
    }
    for (i, n) in HWCAP2_NAMES.iter().enumerate() {
        if hwcap2 & (1 << i) != 0 {
            feats.push(n);
        }
    }
    let cpus = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    let mut s = String::new();
    for i in 0..cpus {
        s.push_str(&format!(
            "processor\t: {i}\nBogoMIPS\t: 50.00\nFeatures\t: {}\nCPU implementer\t: {:#04x}\n\
             CPU architecture: 8\nCPU variant\t: {:#x}\nCPU part\t: {:#05x}\nCPU revision\t: {}\n\n",
            feats.join(" "),
            (midr >> 24) & 0xff,
            (midr >> 20) & 0xf,
            (midr >> 4) & 0xfff,
            midr & 0xf
        ));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classify_paths() {
        assert_eq!(classify(b"/proc/self/maps"), Some("maps"));
        assert_eq!(classify(b"/proc/thread-self/auxv"), Some("auxv"));
        let own = format!("/proc/{}/cmdline", std::process::id());
        assert_eq!(classify(own.as_bytes()), Some("cmdline"));
        assert_eq!(classify(b"/proc/1/maps"), None);
        assert_eq!(classify(b"/proc/cpuinfo"), Some("cpuinfo"));
        assert_eq!(classify(b"/proc/self/status"), None);
    }

    #[test]
    fn cpuinfo_fields() {
        let s = aarch64_cpuinfo(0b11 | 1 << 8, 1 << 1, 0x410f_d083);
        assert!(s.contains("Features\t: fp asimd atomics sve2\n"), "{s}");
        assert!(s.contains("CPU implementer\t: 0x41\n"));
        assert!(s.contains("CPU part\t: 0xd08\n"));
        assert!(s.contains("CPU revision\t: 3\n"));
    }

    #[test]
    fn maps_lists_guest_mappings() {
        let p = crate::syscall::tests::process();
        let m = maps(&p);
        assert!(
            m.starts_with("00100000-00200000 rw-p 00000000 00:00 0"),
            "{m}"
        );
    }
}
