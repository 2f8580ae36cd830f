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

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::{Component, Path, PathBuf};

/// Maximum number of symlinks followed by [`PathMapper::resolve_in_prefix`].
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

    /// The host path for guest path `guest` (raw bytes, no NUL).
    pub fn map(&self, guest: &[u8]) -> PathBuf {
        let p = Path::new(OsStr::from_bytes(guest));
        let Some(prefix) = &self.prefix else {
            return p.to_path_buf();
        };
        if !p.is_absolute() || HOST_ONLY.iter().any(|h| p.starts_with(h)) {
            return p.to_path_buf();
        }
        let under = join_under(prefix, p);
        // The prefixed path wins if it exists (without following a final
        // symlink: a dangling link in the prefix is still the prefix's), or
        // if its parent directory exists there but not on the host.
        if under.symlink_metadata().is_ok() {
            return under;
        }
        let parent_in_prefix = under.parent().is_some_and(|d| d.is_dir());
        let parent_on_host = p.parent().is_some_and(|d| d.is_dir());
        if parent_in_prefix && !parent_on_host {
            under
        } else {
            p.to_path_buf()
        }
    }

    /// Resolve `guest` (absolute) inside the prefix, following symlinks
    /// (absolute ones relative to the prefix), and fall back to the host
    /// path if it does not exist there. Used for the ELF interpreter.
    pub fn resolve_in_prefix(&self, guest: &Path) -> PathBuf {
        let Some(prefix) = &self.prefix else {
            return guest.to_path_buf();
        };
        match resolve_under(prefix, guest) {
            Some(p) => p,
            None => guest.to_path_buf(),
        }
    }
}

/// `prefix` + `p` with `p`'s root dropped.
fn join_under(prefix: &Path, p: &Path) -> PathBuf {
    let rel: PathBuf = p
        .components()
        .filter(|c| !matches!(c, Component::RootDir | Component::Prefix(_)))
        .collect();
    prefix.join(rel)
}

/// Walk `path` component by component inside `root`, treating `root` as `/`
/// for absolute symlinks and `..`. `None` if some component is missing.
fn resolve_under(root: &Path, path: &Path) -> Option<PathBuf> {
    let mut done: Vec<std::ffi::OsString> = Vec::new();
    let mut links = 0;
    // Components still to walk, in reverse (so pop() yields the next one).
    let mut rest: Vec<std::ffi::OsString> = Vec::new();
    let push_path = |rest: &mut Vec<std::ffi::OsString>, p: &Path| {
        let comps: Vec<_> = p
            .components()
            .filter_map(|c| match c {
                Component::Normal(s) => Some(s.to_os_string()),
                Component::ParentDir => Some("..".into()),
                _ => None,
            })
            .collect();
        rest.extend(comps.into_iter().rev());
    };
    push_path(&mut rest, path);
    while let Some(c) = rest.pop() {
        if c == ".." {
            done.pop();
            continue;
        }
        let mut here = root.to_path_buf();
        here.extend(&done);
        here.push(&c);
        let meta = here.symlink_metadata().ok()?;
        if meta.file_type().is_symlink() {
            links += 1;
            if links > MAX_LINKS {
                return None;
            }
            let target = std::fs::read_link(&here).ok()?;
            if target.is_absolute() {
                done.clear();
            }
            push_path(&mut rest, &target);
        } else {
            done.push(c);
        }
    }
    let mut out = root.to_path_buf();
    out.extend(&done);
    Some(out)
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
        assert_eq!(m.map(b"/etc/passwd"), r.join("etc/passwd"));
        assert_eq!(
            m.map(b"/etc/hostname-not-in-prefix"),
            PathBuf::from("/etc/hostname-not-in-prefix")
        );
        assert_eq!(m.map(b"/tmp/x"), PathBuf::from("/tmp/x"));
        assert_eq!(
            m.map(b"relative/etc/passwd"),
            PathBuf::from("relative/etc/passwd")
        );
        assert_eq!(m.map(b"/proc/self/maps"), PathBuf::from("/proc/self/maps"));
        // Creating in a directory only the prefix has goes to the prefix.
        assert_eq!(m.map(b"/onlyhere/new"), r.join("onlyhere/new"));
        // No prefix: identity.
        let none = PathMapper::new(None);
        assert_eq!(none.map(b"/etc/passwd"), PathBuf::from("/etc/passwd"));
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
}
