//! ELF loading: headers, `PT_LOAD` segments, `PT_INTERP`, the initial stack.
//!
//! Hand-parsed (the format is small and every field is checked here against
//! the file's size, so a corrupt file gets one clear message rather than a
//! panic) for both classes and both byte orders. Static executables
//! (`ET_EXEC`), static-pie and dynamically linked `ET_DYN` executables are
//! loaded; a program interpreter (`PT_INTERP`) is found through the `-L`
//! prefix (see [`crate::path`]) and loaded at a free address, as Linux does.

use std::fmt;
use std::fs::File;
use std::os::fd::AsRawFd;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

use crate::abi::GuestAbi;
use crate::errno::Errno;
use crate::layout::Codec;
use crate::path::PathMapper;
use crate::space::{GuestSpace, HOST_PAGE};
use crate::stack::{self, AuxInfo};

const ET_EXEC: u16 = 2;
const ET_DYN: u16 = 3;
const PT_LOAD: u32 = 1;
const PT_INTERP: u32 = 3;
const PT_PHDR: u32 = 6;
const PT_GNU_STACK: u32 = 0x6474_e551;
const PF_X: u32 = 1;
const PF_W: u32 = 2;
const PF_R: u32 = 4;

/// Longest `PT_INTERP` path accepted.
const MAX_INTERP: u64 = 4096;

/// The identity of an ELF file, read from its header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ElfArch {
    /// `e_machine`.
    pub machine: u16,
    /// 32 or 64 (`EI_CLASS`).
    pub bits: u32,
    pub big_endian: bool,
    /// `e_flags` (ABI variant: MIPS ISA/ABI, ARM EABI version, ...).
    pub flags: u32,
    /// `EI_OSABI`.
    pub os_abi: u8,
    /// `e_type`.
    pub elf_type: u16,
}

impl ElfArch {
    /// A human name for the machine (`"AArch64"`), if it is a known one.
    pub fn machine_name(&self) -> Option<&'static str> {
        machine_name(self.machine)
    }
}

/// Names of the machines a user is likely to meet.
pub fn machine_name(m: u16) -> Option<&'static str> {
    Some(match m {
        2 => "SPARC",
        3 => "x86 (i386)",
        4 => "M68K",
        8 => "MIPS",
        15 => "PA-RISC",
        18 => "SPARC32PLUS",
        20 => "PowerPC",
        21 => "PowerPC64",
        22 => "S/390",
        40 => "ARM",
        42 => "SuperH",
        43 => "SPARC V9",
        50 => "IA-64",
        62 => "x86-64",
        183 => "AArch64",
        189 => "MicroBlaze",
        243 => "RISC-V",
        258 => "LoongArch",
        0x9026 => "Alpha",
        _ => return None,
    })
}

fn describe_machine(m: u16) -> String {
    match machine_name(m) {
        Some(n) => format!("{n} (machine {m})"),
        None => format!("machine {m}"),
    }
}

/// Why a program could not be loaded. `Display` gives one line, prefixed
/// with `mimic: ` and the path, ready for stderr.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("mimic: {}: {}", .path.display(), strerror(.errno))]
    Io { path: PathBuf, errno: Errno },
    #[error("mimic: {}: not an ELF file", .path.display())]
    NotElf { path: PathBuf },
    #[error("mimic: {}: truncated ELF file ({what})", .path.display())]
    Truncated { path: PathBuf, what: String },
    #[error("mimic: {}: corrupt ELF file: {what}", .path.display())]
    Corrupt { path: PathBuf, what: String },
    #[error("mimic: {}: not an executable ELF file (type {elf_type})", .path.display())]
    NotExecutable { path: PathBuf, elf_type: u16 },
    #[error("mimic: {}: is an ELF for {found}, which mimic cannot run", .path.display())]
    Unsupported { path: PathBuf, found: String },
    #[error("mimic: {}: is an ELF for {found}, not for {expected}", .path.display())]
    WrongArch {
        path: PathBuf,
        found: String,
        expected: String,
    },
    #[error("mimic: {}: cannot load: {what}", .path.display())]
    Map { path: PathBuf, what: String },
    #[error("mimic: {}: interpreter {}: {}", .path.display(), .interp.display(), Self::inner_line(.source))]
    Interp {
        path: PathBuf,
        interp: PathBuf,
        source: Box<LoadError>,
    },
}

