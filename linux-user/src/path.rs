//! Guest path names to host path names.
//!
//! With `-L PREFIX` (QEMU's `QEMU_LD_PREFIX`), an absolute guest path is
//! looked up under the prefix first and on the host second: a foreign
//! program finds its own `/lib/ld-linux-aarch64.so.1` and `/etc/...` from
//! the sysroot, and host files (`/tmp`, `/dev`, `/proc`, the user's files)
//! that the sysroot lacks. Relative paths are never rewritten (the cwd is
//! the host's). Paths that create things (`O_CREAT`, `mkdir`, `rename`
//! targets) use the same rule, so a new file lands on the host unless its
//! directory exists only in the prefix.
//!
//! The loader resolves the interpreter and its symlinks *inside* the prefix
//! with [`PathMapper::resolve_in_prefix`]: extracted Debian roots hold
//! absolute symlinks such as `lib64/ld64.so.2 -> /lib/.../ld64.so.2`.

use crate::errno::Errno;
use std::ffi::{OsStr, OsString};
use std::os::unix::ffi::OsStrExt;
use std::path::{Component, Path, PathBuf};

/// Maximum number of symlinks followed in one lookup (Linux's MAXSYMLINKS).
const MAX_LINKS: usize = 40;

/// Maps guest paths to host paths.
#[derive(Clone, Debug, Default)]
pub struct PathMapper {
    prefix: Option<PathBuf>,
}

/// Directories never taken from the prefix: they describe the running
/// (host) system and the emulator fakes what needs faking.
const HOST_ONLY: &[&str] = &["/proc", "/dev", "/sys"];

impl PathMapper {
    /// A mapper with an optional `-L` prefix (an empty or `/` prefix means
    /// none).
    pub fn new(prefix: Option<PathBuf>) -> PathMapper {
        let prefix = prefix.filter(|p| !p.as_os_str().is_empty() && p != Path::new("/"));
        PathMapper { prefix }
    }

    /// The `-L` prefix, if any.
    pub fn prefix(&self) -> Option<&Path> {
        self.prefix.as_deref()
    }

    /// The host path for guest path `guest` (raw bytes, no NUL), following
    /// a final symlink. See [`PathMapper::lookup`].
    pub fn map(&self, guest: &[u8]) -> Result<PathBuf, Errno> {
        self.lookup(guest, true)
    }

    /// The host path for guest path `guest` as a path-taking syscall sees
    /// it; `follow`: whether the syscall follows a final symlink (`open`,
    /// `stat`, `execve`) or acts on the link itself (`lstat`, `readlink`,
    /// `unlink`, `AT_SYMLINK_NOFOLLOW`, `O_NOFOLLOW`, ...).
    ///
    /// With a prefix, an absolute path is walked component by component
    /// inside it; symlinks met on the way are resolved there too, absolute
    /// ones against the prefix (as if it were `/`), `..` stops at its root,
    /// and more than 40 links is `ELOOP`, the kernel's limit. A link into
    /// `/proc`, `/dev` or `/sys` continues on the host. A path the prefix
    /// lacks is the host's, except that a new name in a directory only the
    /// prefix has, or reached through one of the prefix's links, stays in
    /// the prefix.
    pub fn lookup(&self, guest: &[u8], follow: bool) -> Result<PathBuf, Errno> {
        let p = Path::new(OsStr::from_bytes(guest));
        let Some(prefix) = &self.prefix else {
            return Ok(p.to_path_buf());
        };
        if !p.is_absolute() || host_only(p) {
            return Ok(p.to_path_buf());
        }
        // A trailing slash makes the kernel follow a final link.
        let follow = follow || guest.ends_with(b"/");
        match walk(prefix, p, follow) {
            Walk::Found(h) => Ok(h),
            Walk::Loop => Err(Errno::ELOOP),
            Walk::Missing { at, links, last } => {
                if links > 0 {
                    return Ok(at);
                }
                let dir_in_prefix = at.parent().is_some_and(|d| d.is_dir());
                let dir_on_host = p.parent().is_some_and(|d| d.is_dir());
                Ok(if last && dir_in_prefix && !dir_on_host {
                    at
                } else {
                    p.to_path_buf()
                })
            }
        }
    }

