//! QEMU linux-user's command line, so existing scripts and binfmt setups work
//! unchanged: options come before the program, single or double dash, and
//! each has an environment variable (`QEMU_*`, or the `MIMIC_*` equivalent,
//! which wins).

use linux_user::run::RunOptions;
use linux_user::LoadOptions;
use std::ffi::OsString;
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::PathBuf;
use tcg::exec::{BackendKind, LogFlags};

pub struct ParsedRun {
    pub run: RunOptions,
    /// `-perfmap`: write perf map files for JIT code.
    pub perfmap: bool,
    pub log_items: Vec<String>,
    pub log_file: Option<String>,
}

pub enum Parsed {
    Run(Box<ParsedRun>),
    /// Informational option handled (help, version): exit with this status.
    Exit(i32),
}

const HELP: &str = "\
usage: mimic run [OPTIONS] PROGRAM [ARGS...]

Options (QEMU linux-user names; environment variable in brackets,
MIMIC_* equivalents of each QEMU_* variable are accepted too):
  -h                    print this help
  -L PATH               guest root for the interpreter and guest paths [QEMU_LD_PREFIX]
  -E VAR=VALUE          set a variable in the guest environment [QEMU_SET_ENV]
  -U VAR                remove a variable from the guest environment [QEMU_UNSET_ENV]
  -0 ARGV0              argv[0] for the guest [QEMU_ARGV0]
  -cpu MODEL            CPU model; -cpu help lists them [QEMU_CPU]
  -s SIZE               stack size (K, M, G suffixes) [QEMU_STACK_SIZE]
  -r RELEASE            kernel release uname reports [QEMU_UNAME]
  -seed N               seed for AT_RANDOM and guest randomness [QEMU_RAND_SEED]
  -d ITEMS              debug output, comma separated; -d help lists them [QEMU_LOG]
  -D FILE               write debug output to FILE [QEMU_LOG_FILENAME]
  -strace               log guest syscalls [QEMU_STRACE]
  -one-insn-per-tb      one guest instruction per block [QEMU_ONE_INSN_PER_TB]
  -g PORT               wait for GDB on TCP port PORT before the first instruction [QEMU_GDB]
  -perfmap              write /tmp/perf-PID.map for perf to name JIT code [QEMU_PERFMAP]
  -B ADDR               host address of guest address 0 [QEMU_GUEST_BASE]
  -R SIZE               bytes of guest address space (default 1T) [QEMU_RESERVED_VA]
  --backend interp|jit|auto   execution backend (default auto): interp = tier 0 only
                              (template code; MIMIC_TEMPLATE=0: IR interpreter) [MIMIC_BACKEND]
  -version              print the version";

fn env_var(qemu: &str) -> Option<OsString> {
    let mimic = qemu.replacen("QEMU_", "MIMIC_", 1);
    std::env::var_os(&mimic).or_else(|| std::env::var_os(qemu))
}

fn env_str(qemu: &str) -> Option<String> {
    env_var(qemu).map(|v| v.to_string_lossy().into_owned())
}

/// Parses sizes like `8M`, `512k`, `1G`, `0x20000000` (QEMU reads the
/// number with strtoul base 0, then an optional suffix).
pub fn parse_size(s: &str) -> Result<u64, String> {
    let s = s.trim();
    let (num, mult) = match s.chars().last() {
        Some('k' | 'K') => (&s[..s.len() - 1], 1u64 << 10),
        Some('m' | 'M') => (&s[..s.len() - 1], 1 << 20),
        Some('g' | 'G') => (&s[..s.len() - 1], 1 << 30),
        Some('t' | 'T') => (&s[..s.len() - 1], 1 << 40),
        _ => (s, 1),
    };
    let n = match num.strip_prefix("0x").or_else(|| num.strip_prefix("0X")) {
        Some(h) => u64::from_str_radix(h, 16).ok(),
        None => num.parse::<u64>().ok(),
    };
    n.and_then(|n| n.checked_mul(mult))
        .ok_or_else(|| format!("invalid size '{s}'"))
}

/// `-B ADDR`, read like C's strtoul with base 0 (as QEMU does): `0x` hex,
/// a leading 0 octal, else decimal.
fn parse_addr(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let r = if let Some(h) = t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
        u64::from_str_radix(h, 16)
    } else if t.len() > 1 && t.starts_with('0') {
        u64::from_str_radix(&t[1..], 8)
    } else {
        t.parse::<u64>()
    };
    r.map_err(|_| format!("-B: invalid address '{s}'"))
}

/// `-g PORT` (QEMU also takes a unix socket path; Mimic listens on TCP).
fn parse_port(s: &str) -> Result<u16, String> {
    s.trim()
        .parse::<u16>()
        .map_err(|_| format!("-g: invalid port '{s}' (a TCP port number)"))
}

