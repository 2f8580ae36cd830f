//! `-d stats` (tcg/src/profile.rs) reports where the time went; this also
//! proves that tiering, regions and the background compile thread happen:
//! a loop-heavy guest program under `--backend auto` with a compile
//! threshold of 2 must compile blocks and loops as regions, compiling
//! inline (`MIMIC_BG_COMPILE=0`, deterministic) and on the compile thread,
//! and still print what the native build prints.

mod common;

use std::process::Command;

fn field(report: &str, re_before: &str) -> u64 {
    let i = report
        .find(re_before)
        .unwrap_or_else(|| panic!("no '{re_before}' in:\n{report}"));
    let head = &report[..i];
    let num: String = head
        .chars()
        .rev()
        .skip_while(|c| c.is_whitespace() || *c == '(')
        .take_while(|c| c.is_ascii_digit())
        .collect();
    num.chars()
        .rev()
        .collect::<String>()
        .parse()
        .unwrap_or_else(|_| panic!("no number before '{re_before}' in:\n{report}"))
}

#[test]
fn stats_report_tiering_regions_and_background_compiles() {
    let guest = common::repo_root().join("build/guest");
    let prog = guest.join("aarch64/sieve_bignum-O2");
    assert!(
        prog.is_file(),
        "{} is missing: run scripts/build-guests",
        prog.display()
    );
    let want = std::fs::read(guest.join("expected/sieve_bignum.out")).expect("expected output");
    for bg in ["0", "1"] {
        let out = Command::new(common::mimic_bin())
            .args(["run", "--backend", "auto", "-d", "stats"])
            .arg(&prog)
            .env("MIMIC_JIT_THRESHOLD", "2")
            .env("MIMIC_BG_COMPILE", bg)
            .output()
            .expect("run mimic");
        assert!(out.status.success(), "bg={bg}: {:?}", out.status);
        assert_eq!(out.stdout, want, "bg={bg}: guest output differs");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("Mimic profile (-d stats)"), "bg={bg}: {err}");
        for line in [
            "translate",
            "compile",
            "interpreter",
            "jit code",
            "outside",
            "p99",
        ] {
            assert!(err.contains(line), "bg={bg}: no '{line}' in:\n{err}");
        }
        let compiled = field(&err, " compiled (");
        let regions = field(&err, " regions of");
        let translated = field(&err, " translated (");
        let templates = field(&err, " as template code,");
        assert!(translated > 0 && compiled > 0, "bg={bg}:\n{err}");
        // Blocks get template code on their second run: some, not all
        // (start-up code runs once).
        assert!(templates > 0 && templates < translated, "bg={bg}:\n{err}");
        if bg == "0" {
            // Inline compilation is deterministic: the sieve's loops
            // become regions.
            assert!(regions > 0, "bg={bg}: no regions:\n{err}");
        }
    }
}
