//! The `mimic` binary: command-line handling only. `mimic run PROG` and
//! `mimic-<arch> PROG` run foreign Linux programs (user mode, QEMU's
//! linux-user options); `mimic img` / `mimic-img` is the image tool.

mod binfmt_cmd;
mod drive_args;
mod logging;
mod net_args;
mod system_args;
mod user_args;

use std::ffi::OsString;
use std::path::Path;

const USAGE: &str = "\
usage: mimic run [OPTIONS] PROGRAM [ARGS...]   run a foreign Linux program
       mimic img COMMAND [ARGS...]             image tool (qemu-img's commands)
       mimic nbd [OPTIONS] FILE                NBD server (qemu-nbd's options)
       mimic binfmt [--print|--register|--systemd DIR] binfmt_misc lines for mimic-<arch>
       mimic system [OPTIONS]                  boot a machine (QEMU's system options; -h lists them)
       mimic-<arch> [OPTIONS] PROGRAM [ARGS...] same as `mimic run`, arch forced
       mimic --version

`mimic run -h` lists the user-mode options (QEMU's names and variables).";

fn main() {
    let args: Vec<OsString> = std::env::args_os().collect();
    let argv0 = args
        .first()
        .map(|a| {
            Path::new(a)
                .file_name()
                .map(|f| f.to_string_lossy().into_owned())
                .unwrap_or_default()
        })
        .unwrap_or_default();
    let code = if argv0 == "mimic-img" {
        block::img::img_main(args[1..].to_vec())
    } else if argv0 == "mimic-nbd" {
        block::nbd::nbd_main(args[1..].to_vec())
    } else if argv0 == "mimic-system-aarch64" {
        run_system(&args[1..])
    } else if let Some(arch) = argv0.strip_prefix("mimic-") {
        run_user(Some(arch.to_string()), &args[1..])
    } else {
        match args.get(1).and_then(|a| a.to_str()) {
            Some("run") => run_user(None, &args[2..]),
            Some("img") => block::img::img_main(args[2..].to_vec()),
            Some("nbd") => block::nbd::nbd_main(args[2..].to_vec()),
            Some("binfmt") => binfmt_cmd::main(&args[2..]),
            Some("system") => run_system(&args[2..]),
            Some("-version" | "--version" | "-V") => {
                println!("mimic {}", env!("CARGO_PKG_VERSION"));
                0
            }
            Some("-h" | "--help" | "help") => {
                println!("{USAGE}");
                0
            }
            Some(other) => {
                eprintln!("mimic: unknown command '{other}'\n{USAGE}");
                1
            }
            None => {
                eprintln!("{USAGE}");
                1
            }
        }
    };
    std::process::exit(code);
}

fn run_user(arch: Option<String>, args: &[OsString]) -> i32 {
    let parsed = match user_args::parse(arch, args) {
        Ok(user_args::Parsed::Run(opts)) => opts,
        Ok(user_args::Parsed::Exit(code)) => return code,
        Err(e) => {
            eprintln!("mimic: {e}");
            return 1;
        }
    };
    if let Err(e) = logging::init(&parsed.log_items, parsed.log_file.as_deref()) {
        eprintln!("mimic: {e}");
        return 1;
    }
    let mut opts = parsed.run;
    opts.log = logging::flags(&parsed.log_items);
    opts.log.perfmap = parsed.perfmap;
    match linux_user::run::run(opts) {
        Ok(code) => {
            tcg::profile::report();
            code
        }
        Err(e) => {
            eprintln!("{e}");
            1
        }
    }
}

fn run_system(args: &[OsString]) -> i32 {
    let parsed = match system_args::parse(args) {
        Ok(system_args::Outcome::Run(p)) => p,
        Ok(system_args::Outcome::Exit(code)) => return code,
        Err(e) => {
            eprintln!("mimic: {e}");
            return 1;
        }
    };
    if let Err(e) = logging::init(&parsed.log_items, parsed.log_file.as_deref()) {
        eprintln!("mimic: {e}");
        return 1;
    }
    let mut opts = parsed.opts;
    opts.log = logging::flags(&parsed.log_items);
    opts.log.perfmap = parsed.perfmap;
    let r = softmmu::run(&opts);
    tcg::profile::report();
    match r {
        Ok(code) => code,
        Err(e) => {
            eprintln!("mimic: {e}");
            1
        }
    }
}
