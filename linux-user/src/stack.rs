//! The initial process stack: argument and environment strings, `argc`,
//! `argv`, `envp` and the auxiliary vector, laid out as Linux's
//! `create_elf_tables` does (fs/binfmt_elf.c), in the guest's word size and
//! byte order.
//!
//! From the top of the stack down: a NULL word, the `AT_EXECFN` string, the
//! `argv` then `envp` strings (ascending), alignment to 16, the
//! `AT_PLATFORM` string, the 16 `AT_RANDOM` bytes, and at a 16-byte aligned
//! stack pointer: `argc`, `argv[]`, NULL, `envp[]`, NULL, auxv pairs,
//! `AT_NULL`.

use crate::abi::GuestAbi;
use crate::errno::Efault;
use crate::space::GuestSpace;

/// Auxiliary vector keys (include/uapi/linux/auxvec.h).
pub mod at {
    pub const NULL: u64 = 0;
    pub const EXECFD: u64 = 2;
    pub const PHDR: u64 = 3;
    pub const PHENT: u64 = 4;
    pub const PHNUM: u64 = 5;
    pub const PAGESZ: u64 = 6;
    pub const BASE: u64 = 7;
    pub const FLAGS: u64 = 8;
    pub const ENTRY: u64 = 9;
    pub const UID: u64 = 11;
    pub const EUID: u64 = 12;
    pub const GID: u64 = 13;
    pub const EGID: u64 = 14;
    pub const PLATFORM: u64 = 15;
    pub const HWCAP: u64 = 16;
    pub const CLKTCK: u64 = 17;
    pub const SECURE: u64 = 23;
    pub const RANDOM: u64 = 25;
    pub const HWCAP2: u64 = 26;
    pub const EXECFN: u64 = 31;
    pub const MINSIGSTKSZ: u64 = 51;
}

/// Everything the stack builder needs besides the strings.
#[derive(Clone, Debug, Default)]
pub struct AuxInfo {
    pub phdr: u64,
    pub phent: u64,
    pub phnum: u64,
    pub base: u64,
    pub flags: u64,
    pub entry: u64,
    pub uid: u64,
    pub euid: u64,
    pub gid: u64,
    pub egid: u64,
    pub secure: bool,
    pub hwcap: u64,
    pub hwcap2: u64,
    pub clktck: u64,
    pub execfd: Option<u64>,
    pub random: [u8; 16],
    pub platform: Vec<u8>,
    pub execfn: Vec<u8>,
}

/// Where things ended up on the new stack.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StackLayout {
    /// The initial stack pointer (points at `argc`).
    pub sp: u64,
    pub argv: u64,
    pub envp: u64,
    pub auxv: u64,
    /// The auxiliary vector as written, without the final `AT_NULL`.
    pub auxv_entries: Vec<(u64, u64)>,
}

/// Write the initial stack below `top` and return its layout.
pub fn build(
    space: &GuestSpace,
    abi: &GuestAbi,
    top: u64,
    argv: &[Vec<u8>],
    envp: &[Vec<u8>],
    info: &AuxInfo,
) -> Result<StackLayout, Efault> {
    let c = abi.codec();
    let w = abi.word();
    let sub = |p: u64, n: u64| p.checked_sub(n).ok_or(Efault);

    let mut p = sub(top, w)?; // NULL word at the very top
    space.write(p, &vec![0; w as usize])?;

    p = sub(p, info.execfn.len() as u64 + 1)?;
    let execfn_addr = p;
    space.write(p, &nul(&info.execfn))?;

    let strings: Vec<&Vec<u8>> = argv.iter().chain(envp.iter()).collect();
    let total: u64 = strings.iter().map(|s| s.len() as u64 + 1).sum();
    p = sub(p, total)?;
    let mut addrs = Vec::with_capacity(strings.len());
    let mut at = p;
    for s in &strings {
        addrs.push(at);
        space.write(at, &nul(s))?;
        at += s.len() as u64 + 1;
    }

    p &= !15;
    let platform_addr = if info.platform.is_empty() {
        0
    } else {
        p = sub(p, info.platform.len() as u64 + 1)?;
        space.write(p, &nul(&info.platform))?;
        p
    };
    p = sub(p, 16)?;
    let random_addr = p;
    space.write(p, &info.random)?;

    let mut aux: Vec<(u64, u64)> = Vec::new();
    if let Some(m) = abi.minsigstksz {
        aux.push((at::MINSIGSTKSZ, m));
    }
    aux.extend([
        (at::HWCAP, info.hwcap),
        (at::PAGESZ, abi.page_size),
        (at::CLKTCK, info.clktck),
        (at::PHDR, info.phdr),
        (at::PHENT, info.phent),
        (at::PHNUM, info.phnum),
        (at::BASE, info.base),
        (at::FLAGS, info.flags),
        (at::ENTRY, info.entry),
        (at::UID, info.uid),
        (at::EUID, info.euid),
        (at::GID, info.gid),
        (at::EGID, info.egid),
        (at::SECURE, info.secure.into()),
        (at::RANDOM, random_addr),
        (at::HWCAP2, info.hwcap2),
        (at::EXECFN, execfn_addr),
    ]);
    if platform_addr != 0 {
        aux.push((at::PLATFORM, platform_addr));
    }
    if let Some(fd) = info.execfd {
        aux.push((at::EXECFD, fd));
    }

    let argc = argv.len() as u64;
    let words = 1 + (argc + 1) + (envp.len() as u64 + 1) + 2 * (aux.len() as u64 + 1);
    let sp = sub(p, words * w)? & !15;

    let mut table: Vec<u64> = Vec::with_capacity(words as usize);
    table.push(argc);
    table.extend(&addrs[..argv.len()]);
    table.push(0);
    table.extend(&addrs[argv.len()..]);
    table.push(0);
    for (k, v) in &aux {
        table.extend([*k, *v]);
    }
    table.extend([at::NULL, 0]);
    let mut bytes = vec![0u8; table.len() * w as usize];
    for (i, v) in table.iter().enumerate() {
        c.put_word(&mut bytes, i * w as usize, *v);
    }
    space.write(sp, &bytes)?;
    let argv_addr = sp + w;
    let envp_addr = argv_addr + (argc + 1) * w;
    Ok(StackLayout {
        sp,
        argv: argv_addr,
        envp: envp_addr,
        auxv: envp_addr + (envp.len() as u64 + 1) * w,
        auxv_entries: aux,
    })
}

