//! The guest's /etc/ld.so.cache under `-L PREFIX`: a library that only the
//! prefix's cache knows (in /opt/cachelib, no rpath, not a default
//! directory) is found once the cache exists, and not before; the host's
//! x86-64 /etc/ld.so.cache, which the guest's ld.so reads while the prefix
//! has none, never makes it load a host library. The cache itself is made
//! by Debian's arm64 ldconfig running under Mimic, with its paths seen
//! through the prefix. Both backends.
//!
//! Needs aarch64-linux-gnu-gcc and build/cache/sysroot/arm64 (scripts/test
//! installs and fetches both).

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn sysroot() -> PathBuf {
    let p = common::repo_root().join("build/cache/sysroot/arm64");
    assert!(
        p.join("sbin/ldconfig").is_file(),
        "{} has no sbin/ldconfig: run scripts/test (or scripts/fetch-debian)",
        p.display()
    );
    p
}

fn gcc(args: &[&str], dir: &Path) {
    let st = Command::new("aarch64-linux-gnu-gcc")
        .args(args)
        .current_dir(dir)
        .status()
        .unwrap_or_else(|e| {
            panic!("aarch64-linux-gnu-gcc: {e} (run scripts/test, which installs it)")
        });
    assert!(st.success(), "aarch64-linux-gnu-gcc {args:?} failed");
}

fn mimic(backend: &str, prefix: &Path, args: &[&Path], dir: &Path) -> Output {
    Command::new(common::mimic_bin())
        .args(["run", "--backend", backend, "-L"])
        .arg(prefix)
        .args(args)
        .current_dir(dir)
        .env_remove("QEMU_LD_PREFIX")
        .env_remove("MIMIC_LD_PREFIX")
        .env_remove("LD_LIBRARY_PATH")
        .output()
        .expect("run mimic")
}

fn show(o: &Output) -> String {
    format!(
        "status {:?}, stdout {:?}, stderr {:?}",
        o.status,
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

#[test]
fn prefix_ld_so_cache_is_used_and_the_hosts_is_not() {
    let sys = sysroot();
    let dir = common::temp_dir("ldcache");
    let p = dir.join("prefix");
    let libdir = p.join("lib/aarch64-linux-gnu");
    std::fs::create_dir_all(&libdir).unwrap();
    std::fs::create_dir_all(p.join("opt/cachelib")).unwrap();
    std::fs::create_dir_all(p.join("etc")).unwrap();
    for f in ["ld-linux-aarch64.so.1", "libc.so.6"] {
        std::fs::copy(sys.join("lib/aarch64-linux-gnu").join(f), libdir.join(f)).unwrap();
    }
    std::os::unix::fs::symlink(
        "aarch64-linux-gnu/ld-linux-aarch64.so.1",
        p.join("lib/ld-linux-aarch64.so.1"),
    )
    .unwrap();
    std::fs::write(
        dir.join("lib.c"),
        "int mimic_cache_value(int x) { return x * 6; }\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("prog.c"),
        "#include <stdio.h>\nint mimic_cache_value(int);\n\
         int main(void) { printf(\"cache lib says %d\\n\", mimic_cache_value(7)); return 0; }\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("plain.c"),
        "#include <stdio.h>\nint main(void) { puts(\"plain\"); return 0; }\n",
    )
    .unwrap();
    let lib = p.join("opt/cachelib/libmimiccache.so.1");
    gcc(
        &[
            "-shared",
            "-fPIC",
            "-Wl,-soname,libmimiccache.so.1",
            "-o",
            lib.to_str().unwrap(),
            "lib.c",
        ],
        &dir,
    );
    gcc(&["-o", "prog", "prog.c", lib.to_str().unwrap()], &dir);
    gcc(&["-o", "plain", "plain.c"], &dir);
    let prog = dir.join("prog");
    let plain = dir.join("plain");
    let cache = p.join("etc/ld.so.cache");
    let conf = p.join("etc/ld.so.conf");
    std::fs::write(&conf, "/opt/cachelib\n").unwrap();

    for backend in ["interp", "jit"] {
        let _ = std::fs::remove_file(&cache);
        // No cache in the prefix: the guest's ld.so sees the host's x86-64
        // cache, must ignore its entries and use its default directories.
        let o = mimic(backend, &p, &[&plain], &dir);
        assert!(
            o.status.success() && o.stdout == b"plain\n",
            "[{backend}] plain program without a prefix cache: {}",
            show(&o)
        );
        let o = mimic(backend, &p, &[&prog], &dir);
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(
            o.status.code() == Some(127)
                && err.contains("libmimiccache.so.1: cannot open shared object file"),
            "[{backend}] without the prefix's cache the library must not be found: {}",
            show(&o)
        );
        // The arm64 ldconfig under Mimic writes the prefix's cache; -X: no
        // links. Its -C/-f are host paths (outside the prefix).
        let ldconfig = sys.join("sbin/ldconfig");
        let o = mimic(
            backend,
            &p,
            &[
                &ldconfig,
                Path::new("-X"),
                Path::new("-C"),
                &cache,
                Path::new("-f"),
                &conf,
            ],
            &dir,
        );
        assert!(o.status.success(), "[{backend}] ldconfig: {}", show(&o));
        let bytes = std::fs::read(&cache).expect("ldconfig wrote the cache");
        let has = |s: &[u8]| bytes.windows(s.len()).any(|w| w == s);
        assert!(
            bytes.starts_with(b"glibc-ld.so.cache1.1")
                && has(b"/opt/cachelib/libmimiccache.so.1\0")
                && has(b"/lib/aarch64-linux-gnu/libc.so.6\0"),
            "[{backend}] the cache names guest paths: {:?}",
            String::from_utf8_lossy(&bytes)
        );
        let o = mimic(backend, &p, &[&prog], &dir);
        assert!(
            o.status.success() && o.stdout == b"cache lib says 42\n",
            "[{backend}] with the prefix's cache: {}",
            show(&o)
        );
    }
    // MIMIC_LD_PREFIX names the same prefix as -L (the host has no
    // /lib/ld-linux-aarch64.so.1, so without it the program cannot start).
    let o = Command::new(common::mimic_bin())
        .arg("run")
        .arg(&prog)
        .current_dir(&dir)
        .env_remove("QEMU_LD_PREFIX")
        .env("MIMIC_LD_PREFIX", &p)
        .output()
        .expect("run mimic");
    assert!(
        o.status.success() && o.stdout == b"cache lib says 42\n",
        "MIMIC_LD_PREFIX: {}",
        show(&o)
    );
    let _ = std::fs::remove_dir_all(&dir);
}