impl LoadError {
    /// The error for an ELF whose architecture mimic has no guest for.
    pub fn unsupported(path: &Path, arch: &ElfArch) -> LoadError {
        LoadError::Unsupported {
            path: path.to_path_buf(),
            found: format!(
                "{}, {}-bit {}",
                describe_machine(arch.machine),
                arch.bits,
                endian(arch.big_endian)
            ),
        }
    }

    /// The message of a nested error without its `mimic: PATH: ` part.
    fn inner_line(e: &LoadError) -> String {
        let s = e.to_string();
        match e {
            LoadError::Io { errno, .. } => strerror(errno),
            _ => s
                .split_once(": ")
                .and_then(|(_, rest)| rest.split_once(": "))
                .map_or(s.clone(), |(_, r)| r.to_string()),
        }
    }
}

fn endian(big: bool) -> &'static str {
    if big {
        "big-endian"
    } else {
        "little-endian"
    }
}

/// `strerror` text without Rust's " (os error N)" suffix.
fn strerror(e: &Errno) -> String {
    let s = e.to_string();
    match s.rfind(" (os error") {
        Some(i) => s[..i].to_string(),
        None => s,
    }
}

/// What the caller chooses about a new process image.
#[derive(Clone, Debug)]
pub struct LoadOptions {
    /// `-L`: sysroot for the interpreter and guest absolute paths.
    pub ld_prefix: Option<PathBuf>,
    /// Bytes of stack to map.
    pub stack_size: u64,
    pub hwcap: u64,
    pub hwcap2: u64,
    /// `AT_PLATFORM` (default: the ABI's).
    pub platform: Option<Vec<u8>>,
    /// `AT_EXECFN` (default: the path as given).
    pub execfn: Option<Vec<u8>>,
    pub uid: u32,
    pub euid: u32,
    pub gid: u32,
    pub egid: u32,
    pub secure: bool,
    /// `AT_FLAGS` (binfmt_misc's preserve-argv0 bit goes here).
    pub at_flags: u64,
    /// `AT_EXECFD` (binfmt_misc's O flag).
    pub execfd: Option<i32>,
    /// Seed for `AT_RANDOM` (`-seed`); host randomness when `None`.
    pub random_seed: Option<u64>,
    /// Where the stack ends (default: the top of the address space); a
    /// guest whose kernel maps something at the very top (ARM's kuser
    /// helper page) puts it below.
    pub stack_top: Option<u64>,
}

impl Default for LoadOptions {
    fn default() -> Self {
        // SAFETY: these id getters cannot fail and have no preconditions.
        let (uid, euid, gid, egid) = unsafe {
            (
                libc::getuid(),
                libc::geteuid(),
                libc::getgid(),
                libc::getegid(),
            )
        };
        LoadOptions {
            ld_prefix: None,
            stack_size: 8 << 20,
            hwcap: 0,
            hwcap2: 0,
            platform: None,
            execfn: None,
            uid,
            euid,
            gid,
            egid,
            secure: false,
            at_flags: 0,
            execfd: None,
            random_seed: None,
            stack_top: None,
        }
    }
}

/// The loaded program, ready to run.
#[derive(Clone, Debug)]
pub struct LoadedProgram {
    /// Where execution starts: the interpreter's entry if there is one.
    pub entry: u64,
    /// Initial stack pointer (points at `argc`).
    pub stack_pointer: u64,
    /// Added to the main program's virtual addresses (0 for `ET_EXEC`).
    pub load_bias: u64,
    /// Address of the main program's program headers (`AT_PHDR`).
    pub phdr: u64,
    pub phnum: u64,
    /// The main program's own entry (`AT_ENTRY`).
    pub program_entry: u64,
    /// Initial program break.
    pub brk: u64,
    /// Where the interpreter was loaded (`AT_BASE`), if there is one.
    pub interp_base: Option<u64>,
    /// Host path of the interpreter, if there is one.
    pub interp_path: Option<PathBuf>,
    /// `[stack_low, stack_top)` is the mapped stack.
    pub stack_low: u64,
    pub stack_top: u64,
    /// Whether `PT_GNU_STACK` asked for an executable stack.
    pub exec_stack: bool,
    /// The auxiliary vector as written (for `/proc/self/auxv`).
    pub auxv: Vec<(u64, u64)>,
    /// Absolute host path of the main program (for `/proc/self/exe`).
    pub exe_path: PathBuf,
}

