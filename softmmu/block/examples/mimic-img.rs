//! Stand-alone `mimic-img` for development: same as `mimic img`.

fn main() {
    let args: Vec<std::ffi::OsString> = std::env::args_os().skip(1).collect();
    std::process::exit(block::img::img_main(args));
}