fn nul(s: &[u8]) -> Vec<u8> {
    let mut v = Vec::with_capacity(s.len() + 1);
    v.extend_from_slice(s);
    v.push(0);
    v
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aarch64::ABI;

    fn stack_space() -> (GuestSpace, u64) {
        let s = GuestSpace::new(32).unwrap();
        let top = 0x8000_0000;
        let flags = libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_FIXED;
        s.mmap(
            top - 0x10000,
            0x10000,
            libc::PROT_READ | libc::PROT_WRITE,
            flags,
            -1,
            0,
        )
        .unwrap();
        (s, top)
    }

    fn word(s: &GuestSpace, a: u64) -> u64 {
        let mut b = [0u8; 8];
        s.read(a, &mut b).unwrap();
        u64::from_le_bytes(b)
    }

    fn cstr(s: &GuestSpace, a: u64) -> Vec<u8> {
        s.read_cstr(a, 4096).unwrap()
    }

    #[test]
    fn aarch64_layout() {
        let (s, top) = stack_space();
        let info = AuxInfo {
            phdr: 0x40_0040,
            phent: 56,
            phnum: 7,
            entry: 0x40_1000,
            uid: 1000,
            hwcap: 0xff,
            hwcap2: 0x2,
            clktck: 100,
            random: *b"0123456789abcdef",
            platform: b"aarch64".to_vec(),
            execfn: b"/bin/prog".to_vec(),
            ..AuxInfo::default()
        };
        let argv = vec![b"prog".to_vec(), b"-x".to_vec()];
        let envp = vec![b"A=1".to_vec()];
        let l = build(&s, &ABI, top, &argv, &envp, &info).unwrap();
        assert_eq!(l.sp % 16, 0);
        assert_eq!(word(&s, l.sp), 2, "argc");
        assert_eq!(cstr(&s, word(&s, l.sp + 8)), b"prog");
        assert_eq!(cstr(&s, word(&s, l.sp + 16)), b"-x");
        assert_eq!(word(&s, l.sp + 24), 0);
        assert_eq!(l.envp, l.sp + 32);
        assert_eq!(cstr(&s, word(&s, l.envp)), b"A=1");
        assert_eq!(word(&s, l.envp + 8), 0);
        // Strings are ascending argv then envp, then execfn, then a NULL word.
        let argv0 = word(&s, l.sp + 8);
        assert_eq!(word(&s, l.sp + 16), argv0 + 5);
        assert_eq!(word(&s, l.envp), argv0 + 8);
        assert_eq!(word(&s, top - 8), 0);
        // Auxv pairs, in the kernel's order, ending in AT_NULL.
        let mut aux = Vec::new();
        let mut a = l.auxv;
        loop {
            let (k, v) = (word(&s, a), word(&s, a + 8));
            a += 16;
            if k == at::NULL {
                break;
            }
            aux.push((k, v));
        }
        assert_eq!(aux, l.auxv_entries);
        let get = |k| aux.iter().find(|(kk, _)| *kk == k).unwrap().1;
        assert_eq!(aux[0], (at::MINSIGSTKSZ, 5120));
        assert_eq!(get(at::PAGESZ), 4096);
        assert_eq!(get(at::PHDR), 0x40_0040);
        assert_eq!(get(at::PHNUM), 7);
        assert_eq!(get(at::ENTRY), 0x40_1000);
        assert_eq!(get(at::UID), 1000);
        assert_eq!(get(at::HWCAP), 0xff);
        assert_eq!(get(at::HWCAP2), 2);
        assert_eq!(get(at::CLKTCK), 100);
        assert_eq!(get(at::SECURE), 0);
        assert_eq!(cstr(&s, get(at::EXECFN)), b"/bin/prog");
        assert_eq!(get(at::EXECFN), top - 8 - 10);
        assert_eq!(cstr(&s, get(at::PLATFORM)), b"aarch64");
        let mut r = [0u8; 16];
        s.read(get(at::RANDOM), &mut r).unwrap();
        assert_eq!(&r, b"0123456789abcdef");
        assert!(
            get(at::RANDOM) > a - 16,
            "random bytes sit above the tables"
        );
        assert!(!aux.iter().any(|(k, _)| *k == at::EXECFD));
    }

    #[test]
    fn too_small_stack_is_efault() {
        let (s, top) = stack_space();
        let huge = vec![vec![b'x'; 0x20000]];
        assert_eq!(
            build(&s, &ABI, top, &huge, &[], &AuxInfo::default()),
            Err(Efault)
        );
    }
}