#[derive(Clone, Copy, Debug)]
struct Phdr {
    p_type: u32,
    flags: u32,
    offset: u64,
    vaddr: u64,
    filesz: u64,
    memsz: u64,
    align: u64,
}

/// A parsed, checked ELF file.
struct Image {
    path: PathBuf,
    file: File,
    arch: ElfArch,
    entry: u64,
    phoff: u64,
    phentsize: u64,
    phdrs: Vec<Phdr>,
}

/// binfmt_misc's `O` flag: the kernel handed the program over as an open
/// fd (`AT_EXECFD`), since the user may not be allowed to read it.
static EXEC_FD: std::sync::Mutex<Option<(PathBuf, File)>> = std::sync::Mutex::new(None);

/// Makes opening `path` use `fd` (the `AT_EXECFD` of a binfmt_misc `O`
/// registration). The fd is owned from now on and closed on exec.
pub fn set_exec_fd(path: &Path, fd: i32) {
    // SAFETY: the kernel opened this fd for us; nothing else owns it.
    let file = unsafe { <File as std::os::fd::FromRawFd>::from_raw_fd(fd) };
    // SAFETY: setting FD_CLOEXEC on an fd we own.
    unsafe { libc::fcntl(fd, libc::F_SETFD, libc::FD_CLOEXEC) };
    *EXEC_FD.lock().unwrap_or_else(|e| e.into_inner()) = Some((path.to_path_buf(), file));
}

fn open(path: &Path) -> Result<(File, u64), LoadError> {
    let io = |e: std::io::Error| LoadError::Io {
        path: path.to_path_buf(),
        errno: Errno::from_io(&e),
    };
    let handed = match &*EXEC_FD.lock().unwrap_or_else(|e| e.into_inner()) {
        Some((p, f)) if p == path => Some(f.try_clone().map_err(io)?),
        _ => None,
    };
    let file = match handed {
        Some(f) => f,
        None => File::open(path).map_err(io)?,
    };
    let meta = file.metadata().map_err(io)?;
    if meta.is_dir() {
        return Err(LoadError::Io {
            path: path.to_path_buf(),
            errno: Errno::EISDIR,
        });
    }
    Ok((file, meta.len()))
}

fn read_at(
    file: &File,
    path: &Path,
    off: u64,
    len: u64,
    size: u64,
    what: &str,
) -> Result<Vec<u8>, LoadError> {
    if off.checked_add(len).is_none_or(|e| e > size) {
        return Err(LoadError::Truncated {
            path: path.to_path_buf(),
            what: what.to_string(),
        });
    }
    let mut buf = vec![0u8; len as usize];
    file.read_exact_at(&mut buf, off)
        .map_err(|e| LoadError::Io {
            path: path.to_path_buf(),
            errno: Errno::from_io(&e),
        })?;
    Ok(buf)
}

/// Read the identification and header of the ELF at `b`.
fn parse_ident(path: &Path, b: &[u8]) -> Result<(ElfArch, Codec), LoadError> {
    if b.len() < 4 || &b[..4] != b"\x7fELF" {
        return Err(LoadError::NotElf {
            path: path.to_path_buf(),
        });
    }
    let trunc = || LoadError::Truncated {
        path: path.to_path_buf(),
        what: "header".into(),
    };
    if b.len() < 16 {
        return Err(trunc());
    }
    let corrupt = |what: &str| LoadError::Corrupt {
        path: path.to_path_buf(),
        what: what.into(),
    };
    let bits = match b[4] {
        1 => 32,
        2 => 64,
        _ => return Err(corrupt("bad EI_CLASS")),
    };
    let big_endian = match b[5] {
        1 => false,
        2 => true,
        _ => return Err(corrupt("bad EI_DATA")),
    };
    if b[6] != 1 {
        return Err(corrupt("bad EI_VERSION"));
    }
    let hdr_len = if bits == 64 { 64 } else { 52 };
    if b.len() < hdr_len {
        return Err(trunc());
    }
    let c = Codec {
        big_endian,
        word: bits as usize / 8,
        time64: false,
    };
    let flags_off = if bits == 64 { 48 } else { 36 };
    Ok((
        ElfArch {
            machine: c.get(b, 18, 2) as u16,
            bits,
            big_endian,
            flags: c.get(b, flags_off, 4) as u32,
            os_abi: b[7],
            elf_type: c.get(b, 16, 2) as u16,
        },
        c,
    ))
}

