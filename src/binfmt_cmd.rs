//! `mimic binfmt`: prints, registers or writes systemd binfmt.d files for
//! the binfmt_misc lines of every guest Mimic runs (options named after
//! qemu-binfmt-conf.sh's).

use linux_user::binfmt::{self, BinfmtFlags, BinfmtGuest};
use std::ffi::OsString;
use std::path::{Path, PathBuf};

const HELP: &str = "\
usage: mimic binfmt [--print | --register [--mount DIR] | --systemd DIR | --unregister [--mount DIR]]
                    [--path DIR] [--guest NAME]... [--credential [yes|no]]
                    [--persistent [yes|no]] [--preserve-argv0 [yes|no]]

  --print             print the registration lines (the default)
  --register          write them to binfmt_misc's register file; creates
                      DIR/mimic-<arch> links to this binary where missing
  --unregister        remove Mimic's entries
  --mount DIR         the binfmt_misc mount (default /proc/sys/fs/binfmt_misc)
  --systemd DIR       write DIR/mimic-<arch>.conf for systemd-binfmt
  --path DIR          where the mimic-<arch> interpreters are (default: this
                      binary's directory)
  --guest NAME        only this guest (repeatable; default all)
  --credential        flags O and C: credentials and an open fd from the binary
  --persistent        flag F: the kernel opens the interpreter at registration
  --preserve-argv0    flag P: the program keeps its argv[0]";

enum Mode {
    Print,
    Register,
    Unregister,
    Systemd(PathBuf),
}

/// Runs `mimic binfmt ARGS`; returns the exit status.
pub fn main(args: &[OsString]) -> i32 {
    match run(args) {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("mimic binfmt: {e}");
            1
        }
    }
}

fn yes_no(args: &[OsString], i: &mut usize, name: &str) -> Result<bool, String> {
    match args.get(*i).and_then(|a| a.to_str()) {
        Some("yes") => {
            *i += 1;
            Ok(true)
        }
        Some("no") => {
            *i += 1;
            Ok(false)
        }
        Some(v) if !v.starts_with('-') => Err(format!("{name} takes yes or no, not '{v}'")),
        _ => Ok(true),
    }
}

fn run(args: &[OsString]) -> Result<(), String> {
    let mut mode = Mode::Print;
    let mut mount = PathBuf::from("/proc/sys/fs/binfmt_misc");
    let mut dir: Option<PathBuf> = None;
    let mut only: Vec<String> = Vec::new();
    let mut flags = BinfmtFlags::default();
    let mut i = 0;
    while i < args.len() {
        let a = args[i].to_string_lossy().into_owned();
        i += 1;
        let mut value = |what: &str| -> Result<OsString, String> {
            let v = args
                .get(i)
                .cloned()
                .ok_or_else(|| format!("{what} needs an argument"))?;
            i += 1;
            Ok(v)
        };
        match a.as_str() {
            "-h" | "--help" => {
                println!("{HELP}");
                return Ok(());
            }
            "--print" => mode = Mode::Print,
            "--register" => mode = Mode::Register,
            "--unregister" => mode = Mode::Unregister,
            "--systemd" => mode = Mode::Systemd(value("--systemd")?.into()),
            "--mount" => mount = value("--mount")?.into(),
            "--path" | "--qemu-path" => dir = Some(value("--path")?.into()),
            "--guest" => only.push(value("--guest")?.to_string_lossy().into_owned()),
            "--credential" => flags.credential = yes_no(args, &mut i, &a)?,
            "--persistent" => flags.persistent = yes_no(args, &mut i, &a)?,
            "--preserve-argv0" => flags.preserve_argv0 = yes_no(args, &mut i, &a)?,
            _ => return Err(format!("unknown option '{a}' (try --help)")),
        }
    }
    for g in &only {
        if !binfmt::GUESTS.iter().any(|x| x.name == g) {
            let names: Vec<&str> = binfmt::GUESTS.iter().map(|g| g.name).collect();
            return Err(format!("unknown guest '{g}' (known: {})", names.join(", ")));
        }
    }
    let guests: Vec<&BinfmtGuest> = binfmt::GUESTS
        .iter()
        .filter(|g| only.is_empty() || only.iter().any(|o| o == g.name))
        .collect();
    let exe = std::env::current_exe().map_err(|e| format!("cannot find this binary: {e}"))?;
    let dir = match dir {
        Some(d) => d,
        None => exe
            .parent()
            .map(Path::to_path_buf)
            .ok_or("cannot find this binary's directory")?,
    };
    let dir = std::path::absolute(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    match mode {
        Mode::Print => {
            for g in guests {
                println!("{}", binfmt::line(g, &binfmt::interpreter(&dir, g), flags));
            }
        }
        Mode::Systemd(out) => {
            std::fs::create_dir_all(&out).map_err(|e| format!("{}: {e}", out.display()))?;
            for g in guests {
                let p = out.join(format!("{}.conf", binfmt::entry_name(g)));
                let text = format!(
                    "# Mimic user mode for {} programs (written by mimic binfmt)\n{}\n",
                    g.name,
                    binfmt::line(g, &binfmt::interpreter(&dir, g), flags)
                );
                std::fs::write(&p, text).map_err(|e| format!("{}: {e}", p.display()))?;
            }
        }
        Mode::Register => {
            for g in guests {
                let interp = binfmt::interpreter(&dir, g);
                ensure_link(&interp, &exe)?;
                remove_entry(&mount, g)?;
                let reg = mount.join("register");
                std::fs::write(&reg, binfmt::line(g, &interp, flags)).map_err(|e| {
                    format!(
                        "{}: {e} (is binfmt_misc mounted there, and are you root?)",
                        reg.display()
                    )
                })?;
            }
        }
        Mode::Unregister => {
            for g in guests {
                remove_entry(&mount, g)?;
            }
        }
    }
    Ok(())
}

/// The interpreter must exist: a `mimic-<arch>` link to this binary.
fn ensure_link(interp: &Path, exe: &Path) -> Result<(), String> {
    if interp.exists() {
        return Ok(());
    }
    std::os::unix::fs::symlink(exe, interp).map_err(|e| {
        format!(
            "cannot create {} -> {}: {e} (pass --path DIR with the mimic-<arch> names)",
            interp.display(),
            exe.display()
        )
    })
}

/// Removes Mimic's entry for `g` if it is registered (writing -1 to it).
fn remove_entry(mount: &Path, g: &BinfmtGuest) -> Result<(), String> {
    let entry = mount.join(binfmt::entry_name(g));
    if entry.exists() {
        std::fs::write(&entry, "-1").map_err(|e| format!("{}: {e}", entry.display()))?;
    }
    Ok(())
}