pub fn parse(arch: Option<String>, args: &[OsString]) -> Result<Parsed, String> {
    let mut ld_prefix = env_var("QEMU_LD_PREFIX").map(PathBuf::from);
    let mut set_env: Vec<String> = env_str("QEMU_SET_ENV")
        .map(|v| v.split(',').map(str::to_string).collect())
        .unwrap_or_default();
    let mut unset_env: Vec<String> = env_str("QEMU_UNSET_ENV")
        .map(|v| v.split(',').map(str::to_string).collect())
        .unwrap_or_default();
    let mut argv0: Option<OsString> = env_var("QEMU_ARGV0");
    let mut cpu = env_str("QEMU_CPU");
    let mut stack_size = env_str("QEMU_STACK_SIZE")
        .map(|s| parse_size(&s))
        .transpose()?;
    let mut release = env_str("QEMU_UNAME");
    let mut seed = env_str("QEMU_RAND_SEED")
        .map(|s| s.parse::<u64>().map_err(|_| format!("invalid seed '{s}'")))
        .transpose()?;
    let mut log_items: Vec<String> = env_str("QEMU_LOG")
        .map(|v| {
            v.split(',')
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default();
    let mut log_file = env_str("QEMU_LOG_FILENAME");
    let mut strace = env_var("QEMU_STRACE").is_some();
    let mut one_insn = env_var("QEMU_ONE_INSN_PER_TB").is_some();
    let mut perfmap = env_var("QEMU_PERFMAP").is_some();
    let mut guest_base = env_str("QEMU_GUEST_BASE")
        .map(|s| parse_addr(&s))
        .transpose()?;
    let mut reserved_va = env_str("QEMU_RESERVED_VA")
        .map(|s| parse_size(&s))
        .transpose()?;
    let mut gdb_port = env_str("QEMU_GDB").map(|p| parse_port(&p)).transpose()?;
    let mut backend: BackendKind = match env_str("MIMIC_BACKEND") {
        Some(b) => b.parse()?,
        None => BackendKind::Auto,
    };

    let mut i = 0;
    while i < args.len() {
        let raw = args[i].to_string_lossy().into_owned();
        if !raw.starts_with('-') || raw == "-" {
            break;
        }
        i += 1;
        if raw == "--" {
            break;
        }
        let (name, inline) = match raw.trim_start_matches('-').split_once('=') {
            Some((n, v)) => (n.to_string(), Some(v.to_string())),
            None => (raw.trim_start_matches('-').to_string(), None),
        };
        let mut value = |what: &str| -> Result<String, String> {
            if let Some(v) = inline.clone() {
                return Ok(v);
            }
            let v = args
                .get(i)
                .ok_or_else(|| format!("option -{what} needs an argument"))?;
            i += 1;
            Ok(v.to_string_lossy().into_owned())
        };
        match name.as_str() {
            "h" | "help" => {
                println!("{HELP}");
                return Ok(Parsed::Exit(0));
            }
            "version" | "V" => {
                // QEMU's shape ("qemu-aarch64 version 7.2.0"), for scripts.
                let name = arch
                    .as_deref()
                    .map_or("mimic".to_string(), |a| format!("mimic-{a}"));
                println!(
                    "{name} version {} (Mimic, QEMU linux-user compatible)\n\
                     License MIT OR Apache-2.0",
                    env!("CARGO_PKG_VERSION")
                );
                return Ok(Parsed::Exit(0));
            }
            "L" => ld_prefix = Some(PathBuf::from(value("L")?)),
            "E" => set_env.extend(value("E")?.split(',').map(str::to_string)),
            "U" => unset_env.extend(value("U")?.split(',').map(str::to_string)),
            "0" => argv0 = Some(OsString::from(value("0")?)),
            "cpu" => {
                let v = value("cpu")?;
                if v == "help" || v == "?" {
                    println!("Available CPUs (aarch64):");
                    for m in target_aarch64::model::MODELS {
                        println!("  {}", m.name);
                    }
                    return Ok(Parsed::Exit(0));
                }
                cpu = Some(v);
            }
            "s" => stack_size = Some(parse_size(&value("s")?)?),
            "r" => release = Some(value("r")?),
            "seed" => {
                let v = value("seed")?;
                seed = Some(v.parse().map_err(|_| format!("invalid seed '{v}'"))?);
            }
            "d" => {
                let v = value("d")?;
                if v == "help" {
                    println!("Log items (comma separated):");
                    for (n, d) in crate::logging::ITEMS {
                        println!("  {n:<10} {d}");
                    }
                    return Ok(Parsed::Exit(0));
                }
                log_items.extend(v.split(',').filter(|s| !s.is_empty()).map(str::to_string));
            }
            "D" => log_file = Some(value("D")?),
            "strace" => strace = true,
            "one-insn-per-tb" | "singlestep" => one_insn = true,
            "perfmap" => perfmap = true,
            "B" => guest_base = Some(parse_addr(&value("B")?)?),
            "R" => reserved_va = Some(parse_size(&value("R")?)?),
            "backend" => backend = value("backend")?.parse()?,
            "g" => gdb_port = Some(parse_port(&value("g")?)?),
            _ => return Err(format!("unknown option '{raw}' (try -h)")),
        }
    }
    let Some(program) = args.get(i) else {
        return Err("no program given (try -h)".into());
    };
    let program = PathBuf::from(program);
    let mut argv: Vec<Vec<u8>> = args[i..].iter().map(|a| a.as_bytes().to_vec()).collect();
    // Started by binfmt_misc: under its P flag the original argv[0] follows
    // the program's path; under O the program comes as an open fd.
    let invocation = linux_user::binfmt::Invocation::current();
    if invocation.preserve_argv0 {
        if argv.len() < 2 {
            return Err("binfmt_misc's P flag is set but no argv[0] follows the program".into());
        }
        argv.remove(0);
    }
    if let Some(fd) = invocation.execfd {
        linux_user::elf::set_exec_fd(&program, fd);
    }
    if let Some(a0) = argv0 {
        argv[0] = a0.into_vec();
    }
    // Guest environment: the host's, edited by -E / -U.
    let mut envp: Vec<Vec<u8>> = std::env::vars_os()
        .map(|(k, v)| {
            let mut e = k.into_vec();
            e.push(b'=');
            e.extend(v.into_vec());
            e
        })
        .collect();
    for u in &unset_env {
        let key = format!("{u}=");
        envp.retain(|e| !e.starts_with(key.as_bytes()));
    }
    for s in &set_env {
        let Some((k, _)) = s.split_once('=') else {
            return Err(format!("-E expects VAR=VALUE, got '{s}'"));
        };
        let key = format!("{k}=");
        envp.retain(|e| !e.starts_with(key.as_bytes()));
        envp.push(s.as_bytes().to_vec());
    }
    if strace && !log_items.iter().any(|s| s == "strace") {
        log_items.push("strace".into());
    }
    let mut load = LoadOptions {
        ld_prefix,
        random_seed: seed,
        ..LoadOptions::default()
    };
    if let Some(s) = stack_size {
        load.stack_size = s;
    }
    let exec_args = exec_args(&ExecInherited {
        cpu: cpu.as_deref(),
        release: release.as_deref(),
        stack_size,
        seed,
        backend,
        strace,
        one_insn,
        reserved_va,
    });
    Ok(Parsed::Run(Box::new(ParsedRun {
        run: RunOptions {
            program,
            argv,
            envp,
            cpu,
            forced_arch: arch,
            backend,
            log: LogFlags::default(),
            strace,
            one_insn_per_tb: one_insn,
            uname_release: release,
            gdb_port,
            guest_base,
            reserved_va,
            load,
            exec_args,
        },
        log_items,
        log_file,
        perfmap,
    })))
}

/// What a guest `execve` passes on to the emulator it re-enters.
struct ExecInherited<'a> {
    cpu: Option<&'a str>,
    release: Option<&'a str>,
    stack_size: Option<u64>,
    seed: Option<u64>,
    backend: BackendKind,
    strace: bool,
    one_insn: bool,
    reserved_va: Option<u64>,
}

/// The command-line form of `e` (per-process options such as -g, -B, -0,
/// -E/-U and the log file are not inherited: the environment the guest
/// passes is its own, and QEMU_* variables in it still apply).
fn exec_args(e: &ExecInherited) -> Vec<OsString> {
    let mut v: Vec<OsString> = Vec::new();
    let mut opt = |name: &str, val: Option<String>| {
        if let Some(val) = val {
            v.push(name.into());
            v.push(val.into());
        }
    };
    opt("-cpu", e.cpu.map(str::to_string));
    opt("-r", e.release.map(str::to_string));
    opt("-s", e.stack_size.map(|s| s.to_string()));
    opt("-seed", e.seed.map(|s| s.to_string()));
    opt("-R", e.reserved_va.map(|s| s.to_string()));
    let backend = match e.backend {
        BackendKind::Auto => None,
        BackendKind::Interp => Some("interp".to_string()),
        BackendKind::Jit => Some("jit".to_string()),
    };
    opt("--backend", backend);
    if e.strace {
        v.push("-strace".into());
    }
    if e.one_insn {
        v.push("-one-insn-per-tb".into());
    }
    v
}