/// Read an ELF header to learn which guest should run it.
pub fn detect_arch(path: &Path) -> Result<ElfArch, LoadError> {
    let (file, size) = open(path)?;
    let n = size.min(64);
    let b = read_at(&file, path, 0, n, size, "header")?;
    Ok(parse_ident(path, &b)?.0)
}

fn parse(path: &Path, abi: &GuestAbi) -> Result<Image, LoadError> {
    let (file, size) = open(path)?;
    let head = read_at(&file, path, 0, size.min(64), size, "header")?;
    let (arch, c) = parse_ident(path, &head)?;
    let p = || path.to_path_buf();
    if arch.machine != abi.elf_machine || arch.bits != abi.bits || arch.big_endian != abi.big_endian
    {
        return Err(LoadError::WrongArch {
            path: p(),
            found: format!(
                "{}, {}-bit {}",
                describe_machine(arch.machine),
                arch.bits,
                endian(arch.big_endian)
            ),
            expected: abi.name.to_string(),
        });
    }
    if arch.elf_type != ET_EXEC && arch.elf_type != ET_DYN {
        return Err(LoadError::NotExecutable {
            path: p(),
            elf_type: arch.elf_type,
        });
    }
    let w = c.word;
    let entry = c.get_word(&head, 24);
    let phoff = c.get_word(&head, 24 + w);
    let (phentsize, phnum) = if w == 8 {
        (c.get(&head, 54, 2), c.get(&head, 56, 2))
    } else {
        (c.get(&head, 42, 2), c.get(&head, 44, 2))
    };
    let want = if w == 8 { 56 } else { 32 };
    let corrupt = |what: String| LoadError::Corrupt { path: p(), what };
    if phentsize != want {
        return Err(corrupt(format!(
            "program header size {phentsize}, expected {want}"
        )));
    }
    if phnum == 0 {
        return Err(corrupt("no program headers".into()));
    }
    let table = read_at(
        &file,
        path,
        phoff,
        phnum * phentsize,
        size,
        "program headers",
    )?;
    let mut phdrs = Vec::with_capacity(phnum as usize);
    for e in table.chunks_exact(phentsize as usize) {
        let ph = if w == 8 {
            Phdr {
                p_type: c.get(e, 0, 4) as u32,
                flags: c.get(e, 4, 4) as u32,
                offset: c.get(e, 8, 8),
                vaddr: c.get(e, 16, 8),
                filesz: c.get(e, 32, 8),
                memsz: c.get(e, 40, 8),
                align: c.get(e, 48, 8),
            }
        } else {
            Phdr {
                p_type: c.get(e, 0, 4) as u32,
                offset: c.get(e, 4, 4),
                vaddr: c.get(e, 8, 4),
                filesz: c.get(e, 16, 4),
                memsz: c.get(e, 20, 4),
                flags: c.get(e, 24, 4) as u32,
                align: c.get(e, 28, 4),
            }
        };
        if ph.p_type == PT_LOAD {
            // A segment with no file bytes (pure .bss) may name any offset.
            if ph.filesz > 0 && ph.offset.checked_add(ph.filesz).is_none_or(|e| e > size) {
                return Err(LoadError::Truncated {
                    path: p(),
                    what: format!("segment at offset {:#x} runs past the end", ph.offset),
                });
            }
            if ph.filesz > ph.memsz {
                return Err(corrupt(format!(
                    "segment at {:#x} has filesz > memsz",
                    ph.vaddr
                )));
            }
            if ph.vaddr.checked_add(ph.memsz).is_none() {
                return Err(corrupt(format!("segment at {:#x} wraps around", ph.vaddr)));
            }
        }
        phdrs.push(ph);
    }
    if !phdrs.iter().any(|ph| ph.p_type == PT_LOAD) {
        return Err(corrupt("no loadable segments".into()));
    }
    Ok(Image {
        path: p(),
        file,
        arch,
        entry,
        phoff,
        phentsize,
        phdrs,
    })
}