    /// Resolve `guest` (absolute) inside the prefix, following symlinks
    /// (absolute ones relative to the prefix), and fall back to the host
    /// path if it does not exist there. Used for the ELF interpreter.
    pub fn resolve_in_prefix(&self, guest: &Path) -> PathBuf {
        let Some(prefix) = &self.prefix else {
            return guest.to_path_buf();
        };
        match walk(prefix, guest, true) {
            Walk::Found(p) => p,
            _ => guest.to_path_buf(),
        }
    }
}

fn host_only(p: &Path) -> bool {
    HOST_ONLY.iter().any(|h| p.starts_with(h))
}

/// Result of walking a path inside the prefix.
enum Walk {
    /// Every component exists (a final link is resolved when following).
    Found(PathBuf),
    /// Component missing: `at` is where it (and the rest) would be, after
    /// `links` symlinks were followed; `last`: it is the final component.
    Missing {
        at: PathBuf,
        links: usize,
        last: bool,
    },
    /// More than `MAX_LINKS` symlinks.
    Loop,
}

/// Walk `path` component by component inside `root`, treating `root` as `/`
/// for absolute symlinks and `..`; a final symlink is followed only when
/// `follow`.
fn walk(root: &Path, path: &Path, follow: bool) -> Walk {
    fn push_path(rest: &mut Vec<OsString>, p: &Path) {
        let comps: Vec<_> = p
            .components()
            .filter_map(|c| match c {
                Component::Normal(s) => Some(s.to_os_string()),
                Component::ParentDir => Some("..".into()),
                _ => None,
            })
            .collect();
        rest.extend(comps.into_iter().rev());
    }
    let mut done: Vec<OsString> = Vec::new();
    let mut links = 0;
    // Components still to walk, in reverse (so pop() yields the next one).
    let mut rest: Vec<OsString> = Vec::new();
    push_path(&mut rest, path);
    while let Some(c) = rest.pop() {
        if c == ".." {
            done.pop();
            continue;
        }
        let mut here = root.to_path_buf();
        here.extend(&done);
        here.push(&c);
        let Ok(meta) = here.symlink_metadata() else {
            let last = rest.is_empty();
            here.extend(rest.iter().rev());
            return Walk::Missing {
                at: here,
                links,
                last,
            };
        };
        if meta.file_type().is_symlink() && (follow || !rest.is_empty()) {
            links += 1;
            if links > MAX_LINKS {
                return Walk::Loop;
            }
            let Ok(target) = std::fs::read_link(&here) else {
                return Walk::Missing {
                    at: here,
                    links,
                    last: false,
                };
            };
            if target.is_absolute() {
                if host_only(&target) {
                    let mut h = target;
                    h.extend(rest.iter().rev());
                    return Walk::Found(h);
                }
                done.clear();
            }
            push_path(&mut rest, &target);
        } else {
            done.push(c);
        }
    }
    let mut out = root.to_path_buf();
    out.extend(&done);
    Walk::Found(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;
    use std::os::unix::fs::symlink;

    fn root(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("mimic-path-{}-{name}", std::process::id()));
        let _ = fs::remove_dir_all(&d);
        fs::create_dir_all(d.join("lib/aarch64-linux-gnu")).unwrap();
        fs::create_dir_all(d.join("etc")).unwrap();
        fs::create_dir_all(d.join("onlyhere")).unwrap();
        fs::write(d.join("lib/aarch64-linux-gnu/ld-linux-aarch64.so.1"), b"ld").unwrap();
        fs::write(d.join("etc/passwd"), b"guest").unwrap();
        d
    }

    #[test]
    fn prefix_first_then_host() {
        let r = root("map");
        let m = PathMapper::new(Some(r.clone()));
        assert_eq!(m.map(b"/etc/passwd").unwrap(), r.join("etc/passwd"));
        assert_eq!(
            m.map(b"/etc/hostname-not-in-prefix").unwrap(),
            PathBuf::from("/etc/hostname-not-in-prefix")
        );
        assert_eq!(m.map(b"/tmp/x").unwrap(), PathBuf::from("/tmp/x"));
        assert_eq!(
            m.map(b"relative/etc/passwd").unwrap(),
            PathBuf::from("relative/etc/passwd")
        );
        assert_eq!(
            m.map(b"/proc/self/maps").unwrap(),
            PathBuf::from("/proc/self/maps")
        );
        // Creating in a directory only the prefix has goes to the prefix.
        assert_eq!(m.map(b"/onlyhere/new").unwrap(), r.join("onlyhere/new"));
        // No prefix: identity.
        let none = PathMapper::new(None);
        assert_eq!(
            none.map(b"/etc/passwd").unwrap(),
            PathBuf::from("/etc/passwd")
        );
        assert!(PathMapper::new(Some("/".into())).prefix().is_none());
        fs::remove_dir_all(&r).unwrap();
    }

    #[test]
    fn absolute_symlinks_resolve_inside_the_prefix() {
        let r = root("links");
        fs::create_dir_all(r.join("lib64")).unwrap();
        symlink(
            "/lib/aarch64-linux-gnu/ld-linux-aarch64.so.1",
            r.join("lib/ld-linux-aarch64.so.1"),
        )
        .unwrap();
        symlink("../lib", r.join("lib64/up")).unwrap();
        let m = PathMapper::new(Some(r.clone()));
        let want = r.join("lib/aarch64-linux-gnu/ld-linux-aarch64.so.1");
        assert_eq!(
            m.resolve_in_prefix(Path::new("/lib/ld-linux-aarch64.so.1")),
            want
        );
        assert_eq!(
            m.resolve_in_prefix(Path::new("/lib64/up/ld-linux-aarch64.so.1")),
            want
        );
        // `..` cannot climb out of the root.
        assert_eq!(
            m.resolve_in_prefix(Path::new("/../../lib/ld-linux-aarch64.so.1")),
            want
        );
        // Missing inside the prefix: the host path.
        assert_eq!(
            m.resolve_in_prefix(Path::new("/lib/nope.so")),
            PathBuf::from("/lib/nope.so")
        );
        // A symlink loop gives up instead of spinning.
        symlink("/loop", r.join("loop")).unwrap();
        assert_eq!(
            m.resolve_in_prefix(Path::new("/loop")),
            PathBuf::from("/loop")
        );
        fs::remove_dir_all(&r).unwrap();
    }

    #[test]
    fn lookup_follows_the_final_link_only_when_asked() {
        let r = root("lookup");
        symlink("/lib", r.join("lib64")).unwrap();
        symlink("/etc/passwd", r.join("lib/pw")).unwrap();
        symlink("/proc/self/mounts", r.join("etc/mtab")).unwrap();
        symlink("/a", r.join("b")).unwrap();
        symlink("/b", r.join("a")).unwrap();
        let m = PathMapper::new(Some(r.clone()));
        // Directory links are followed either way; the final one only when
        // following.
        assert_eq!(m.lookup(b"/lib64/pw", true).unwrap(), r.join("etc/passwd"));
        assert_eq!(m.lookup(b"/lib64/pw", false).unwrap(), r.join("lib/pw"));
        assert_eq!(m.lookup(b"/lib64", false).unwrap(), r.join("lib64"));
        assert_eq!(m.lookup(b"/lib64/", false).unwrap(), r.join("lib"));
        // Links into /proc leave the prefix.
        assert_eq!(
            m.lookup(b"/etc/mtab", true).unwrap(),
            PathBuf::from("/proc/self/mounts")
        );
        // A loop is ELOOP, with or without following (when it is not last).
        assert_eq!(m.lookup(b"/a", true), Err(Errno::ELOOP));
        assert_eq!(m.lookup(b"/a", false).unwrap(), r.join("a"));
        assert_eq!(m.lookup(b"/a/x", false), Err(Errno::ELOOP));
        // A new name behind a prefix link stays in the prefix.
        assert_eq!(m.lookup(b"/lib64/new", true).unwrap(), r.join("lib/new"));
        fs::remove_dir_all(&r).unwrap();
    }
}
