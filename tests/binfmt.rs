//! binfmt_misc for real: in a new user and mount namespace (`unshare --user
//! --map-root-user --mount`; kernel 6.7+ gives it a private binfmt_misc
//! instance), `mimic binfmt --register` registers Mimic and foreign
//! programs are executed directly: a static one, a dynamic one, a `#!`
//! script whose interpreter is foreign, a foreign program that execs
//! another, argv[0] preserved under the P flag and replaced without it, and
//! the O/C flags (an executable the namespace's root cannot read runs only
//! when the kernel hands it over as AT_EXECFD). Both backends
//! (MIMIC_BACKEND). Plus `--print` and `--systemd` output.
//!
//! Where the kernel or sandbox refuses the namespace or the mount, the test
//! says so and is skipped (not passed).

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

fn cross(dir: &Path, name: &str, static_: bool) -> PathBuf {
    cross_with("aarch64-linux-gnu-gcc", dir, name, static_)
}

fn cross_with(cc: &str, dir: &Path, name: &str, static_: bool) -> PathBuf {
    let src = common::repo_root().join("tests/guest/binfmt/argv_exec.c");
    let out = dir.join(name);
    let mut c = Command::new(cc);
    c.arg("-O2");
    if static_ {
        c.arg("-static");
    }
    let st = c
        .arg("-o")
        .arg(&out)
        .arg(&src)
        .status()
        .unwrap_or_else(|e| panic!("{cc}: {e} (scripts/test installs it)"));
    assert!(st.success(), "compiling {name} failed");
    out
}

/// Runs `script` under bash in a fresh user + mount namespace; `None` when
/// the namespace or the binfmt_misc mount is refused here (with the reason).
fn in_namespace(script: &str, env: &[(&str, String)]) -> Result<String, String> {
    let mut c = Command::new("unshare");
    c.args(["--user", "--map-root-user", "--mount", "bash", "-c", script]);
    for (k, v) in env {
        c.env(k, v);
    }
    let out = c.output().map_err(|e| format!("unshare: {e}"))?;
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    if out.status.code() == Some(77) {
        return Err(stderr.trim().to_string());
    }
    if !out.status.success() && stdout.is_empty() {
        return Err(format!(
            "unshare failed ({}): {}",
            out.status,
            stderr.trim()
        ));
    }
    assert!(
        out.status.success(),
        "namespace script failed: {}\nstdout:\n{stdout}\nstderr:\n{stderr}",
        out.status
    );
    Ok(stdout)
}

const SCRIPT: &str = r#"
set -e
d=$(mktemp -d)
if ! mount -t binfmt_misc none "$d" 2>/dev/null; then
    echo "this kernel gives a user namespace no binfmt_misc instance (needs 6.7+)" >&2
    exit 77
fi
"$MIMIC" binfmt --register --mount "$d" --path "$BIN" $FLAGS
echo "flags: $(sed -n 's/^flags: //p' "$d/mimic-aarch64")"
echo "--- static"
"$T/static" a b
echo "--- dynamic"
"$T/dynamic" x
echo "--- script"
"$T/script" s1
echo "--- exec"
"$T/static" exec "$T/dynamic" d1
echo "--- argv0"
(exec -a custom0 "$T/static" z)
if [ -n "$SECRET" ]; then
    echo "--- unreadable"
    "$T/secret" q || echo "exec failed"
fi
if [ -n "$BUSYBOX" ]; then
    echo "--- busybox script"
    "$T/bb-script"
fi
if [ -n "$ARM" ]; then
    echo "--- arm"
    "$T/arm" r1
    echo "--- aarch64 execs arm"
    "$T/static" exec "$T/arm" e1
fi
"#;

fn expected(
    t: &Path,
    flags: &str,
    preserve: bool,
    secret: bool,
    busybox: bool,
    arm: bool,
) -> String {
    let t = t.display();
    let argv0 = if preserve {
        "custom0".to_string()
    } else {
        format!("{t}/static")
    };
    let mut s = format!(
        "flags: {flags}\n\
         --- static\nargc=3\nargv[0]={t}/static\nargv[1]=a\nargv[2]=b\n\
         --- dynamic\nargc=2\nargv[0]={t}/dynamic\nargv[1]=x\n\
         --- script\nargc=3\nargv[0]={t}/static\nargv[1]={t}/script\nargv[2]=s1\n\
         --- exec\nargc=2\nargv[0]={t}/dynamic\nargv[1]=d1\n\
         --- argv0\nargc=2\nargv[0]={argv0}\nargv[1]=z\n"
    );
    if secret {
        // Executable but unreadable by the namespace's root (its owner is
        // not mapped): only the O flag's AT_EXECFD lets Mimic load it.
        if flags.contains('O') {
            s.push_str(&format!(
                "--- unreadable\nargc=2\nargv[0]={t}/secret\nargv[1]=q\n"
            ));
        } else {
            s.push_str("--- unreadable\nexec failed\n");
        }
    }
    if busybox {
        s.push_str("--- busybox script\nforeign shell ok 3\n");
    }
    if arm {
        s.push_str(&format!(
            "--- arm\nargc=2\nargv[0]={t}/arm\nargv[1]=r1\n\
             --- aarch64 execs arm\nargc=2\nargv[0]={t}/arm\nargv[1]=e1\n"
        ));
    }
    s
}