impl Image {
    fn loads(&self) -> impl Iterator<Item = &Phdr> {
        self.phdrs.iter().filter(|p| p.p_type == PT_LOAD)
    }

    /// `[lowest page, end)` of the loadable segments, unbiased.
    fn span(&self, page: u64) -> (u64, u64) {
        let lo = self.loads().map(|p| p.vaddr).min().unwrap_or(0) & !(page - 1);
        let hi = self.loads().map(|p| p.vaddr + p.memsz).max().unwrap_or(0);
        (lo, hi)
    }

    fn max_align(&self, page: u64) -> u64 {
        self.loads()
            .map(|p| p.align)
            .filter(|a| a.is_power_of_two())
            .max()
            .unwrap_or(page)
            .clamp(page, 1 << 30)
    }

    fn interp(&self) -> Result<Option<PathBuf>, LoadError> {
        let Some(ph) = self.phdrs.iter().find(|p| p.p_type == PT_INTERP) else {
            return Ok(None);
        };
        let size = self.file.metadata().map(|m| m.len()).unwrap_or(0);
        if ph.filesz == 0 || ph.filesz > MAX_INTERP {
            return Err(LoadError::Corrupt {
                path: self.path.clone(),
                what: "bad PT_INTERP".into(),
            });
        }
        let mut b = read_at(
            &self.file,
            &self.path,
            ph.offset,
            ph.filesz,
            size,
            "PT_INTERP",
        )?;
        if let Some(n) = b.iter().position(|&c| c == 0) {
            b.truncate(n);
        }
        Ok(Some(PathBuf::from(std::ffi::OsStr::from_bytes(&b))))
    }

    /// Guest address of the program headers once loaded with `bias`: where
    /// the `PT_LOAD` holding file offset `e_phoff` puts them (as Linux
    /// computes `AT_PHDR`), else `PT_PHDR`'s address, else the bias.
    fn phdr_addr(&self, bias: u64) -> u64 {
        let in_load = self
            .loads()
            .find(|p| p.offset <= self.phoff && self.phoff < p.offset + p.filesz)
            .map(|p| p.vaddr + (self.phoff - p.offset));
        let declared = self
            .phdrs
            .iter()
            .find(|p| p.p_type == PT_PHDR)
            .map(|p| p.vaddr);
        in_load.or(declared).unwrap_or(0).wrapping_add(bias)
    }

    fn map_err(&self, what: String) -> LoadError {
        LoadError::Map {
            path: self.path.clone(),
            what,
        }
    }

    /// Map every `PT_LOAD` segment at `bias + p_vaddr`.
    fn map(&self, space: &mut GuestSpace, bias: u64) -> Result<(), LoadError> {
        let page = space.page_size();
        let fixed = libc::MAP_PRIVATE | libc::MAP_FIXED;
        let rw = libc::PROT_READ | libc::PROT_WRITE;
        let fd = self.file.as_raw_fd();
        for ph in self.loads() {
            if ph.memsz == 0 {
                continue;
            }
            let vaddr = ph.vaddr.wrapping_add(bias);
            let start = vaddr & !(page - 1);
            let file_end = vaddr + ph.filesz;
            let mem_end = (vaddr + ph.memsz).next_multiple_of(page);
            if mem_end > space.size() || vaddr < bias {
                return Err(self.map_err(format!(
                    "segment at {vaddr:#x} does not fit in the guest address space"
                )));
            }
            let fail = |e: Errno| self.map_err(format!("segment at {vaddr:#x}: {}", strerror(&e)));
            if ph.filesz > 0 {
                let delta = vaddr - start;
                let map_len = file_end.next_multiple_of(page) - start;
                if ph.offset >= delta && (ph.offset - delta).is_multiple_of(HOST_PAGE) {
                    space
                        .mmap(start, map_len, rw, fixed, fd, ph.offset - delta)
                        .map_err(fail)?;
                } else {
                    // Offset and address disagree modulo the page size: copy.
                    self.map_fresh(space, start, start + map_len)?;
                    let data = read_at(
                        &self.file,
                        &self.path,
                        ph.offset,
                        ph.filesz,
                        u64::MAX,
                        "segment",
                    )?;
                    space.write(vaddr, &data).map_err(|_| fail(Errno::EFAULT))?;
                }
                // Zero the rest of the last file page (the start of .bss).
                if ph.memsz > ph.filesz {
                    let pad = file_end.next_multiple_of(page) - file_end;
                    space
                        .write(file_end, &vec![0u8; pad as usize])
                        .map_err(|_| fail(Errno::EFAULT))?;
                }
            }
            if ph.filesz == 0 {
                // Pure .bss: fresh zero pages, except where an earlier
                // segment shares the first page; zero that part by hand.
                self.map_fresh(space, start, mem_end)?;
                let first_end = (vaddr + 1).next_multiple_of(page).min(vaddr + ph.memsz);
                space
                    .write(vaddr, &vec![0u8; (first_end - vaddr) as usize])
                    .map_err(|_| fail(Errno::EFAULT))?;
            }
            let anon_start = file_end.next_multiple_of(page).max(start);
            if ph.filesz > 0 && mem_end > anon_start {
                space
                    .mmap(
                        anon_start,
                        mem_end - anon_start,
                        rw,
                        fixed | libc::MAP_ANONYMOUS,
                        -1,
                        0,
                    )
                    .map_err(fail)?;
            }
            let mut prot = 0;
            if ph.flags & PF_R != 0 {
                prot |= libc::PROT_READ;
            }
            if ph.flags & PF_W != 0 {
                prot |= libc::PROT_WRITE;
            }
            if ph.flags & PF_X != 0 {
                prot |= libc::PROT_EXEC;
            }
            space.mprotect(start, mem_end - start, prot).map_err(fail)?;
        }
        Ok(())
    }

