//! Booting Debian's arm64 kernel in tests: the cached kernel and its
//! modules, and initramfs images (cpio "newc") built around busybox-static.

use std::path::{Path, PathBuf};

/// One cpio "newc" entry.
pub fn cpio_entry(
    out: &mut Vec<u8>,
    ino: u32,
    name: &str,
    mode: u32,
    rdev: (u32, u32),
    data: &[u8],
) {
    let namesize = name.len() + 1;
    let fields = [
        ino,
        mode,
        0,
        0,
        1,
        0,
        data.len() as u32,
        0,
        0,
        rdev.0,
        rdev.1,
        namesize as u32,
        0,
    ];
    out.extend_from_slice(b"070701");
    for f in fields {
        out.extend_from_slice(format!("{f:08x}").as_bytes());
    }
    out.extend_from_slice(name.as_bytes());
    out.push(0);
    while !out.len().is_multiple_of(4) {
        out.push(0);
    }
    out.extend_from_slice(data);
    while !out.len().is_multiple_of(4) {
        out.push(0);
    }
}

const S_IFDIR: u32 = 0o040000;
const S_IFREG: u32 = 0o100000;
const S_IFLNK: u32 = 0o120000;
const S_IFCHR: u32 = 0o020000;

/// An initramfs: busybox as /bin/busybox and /bin/sh, `init` as /init,
/// /dev/console, and `extra` files (mode 0755) in directories of their own.
pub fn initramfs(busybox: &[u8], init: &str, extra: &[(&str, Vec<u8>)]) -> Vec<u8> {
    let mut o = Vec::new();
    let mut ino = 1;
    let mut add = |o: &mut Vec<u8>, name: &str, mode: u32, rdev: (u32, u32), data: &[u8]| {
        cpio_entry(o, ino, name, mode, rdev, data);
        ino += 1;
    };
    for d in ["bin", "dev", "proc", "sys", "tmp"] {
        add(&mut o, d, S_IFDIR | 0o755, (0, 0), b"");
    }
    add(&mut o, "dev/console", S_IFCHR | 0o600, (5, 1), b"");
    add(&mut o, "bin/busybox", S_IFREG | 0o755, (0, 0), busybox);
    add(&mut o, "bin/sh", S_IFLNK | 0o777, (0, 0), b"busybox");
    add(&mut o, "init", S_IFREG | 0o755, (0, 0), init.as_bytes());
    let mut dirs: Vec<String> = Vec::new();
    for (name, data) in extra {
        let parts: Vec<&str> = name.split('/').collect();
        for i in 1..parts.len() {
            let d = parts[..i].join("/");
            if !dirs.contains(&d) && !["bin", "dev", "proc", "sys", "tmp"].contains(&d.as_str()) {
                add(&mut o, &d, S_IFDIR | 0o755, (0, 0), b"");
                dirs.push(d);
            }
        }
        add(&mut o, name, S_IFREG | 0o755, (0, 0), data);
    }
    cpio_entry(&mut o, 0, "TRAILER!!!", 0, (0, 0), b"");
    o
}

/// The newest cached Debian arm64 kernel (vmlinuz) in build/cache.
pub fn find_kernel(root: &Path) -> Option<PathBuf> {
    let dir = root.join("build/cache/root/arm64");
    let mut found: Vec<PathBuf> = std::fs::read_dir(&dir)
        .ok()?
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            let n = p
                .file_name()
                .unwrap_or_default()
                .to_string_lossy()
                .into_owned();
            n.starts_with("linux-image-") && n.ends_with("-arm64-unsigned")
        })
        .collect();
    found.sort();
    let pkg = found.pop()?;
    std::fs::read_dir(pkg.join("boot"))
        .ok()?
        .flatten()
        .map(|e| e.path())
        .find(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("vmlinuz-"))
        })
}

/// The kernel modules directory of `vmlinuz` (PKG/lib/modules/VERSION/kernel).
pub fn modules_dir(vmlinuz: &Path) -> Option<PathBuf> {
    let name = vmlinuz.file_name()?.to_string_lossy().into_owned();
    let version = name.strip_prefix("vmlinuz-")?;
    let pkg = vmlinuz.parent()?.parent()?;
    let d = pkg.join("lib/modules").join(version).join("kernel");
    d.is_dir().then_some(d)
}
