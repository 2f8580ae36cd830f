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

/// What a test booting Debian's kernel needs from build/cache: the kernel,
/// its modules directory (when asked for) and busybox-static.
pub struct DebianGuest {
    pub kernel: PathBuf,
    /// PKG/lib/modules/VERSION/kernel (None unless asked for).
    pub modules: Option<PathBuf>,
    pub busybox: Vec<u8>,
}

/// Finds the kernel (and its modules when `modules`) and busybox in
/// build/cache; prints why and returns None when something is missing
/// (scripts/fetch-debian fills the cache), so the test skips.
pub fn debian_guest(modules: bool) -> Option<DebianGuest> {
    let root = super::repo_root();
    let Some(kernel) = find_kernel(&root) else {
        eprintln!("skipped: no linux-image-*-arm64-unsigned in build/cache (scripts/fetch-debian)");
        return None;
    };
    let mods = if modules {
        let Some(m) = modules_dir(&kernel) else {
            eprintln!("skipped: no modules next to {}", kernel.display());
            return None;
        };
        Some(m)
    } else {
        None
    };
    let bb = root.join("build/cache/root/arm64/busybox-static/bin/busybox");
    let Ok(busybox) = std::fs::read(&bb) else {
        eprintln!("skipped: {} missing (scripts/fetch-debian)", bb.display());
        return None;
    };
    Some(DebianGuest {
        kernel,
        modules: mods,
        busybox,
    })
}

/// Whether qemu-img runs; prints the skip message when it does not.
pub fn have_qemu_img() -> bool {
    let ok = std::process::Command::new("qemu-img")
        .arg("--version")
        .output()
        .is_ok();
    if !ok {
        eprintln!("skipped: qemu-img not installed");
    }
    ok
}

/// The backends to boot with (`MIMIC_TEST_BACKENDS`, default interp,jit).
pub fn backends() -> Vec<String> {
    std::env::var("MIMIC_TEST_BACKENDS")
        .unwrap_or_else(|_| "interp,jit".into())
        .split(',')
        .map(str::to_string)
        .collect()
}

/// Builds tests/guest/system-linux/NAME.c statically with the cross
/// compiler (`CROSS_CC`) into `dir`; returns the program.
pub fn cross_build(dir: &Path, name: &str) -> Vec<u8> {
    let cc = std::env::var("CROSS_CC").unwrap_or_else(|_| "aarch64-linux-gnu-gcc".into());
    let out = dir.join(name);
    let src = super::repo_root().join(format!("tests/guest/system-linux/{name}.c"));
    let built = std::process::Command::new(&cc)
        .args(["-static", "-O2", "-o"])
        .arg(&out)
        .arg(&src)
        .status();
    if !built.is_ok_and(|s| s.success()) {
        panic!("{cc} could not build {}", src.display());
    }
    std::fs::read(&out).unwrap_or_else(|e| panic!("read {}: {e}", out.display()))
}

impl DebianGuest {
    /// Writes DIR/initrd.cpio: busybox, `init`, the kernel `modules`
    /// (paths under the modules directory) as /lib/NAME.ko, and `extra`
    /// files; returns its path.
    pub fn initrd(
        &self,
        dir: &Path,
        init: &str,
        modules: &[&str],
        extra: Vec<(String, Vec<u8>)>,
    ) -> PathBuf {
        let mut files = extra;
        for m in modules {
            let d = self
                .modules
                .as_ref()
                .expect("debian_guest(true) finds the modules");
            let path = d.join(m);
            let Ok(data) = std::fs::read(&path) else {
                panic!("{} missing: the kernel package has no {m}", path.display());
            };
            let name = Path::new(m)
                .file_name()
                .unwrap_or_default()
                .to_string_lossy()
                .into_owned();
            files.push((format!("lib/{name}"), data));
        }
        let files: Vec<(&str, Vec<u8>)> =
            files.iter().map(|(n, d)| (n.as_str(), d.clone())).collect();
        let initrd = dir.join("initrd.cpio");
        std::fs::write(&initrd, initramfs(&self.busybox, init, &files)).expect("write initrd");
        initrd
    }
}