    /// Map anonymous RW pages over the unmapped parts of `[start, end)`
    /// (pages an earlier segment shares keep their contents).
    fn map_fresh(&self, space: &mut GuestSpace, start: u64, end: u64) -> Result<(), LoadError> {
        let page = space.page_size();
        let flags = libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_FIXED;
        let mut a = start;
        while a < end {
            if space.is_free(a, page) {
                space
                    .mmap(a, page, libc::PROT_READ | libc::PROT_WRITE, flags, -1, 0)
                    .map_err(|e| self.map_err(format!("{a:#x}: {}", strerror(&e))))?;
            } else {
                space
                    .mprotect(a, page, libc::PROT_READ | libc::PROT_WRITE)
                    .map_err(|e| self.map_err(format!("{a:#x}: {}", strerror(&e))))?;
            }
            a += page;
        }
        Ok(())
    }
}

/// Choose the load bias of a position-independent image: `preferred` if
/// its span is free there, else any free place.
fn choose_bias(space: &GuestSpace, img: &Image, preferred: Option<u64>) -> Result<u64, LoadError> {
    let page = space.page_size();
    let (lo, hi) = img.span(page);
    let len = (hi - lo).next_multiple_of(page);
    let align = img.max_align(page);
    if let Some(base) = preferred {
        let base = base.next_multiple_of(align);
        if space.is_free(base, len) {
            return Ok(base.wrapping_sub(lo));
        }
    }
    space
        .find_free(len, align)
        .map(|a| a.wrapping_sub(lo))
        .ok_or_else(|| img.map_err("no room in the guest address space".into()))
}

/// 16 bytes for `AT_RANDOM`: from the seed (splitmix64) or the host.
fn random_bytes(seed: Option<u64>) -> [u8; 16] {
    let mut out = [0u8; 16];
    match seed {
        Some(mut s) => {
            for chunk in out.chunks_mut(8) {
                s = s.wrapping_add(0x9e37_79b9_7f4a_7c15);
                let mut z = s;
                z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
                z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
                chunk.copy_from_slice(&(z ^ (z >> 31)).to_le_bytes());
            }
        }
        None => {
            // SAFETY: getrandom writes at most 16 bytes into `out`.
            let n = unsafe { libc::getrandom(out.as_mut_ptr().cast(), 16, 0) };
            if n != 16 {
                let t = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(0, |d| d.as_nanos() as u64);
                return random_bytes(Some(t ^ u64::from(std::process::id())));
            }
        }
    }
    out
}

