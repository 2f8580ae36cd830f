//! `-d ITEMS` and `-D FILE`: debug categories as tracing targets, written to
//! stderr or the log file (never mixed into the guest's own output streams
//! beyond stderr).

use std::sync::Mutex;
use tcg::exec::LogFlags;

/// The `-d` categories and what they show.
pub const ITEMS: &[(&str, &str)] = &[
    ("in_asm", "guest code of each translated block"),
    ("op", "IR of each block before optimization"),
    ("op_opt", "IR after optimization"),
    ("out_asm", "where each block's host code was placed"),
    ("exec", "every block executed"),
    (
        "stats",
        "at exit: time in translation, compilation, interpreter, JIT code and syscalls; block, region and compile-latency figures",
    ),
    (
        "unimp",
        "unimplemented syscalls and features the guest used",
    ),
    ("strace", "guest syscalls (same as -strace)"),
    ("int", "guest exceptions and signals"),
];

pub fn flags(items: &[String]) -> LogFlags {
    let has = |n: &str| items.iter().any(|i| i == n);
    LogFlags {
        in_asm: has("in_asm"),
        op: has("op"),
        op_opt: has("op_opt"),
        out_asm: has("out_asm"),
        exec: has("exec"),
        perfmap: false,
        stats: has("stats"),
    }
}

/// Checks the items and installs the subscriber.
pub fn init(items: &[String], file: Option<&str>) -> Result<(), String> {
    for i in items {
        if !ITEMS.iter().any(|(n, _)| n == i) {
            return Err(format!("-d: unknown log item '{i}' (try -d help)"));
        }
    }
    let mut filter = String::from("error");
    for i in items {
        filter.push_str(&format!(",{i}=trace"));
    }
    let env_filter = tracing_subscriber::EnvFilter::try_new(&filter).map_err(|e| e.to_string())?;
    let builder = tracing_subscriber::fmt()
        .with_env_filter(env_filter)
        .without_time()
        .with_level(false)
        .with_target(true)
        .with_ansi(false);
    let res = match file {
        Some(path) => {
            let f = std::fs::File::create(path).map_err(|e| format!("-D {path}: {e}"))?;
            builder.with_writer(Mutex::new(f)).try_init()
        }
        None => builder.with_writer(std::io::stderr).try_init(),
    };
    res.map_err(|e| e.to_string())
}
