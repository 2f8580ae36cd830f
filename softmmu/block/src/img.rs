//! `mimic img`: qemu-img's subcommands over the block layer's drivers.

use std::ffi::OsString;

/// Entry point for `mimic img ARGS...` and `mimic-img ARGS...`. `args` excludes
/// the program name. Returns the process exit status (qemu-img's codes).
pub fn img_main(args: Vec<OsString>) -> i32 {
    let _ = args;
    eprintln!("mimic img: not built yet");
    1
}
