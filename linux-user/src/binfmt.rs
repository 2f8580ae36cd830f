//! binfmt_misc: the registration lines that make the kernel run foreign
//! ELF executables through `mimic-<arch>`, and what the kernel tells the
//! interpreter when it does (Linux Documentation/admin-guide/binfmt-misc.rst).
//!
//! A line is `:NAME:M::MAGIC:MASK:INTERPRETER:FLAGS`. The magic is the
//! first 20 bytes of an ELF header (ident, `e_type`, `e_machine`); the mask
//! ignores `EI_OSABI` and the low bit of `e_type`, so executables and PIEs
//! (ET_EXEC 2, ET_DYN 3) of any OS ABI match. Flags (as qemu-binfmt-conf.sh
//! chooses them): `P` preserve argv[0] (`--preserve-argv0`), `O` + `C` pass
//! the binary as an open fd and take credentials from it (`--credential`),
//! `F` open the interpreter at registration (`--persistent`).
//!
//! The kernel starts the interpreter with argv `[interp, path, rest...]`,
//! or `[interp, path, argv0, rest...]` under `P` (then the interpreter's
//! `AT_FLAGS` has `AT_FLAGS_PRESERVE_ARGV0`); under `O` its `AT_EXECFD`
//! holds an fd open on the binary, which may be unreadable by the user.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// One guest as binfmt_misc matches it.
#[derive(Clone, Copy, Debug)]
pub struct BinfmtGuest {
    /// The `mimic-<arch>` suffix (QEMU's names).
    pub name: &'static str,
    /// `EI_CLASS`: 1 = 32-bit, 2 = 64-bit.
    pub class: u8,
    /// `EI_DATA`: 1 = little-endian, 2 = big-endian.
    pub data: u8,
    /// `e_machine`.
    pub machine: u16,
}

/// The guests Mimic runs in user mode (`run::run` accepts them).
pub const GUESTS: &[BinfmtGuest] = &[
    BinfmtGuest {
        name: "aarch64",
        class: 2,
        data: 1,
        machine: 183,
    },
    BinfmtGuest {
        name: "arm",
        class: 1,
        data: 1,
        machine: 40,
    },
];

/// `AT_FLAGS` bit: binfmt_misc preserved argv[0] (the `P` flag).
pub const AT_FLAGS_PRESERVE_ARGV0: u64 = 1;

impl BinfmtGuest {
    /// The 20 bytes binfmt_misc compares.
    pub fn magic(&self) -> [u8; 20] {
        let mut m = [0u8; 20];
        m[..4].copy_from_slice(b"\x7fELF");
        m[4] = self.class;
        m[5] = self.data;
        m[6] = 1; // EV_CURRENT
        let (ty, mach) = if self.data == 2 {
            (2u16.to_be_bytes(), self.machine.to_be_bytes())
        } else {
            (2u16.to_le_bytes(), self.machine.to_le_bytes())
        };
        m[16..18].copy_from_slice(&ty);
        m[18..20].copy_from_slice(&mach);
        m
    }

    /// Which bits of `magic` must match: all but `EI_OSABI` and the bit
    /// that tells ET_EXEC from ET_DYN.
    pub fn mask(&self) -> [u8; 20] {
        let mut m = [0xffu8; 20];
        m[7] = 0;
        if self.data == 2 {
            m[17] = 0xfe;
        } else {
            m[16] = 0xfe;
        }
        m
    }
}

/// The flag choices of `mimic binfmt` (qemu-binfmt-conf.sh's options).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct BinfmtFlags {
    /// `--credential`: `OC`.
    pub credential: bool,
    /// `--persistent`: `F`.
    pub persistent: bool,
    /// `--preserve-argv0`: `P`.
    pub preserve_argv0: bool,
}

impl BinfmtFlags {
    pub fn letters(&self) -> String {
        let mut f = String::new();
        if self.preserve_argv0 {
            f.push('P');
        }
        if self.credential {
            f.push_str("OC");
        }
        if self.persistent {
            f.push('F');
        }
        f
    }
}

fn escaped(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() * 4);
    for b in bytes {
        let _ = write!(s, "\\x{b:02x}");
    }
    s
}

/// The registration name of a guest (`/proc/sys/fs/binfmt_misc/NAME`).
pub fn entry_name(g: &BinfmtGuest) -> String {
    format!("mimic-{}", g.name)
}

/// The interpreter path registered for `g`: `DIR/mimic-<arch>`.
pub fn interpreter(dir: &Path, g: &BinfmtGuest) -> PathBuf {
    dir.join(format!("mimic-{}", g.name))
}

/// The registration line for `g` with interpreter `interp`.
pub fn line(g: &BinfmtGuest, interp: &Path, flags: BinfmtFlags) -> String {
    format!(
        ":{}:M::{}:{}:{}:{}",
        entry_name(g),
        escaped(&g.magic()),
        escaped(&g.mask()),
        interp.display(),
        flags.letters()
    )
}

/// How the kernel started this process, from its own auxv: `P` (argv[0]
/// preserved after the path) and `O` (the binary as an open fd).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Invocation {
    pub preserve_argv0: bool,
    pub execfd: Option<i32>,
}

impl Invocation {
    /// Reads `AT_FLAGS` and `AT_EXECFD` of the running process.
    pub fn current() -> Invocation {
        // SAFETY: getauxval has no preconditions; 0 means absent.
        let (flags, fd) = unsafe {
            (
                libc::getauxval(libc::AT_FLAGS),
                libc::getauxval(libc::AT_EXECFD),
            )
        };
        Invocation {
            preserve_argv0: flags & AT_FLAGS_PRESERVE_ARGV0 != 0,
            // fd 0 is stdin: the kernel never hands the binary over as 0
            // while stdin is open, and "absent" reads as 0.
            execfd: (fd != 0).then_some(fd as i32),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aarch64_line_matches_qemu_magic_and_mask() {
        let g = GUESTS.iter().find(|g| g.name == "aarch64").unwrap();
        let magic = "\\x7f\\x45\\x4c\\x46\\x02\\x01\\x01\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x02\\x00\\xb7\\x00";
        let mask = "\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\x00\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xfe\\xff\\xff\\xff";
        let flags = BinfmtFlags {
            preserve_argv0: true,
            credential: true,
            persistent: false,
        };
        assert_eq!(
            line(g, Path::new("/usr/bin/mimic-aarch64"), flags),
            format!(":mimic-aarch64:M::{magic}:{mask}:/usr/bin/mimic-aarch64:POC")
        );
    }

    #[test]
    fn arm_line_matches_qemu_magic_and_mask() {
        let g = GUESTS.iter().find(|g| g.name == "arm").unwrap();
        let magic = "\\x7f\\x45\\x4c\\x46\\x01\\x01\\x01\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x02\\x00\\x28\\x00";
        let mask = "\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\x00\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xfe\\xff\\xff\\xff";
        assert_eq!(
            line(g, Path::new("/usr/bin/mimic-arm"), BinfmtFlags::default()),
            format!(":mimic-arm:M::{magic}:{mask}:/usr/bin/mimic-arm:")
        );
    }

    #[test]
    fn big_endian_guests_mask_the_big_endian_type_byte() {
        let g = BinfmtGuest {
            name: "armeb",
            class: 1,
            data: 2,
            machine: 40,
        };
        assert_eq!(&g.magic()[16..20], &[0, 2, 0, 40]);
        assert_eq!(&g.mask()[16..20], &[0xff, 0xfe, 0xff, 0xff]);
        assert_eq!(
            BinfmtFlags {
                persistent: true,
                ..Default::default()
            }
            .letters(),
            "F"
        );
    }
}