/// Load the program at `path` into `space` and build its initial stack.
pub fn load_program(
    space: &mut GuestSpace,
    abi: &GuestAbi,
    path: &Path,
    argv: &[Vec<u8>],
    envp: &[Vec<u8>],
    opts: &LoadOptions,
) -> Result<LoadedProgram, LoadError> {
    let img = parse(path, abi)?;
    let page = space.page_size();
    let bias = if img.arch.elf_type == ET_DYN {
        choose_bias(space, &img, Some(abi.et_dyn_base))?
    } else {
        0
    };
    img.map(space, bias)?;
    let (_, hi) = img.span(page);
    let brk = hi.wrapping_add(bias).next_multiple_of(page);

    // The stack sits at the top of the space; mmap allocates below it.
    let stack_size = opts.stack_size.max(64 * 1024).next_multiple_of(page);
    let stack_top = opts.stack_top.map_or(space.size(), |t| t.min(space.size()));
    let stack_low = stack_top
        .checked_sub(stack_size)
        .ok_or_else(|| img.map_err("stack larger than the address space".into()))?;
    let exec_stack = img
        .phdrs
        .iter()
        .find(|p| p.p_type == PT_GNU_STACK)
        .is_some_and(|p| p.flags & PF_X != 0);
    let mut sprot = libc::PROT_READ | libc::PROT_WRITE;
    if exec_stack {
        sprot |= libc::PROT_EXEC;
    }
    let sflags = libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_FIXED_NOREPLACE;
    space
        .mmap(stack_low, stack_size, sprot, sflags, -1, 0)
        .map_err(|e| img.map_err(format!("stack: {}", strerror(&e))))?;
    space.set_mmap_window(abi.mmap_min_addr, stack_low.saturating_sub(1 << 20));
    space.set_brk(brk);

    // The interpreter, if any.
    let mut interp_base = None;
    let mut interp_path = None;
    let mut entry = img.entry.wrapping_add(bias);
    if let Some(ip) = img.interp()? {
        let mapper = PathMapper::new(opts.ld_prefix.clone());
        let host = mapper.resolve_in_prefix(&ip);
        let wrap = |e: LoadError| LoadError::Interp {
            path: path.to_path_buf(),
            interp: ip.clone(),
            source: Box::new(e),
        };
        let iimg = parse(&host, abi).map_err(wrap)?;
        let ibias = choose_bias(space, &iimg, None).map_err(wrap)?;
        iimg.map(space, ibias).map_err(wrap)?;
        let (ilo, _) = iimg.span(page);
        interp_base = Some(ilo.wrapping_add(ibias));
        entry = iimg.entry.wrapping_add(ibias);
        interp_path = Some(host);
    }

    let exe_path = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    let execfn = opts
        .execfn
        .clone()
        .unwrap_or_else(|| path.as_os_str().as_bytes().to_vec());
    let info = AuxInfo {
        phdr: img.phdr_addr(bias),
        phent: img.phentsize,
        phnum: img.phdrs.len() as u64,
        base: interp_base.unwrap_or(0),
        flags: opts.at_flags,
        entry: img.entry.wrapping_add(bias),
        uid: opts.uid.into(),
        euid: opts.euid.into(),
        gid: opts.gid.into(),
        egid: opts.egid.into(),
        secure: opts.secure,
        hwcap: opts.hwcap,
        hwcap2: opts.hwcap2,
        clktck: 100,
        execfd: opts.execfd.map(|fd| fd as u64),
        random: random_bytes(opts.random_seed),
        platform: opts
            .platform
            .clone()
            .unwrap_or_else(|| abi.platform.as_bytes().to_vec()),
        execfn,
    };
    let layout = stack::build(space, abi, stack_top, argv, envp, &info)
        .map_err(|_| img.map_err("arguments and environment do not fit on the stack".into()))?;
    // Loading must not leave work for the translation cache.
    space.take_invalidations();
    Ok(LoadedProgram {
        entry,
        stack_pointer: layout.sp,
        load_bias: bias,
        phdr: info.phdr,
        phnum: info.phnum,
        program_entry: info.entry,
        brk,
        interp_base,
        interp_path,
        stack_low,
        stack_top,
        exec_stack,
        auxv: layout.auxv_entries,
        exe_path,
    })
}

impl fmt::Display for ElfArch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}, {}-bit {}",
            describe_machine(self.machine),
            self.bits,
            endian(self.big_endian)
        )
    }
}

#[cfg(test)]
mod tests;