#[test]
fn foreign_programs_run_directly_through_binfmt_misc() {
    let have = |t: &str| Command::new(t).arg("--version").output().is_ok();
    if !have("unshare") || !have("aarch64-linux-gnu-gcc") {
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            panic!("unshare or aarch64-linux-gnu-gcc missing under CI");
        }
        eprintln!("SKIPPED: unshare or aarch64-linux-gnu-gcc is missing");
        return;
    }
    let t = common::temp_dir("binfmt");
    let bin = t.join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    cross(&t, "static", true);
    cross(&t, "dynamic", false);
    // The 32-bit Arm guest registers too (mimic-arm).
    let arm = have("arm-linux-gnueabihf-gcc");
    if arm {
        cross_with("arm-linux-gnueabihf-gcc", &t, "arm", true);
    } else {
        eprintln!("note: arm-linux-gnueabihf-gcc missing; the arm cases are left out");
    }
    std::fs::write(t.join("script"), format!("#!{}/static\n", t.display())).unwrap();
    let busybox = common::repo_root().join("build/cache/root/arm64/busybox-static/bin/busybox");
    let busybox = busybox.exists();
    if busybox {
        std::fs::write(
            t.join("bb-script"),
            format!(
                "#!{}/build/cache/root/arm64/busybox-static/bin/busybox sh\necho foreign shell ok $((1 + 2))\n",
                common::repo_root().display()
            ),
        )
        .unwrap();
    } else {
        eprintln!(
            "note: arm64 busybox not fetched (scripts/fetch-debian); its script case is left out"
        );
    }
    // A copy owned by a user the namespace does not map, mode 0711.
    let secret = t.join("secret");
    std::fs::copy(t.join("static"), &secret).unwrap();
    let secret = Command::new("chown")
        .arg("1234:1234")
        .arg(&secret)
        .status()
        .is_ok_and(|s| s.success())
        && Command::new("chmod")
            .arg("0711")
            .arg(&secret)
            .status()
            .is_ok_and(|s| s.success());
    if !secret {
        eprintln!(
            "note: cannot chown a file here (not root); the unreadable-binary case is left out"
        );
    }
    for f in ["script", "bb-script"] {
        let p = t.join(f);
        if p.exists() {
            Command::new("chmod").arg("+x").arg(&p).status().unwrap();
        }
    }
    let cases = [
        ("--preserve-argv0 yes", "P", true),
        ("--credential yes", "OC", false),
    ];
    for backend in ["interp", "jit"] {
        for (flags, letters, preserve) in cases {
            let env = [
                ("MIMIC", common::mimic_bin().display().to_string()),
                ("BIN", bin.display().to_string()),
                ("T", t.display().to_string()),
                ("FLAGS", flags.to_string()),
                ("BUSYBOX", if busybox { "1".into() } else { String::new() }),
                ("SECRET", if secret { "1".into() } else { String::new() }),
                ("ARM", if arm { "1".into() } else { String::new() }),
                ("QEMU_LD_PREFIX", "/usr/aarch64-linux-gnu".to_string()),
                ("MIMIC_BACKEND", backend.to_string()),
            ];
            match in_namespace(SCRIPT, &env) {
                Ok(out) => assert_eq!(
                    out,
                    expected(&t, letters, preserve, secret, busybox, arm),
                    "backend {backend}, {flags}"
                ),
                Err(why) => {
                    eprintln!("SKIPPED: binfmt_misc test cannot run here: {why}");
                    let _ = std::fs::remove_dir_all(&t);
                    return;
                }
            }
            // The interpreter link --register made.
            assert!(bin.join("mimic-aarch64").exists());
            assert!(!arm || bin.join("mimic-arm").exists());
        }
    }
    let _ = std::fs::remove_dir_all(&t);
}

#[test]
fn binfmt_print_and_systemd_files() {
    let out = Command::new(common::mimic_bin())
        .args([
            "binfmt",
            "--print",
            "--path",
            "/opt/m",
            "--preserve-argv0",
            "--credential",
        ])
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.lines().any(|l| l
            == ":mimic-aarch64:M::\\x7f\\x45\\x4c\\x46\\x02\\x01\\x01\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x02\\x00\\xb7\\x00:\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\x00\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xfe\\xff\\xff\\xff:/opt/m/mimic-aarch64:POC"),
        "{text}"
    );
    let d = common::temp_dir("binfmt-systemd");
    let st = Command::new(common::mimic_bin())
        .args(["binfmt", "--systemd"])
        .arg(&d)
        .args(["--path", "/opt/m", "--persistent", "yes"])
        .status()
        .unwrap();
    assert!(st.success());
    let conf = std::fs::read_to_string(d.join("mimic-aarch64.conf")).unwrap();
    assert!(
        conf.lines()
            .any(|l| l.starts_with(":mimic-aarch64:M::") && l.ends_with(":/opt/m/mimic-aarch64:F")),
        "{conf}"
    );
    let bad = Command::new(common::mimic_bin())
        .args(["binfmt", "--guest", "vax"])
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("unknown guest 'vax'"));
    let _ = std::fs::remove_dir_all(&d);
}
