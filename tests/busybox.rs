//! Debian's `busybox-static` for arm64 (and for armhf, and armel under
//! `-cpu arm1176`) under Mimic against the amd64 build of the same package
//! run natively, on identical generated input files:
//! shell control flow and arithmetic, pipelines of applets (which fork and
//! re-exec /proc/self/exe), checksums, gzip, awk, sort and text tools.
//! stdout and the exit status must be identical, for each backend.
//!
//! Debian's busybox-static awk has no math library (no sqrt, exp, ^).
//! awk programs never pipe to commands (`print | "cmd"`): awk runs those
//! through /bin/sh, which is the host's shell.
//!
//! The binaries come from `scripts/fetch-debian` (run by `scripts/test`):
//! build/cache/root/{arm64,armhf,armel,amd64}/busybox-static/bin/busybox.

mod common;

use common::*;
use std::path::{Path, PathBuf};

fn busybox(arch: &str) -> PathBuf {
    let p = repo_root().join(format!(
        "build/cache/root/{arch}/busybox-static/bin/busybox"
    ));
    if !p.is_file() {
        panic!(
            "{} is missing: run scripts/test (or scripts/fetch-debian) to download Debian's busybox-static",
            p.display()
        );
    }
    p
}

/// A small deterministic generator so that inputs are the same everywhere.
struct Lcg(u64);
impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
}

const WORDS: &[&str] = &[
    "alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india", "juliet",
    "kilo", "lima", "mike", "november", "oscar", "papa", "quebec", "romeo", "sierra", "tango",
    "uniform", "victor", "whiskey", "xray", "yankee", "zulu", "bus", "boss", "bits", "basics",
];

fn write_inputs(dir: &Path) {
    let mut r = Lcg(42);
    let mut nums = String::new();
    for i in 0..2000 {
        nums.push_str(&format!(
            "{} {} {}\n",
            i,
            r.next() % 100000,
            WORDS[(r.next() % 7) as usize]
        ));
    }
    std::fs::write(dir.join("nums.txt"), nums).unwrap();
    let mut words = String::new();
    for _ in 0..3000 {
        words.push_str(WORDS[(r.next() % WORDS.len() as u64) as usize]);
        words.push('\n');
    }
    std::fs::write(dir.join("words.txt"), words).unwrap();
    let depts = ["eng", "ops", "sales", "hr"];
    let mut csv = String::from("name,dept,salary,age\n");
    for i in 0..400 {
        csv.push_str(&format!(
            "{}{},{},{},{}\n",
            WORDS[(r.next() % WORDS.len() as u64) as usize],
            i,
            depts[(r.next() % 4) as usize],
            30000 + r.next() % 90000,
            20 + r.next() % 45
        ));
    }
    std::fs::write(dir.join("data.csv"), csv).unwrap();
    let bin: Vec<u8> = (0..100_000).map(|_| (r.next() >> 7) as u8).collect();
    std::fs::write(dir.join("data.bin"), bin).unwrap();
    let mut text = String::new();
    for i in 0..200 {
        text.push_str(&format!(
            "Line {i}: the {} {} jumps over the {} dog, {} times.\n",
            WORDS[i % WORDS.len()],
            WORDS[(i * 7) % WORDS.len()],
            WORDS[(i * 13) % WORDS.len()],
            i * i
        ));
    }
    std::fs::write(dir.join("text.txt"), text).unwrap();
}

/// (name, shell script, stdin)
fn cases() -> Vec<(&'static str, &'static str, Option<&'static [u8]>)> {
    vec![
        ("sh-for-loop", r#"for i in $(seq 1 20); do echo "$i $((i*i)) $((i%3))"; done"#, None),
        (
            "sh-while-arith",
            r#"i=0; s=0; while [ $i -lt 300 ]; do s=$((s + i*i - (i/3))); i=$((i+1)); done
               echo $s $((s % 97)) $((1<<20)) $((-17/5)) $((-17%5)) $((0x1f + 010)) $((7 > 3 && 2 < 1)) $((~5 ^ 3))"#,
            None,
        ),
        (
            "sh-case-functions",
            r#"f() { case "$1" in *.c|*.h) echo "C:$1";; [0-9]*) echo "num:$1";; *) echo "other:$1";; esac; }
               for w in a.c b.h 42x hello; do f "$w"; done
               g() { return $(($1 % 4)); }; g 7; echo "ret=$?"
               n=0; until [ $n -ge 3 ]; do n=$((n+1)); done; echo "until=$n""#,
            None,
        ),
        (
            "sh-strings",
            r#"x=hello.world.tar.gz; echo ${x%.gz} ${x%%.*} ${x#*.} ${x##*.} ${#x} ${x:-unset} ${y:-default}
               set -- a "b c" d; echo $#; for a in "$@"; do echo "[$a]"; done; shift; echo "$*"
               printf '%05d|%-6s|%x|%o|%c|%s\n' 42 ab 255 8 Z "$(echo sub)"
               IFS=:; set -- $(echo "p:q:r"); echo "$2"; unset IFS
               echo "$(echo nested $(echo deeper))" `echo backticks`"#,
            None,
        ),
        (
            "sh-redirect-subshell",
            r#"(echo one; echo two >&2) 2>&1 | wc -l
               echo x > out.txt; echo y >> out.txt; cat out.txt
               read a b c < nums.txt; echo "$a/$b/$c"
               while read n v w; do [ "$n" -ge 3 ] && break; echo "row $n $w"; done < nums.txt
               cat <<END
heredoc $((6*7))
END
               { echo grouped; echo output; } | tr a-z A-Z"#,
            None,
        ),
        (
            "pipeline-words",
            "cat words.txt | tr 'a-z' 'A-Z' | sort | uniq -c | sort -k1,1nr -k2,2 | head -15",
            None,
        ),
        ("sha256sum", "sha256sum data.bin words.txt nums.txt", None),
        (
            "md5sum",
            r#"md5sum data.bin words.txt; md5sum data.bin > sum; md5sum -c sum; cat text.txt | md5sum"#,
            None,
        ),
        ("sha1-sha512", "sha1sum data.bin; sha512sum words.txt; sha3sum nums.txt", None),
        (
            "gzip-roundtrip",
            "gzip -c < data.bin | gzip -dc | cmp - data.bin && echo same; gzip -c < words.txt | gzip -dc | md5sum; \
             gzip -c < text.txt > t.gz && gzip -t t.gz && zcat t.gz | wc -l",
            None,
        ),
        (
            "gzip-bytes",
            "gzip -c < words.txt | od -A d -t x1 | head -20; gzip -9 -c < data.bin | md5sum; \
             gzip -1 -c < nums.txt | wc -c; gzip -c < text.txt | sha256sum",
            None,
        ),
        (
            "awk-sum",
            r#"awk '{ s += $2; c[$3]++ } END { printf "%d %.4f\n", s, s / NR; for (k in c) print k, c[k] }' nums.txt | sort"#,
            None,
        ),
        (
            "awk-csv",
            r#"awk -F, 'NR > 1 { sal[$2] += $3; n[$2]++; if ($4 > max) { max = $4; who = $1 } } END { for (d in sal) printf "%s %.2f %d\n", d, sal[d] / n[d], n[d]; print "oldest", who, max }' data.csv | sort"#,
            None,
        ),
        (
            "awk-builtins",
            r#"awk 'BEGIN { for (i = 1; i <= 10; i++) printf "%d %.6f %.3e %s %d %x\n", i, i / 7, i * i * 1234.5, substr("abcdefghij", i, 3), index("hello world", "o"), i * 4099
               print length("xyz"), toupper("abc"), tolower("DeF"), sprintf("%5.2e|%-4s|%3d", 12345.678, "ab", 7)
               n = split("a:b:c:d", arr, ":"); print n, arr[3]
               s = "foo bar foo"; g = gsub(/foo/, "baz", s); print g, s
               print match("xxabcxx", /ab+c/), RSTART, RLENGTH; print int(-3.7), 7 % 3, 1e6, 0.1 + 0.2, 1 / 3 }'"#,
            None,
        ),
        (
            "awk-program",
            r#"awk 'function fib(n) { return n < 2 ? n : fib(n - 1) + fib(n - 2) }
                    { w[$1] = w[$1] + 1 } NR % 500 == 0 { print NR, $0 }
                    END { print fib(18); m = 0; for (k in w) if (w[k] > m) { m = w[k]; best = k }; print best, m }' words.txt"#,
            None,
        ),
        (
            "sort-numeric",
            "sort -k2,2n -k1,1n nums.txt | head -20; sort -k2,2rn -k1,1n nums.txt | head -5; sort -n nums.txt | tail -3",
            None,
        ),
        (
            "sort-options",
            "sort words.txt | uniq | head; sort -r words.txt | uniq -d | head -4; sort -u words.txt | wc -l; \
             sort -t, -k3,3n -k1,1 data.csv | head; sort -k3,3 -k1,1rn nums.txt | head -4; sort -k1,1n -c nums.txt; echo sorted=$?; \
             sort -c words.txt 2>/dev/null; echo unsorted=$?",
            None,
        ),
        (
            "text-tools",
            r#"head -n 5 nums.txt; tail -n 3 nums.txt; cut -d' ' -f1,3 nums.txt | head -3; wc -l nums.txt words.txt
               grep -c 'a' words.txt; grep -n -E '^b[a-z]*s$' words.txt | head -4; grep -v -i A words.txt | sort -u
               sed -n '10,15p' nums.txt; sed 's/\([0-9]*\) \([0-9]*\)/\2-\1/' nums.txt | head -3
               tr -d 'aeiou' < words.txt | head -3; nl words.txt | tail -2; tac nums.txt | head -2
               rev words.txt | head -2; fold -w 17 text.txt | head -4; paste -d: nums.txt words.txt | head -3
               expand text.txt | head -1; strings data.bin | head -3; shuf -n 0 words.txt; uniq -c words.txt | head -3"#,
            None,
        ),
        (
            "od-xxd-base64",
            "od -A x -t x1 -N 64 data.bin; od -c -N 24 text.txt; xxd -l 48 data.bin; hexdump -C -n 32 data.bin; base64 words.txt | head -3; \
             base64 data.bin | base64 -d | cmp - data.bin && echo b64-same; crc32 data.bin; uuencode -m x < nums.txt | tail -2",
            None,
        ),
        (
            "files",
            r#"mkdir -p d/e; touch d/e/f d/g; ln -s g d/h; find d | sort; ls d; cp nums.txt d/copy
               cmp nums.txt d/copy && echo copied; mv d/copy d/moved; ls d; readlink d/h; stat -c '%s %F' d/moved d/e
               rm -r d; [ -e d ] || echo removed; tar cf x.tar nums.txt words.txt; tar tf x.tar; mkdir u
               tar xf x.tar -C u; cmp u/words.txt words.txt && echo untarred; truncate -s 10 u/nums.txt; wc -c < u/nums.txt
               du -s -k u > /dev/null && echo du-ok; dd if=data.bin of=part bs=1000 count=3 2>/dev/null; wc -c < part"#,
            None,
        ),
        ("exit-status", "echo before; exit 7", None),
        (
            "tests-and-status",
            r#"false; echo $?; ! true; echo $?; test 3 -gt 2 && echo yes; [ -f nums.txt ] && echo file
               [ -d nums.txt ] || echo notdir; [ "abc" != "abd" ] && echo differ; sh -c 'exit 3'; echo child=$?
               grep -q zzz words.txt; echo grep=$?; (exit 129); echo sub=$?"#,
            None,
        ),
        (
            "seq-expr-factor-bc",
            "seq 5 3 30 | tr '\\n' ' '; echo; seq -w 8 12 | tr '\\n' ' '; echo; expr 7 \\* 6; expr length hello; \
             factor 360 1001 65537 4294967297; echo 'scale=20; 4*a(1); sqrt(2); 2^100' | bc -l; echo '2 64 ^ p 17 3 / p' | dc",
            None,
        ),
        ("xargs", "seq 1 10 | xargs -n 3 echo; printf 'a\\nb\\nc\\n' | xargs -I{} echo '<{}>'", None),
        (
            "date-fixed",
            "date -u -d @1234567890 '+%Y-%m-%d %H:%M:%S %j %a %b'; date -u -d '2000-02-29 12:00' +%s; \
             cal 2 2024 | head -3",
            None,
        ),
        ("stdin-sort", "sort -n | tail -3; echo done", Some(b"10\n9\n100\n-5\n42\n7\n")),
        ("stdin-wc", "wc -c -l -w", Some(b"one two three\nfour five\n\nsix\n")),
    ]
}

#[test]
fn busybox_applets_match_native() {
    run_busybox("arm64", None);
}

#[test]
fn busybox_armhf_applets_match_native() {
    run_busybox("armhf", None);
}

#[test]
fn busybox_armel_applets_match_native() {
    run_busybox("armel", Some("arm1176"));
}

fn run_busybox(arch: &str, cpu: Option<&str>) {
    let guest = busybox(arch);
    let native = busybox("amd64");
    let runners = runners();
    let limit = timeout();
    // PATH names no directory, so every command is a busybox applet (this
    // build's shell runs applets without a PATH search, re-executing
    // /proc/self/exe in forked children); nothing falls back to host tools.
    let env: &[(&str, &str)] = &[
        ("PATH", "/nonexistent-mimic-test-path"),
        ("LC_ALL", "C"),
        ("TZ", "UTC0"),
        ("HOME", "/tmp"),
    ];
    let cases: Vec<_> = cases()
        .into_iter()
        .filter(|(n, _, _)| filter_matches(n))
        .collect();

    // expected: the amd64 busybox, natively
    let expected = parallel_map(&cases, jobs(), |(name, script, stdin)| {
        let dir = temp_dir("bb-native");
        write_inputs(&dir);
        let argv = vec![
            native.to_string_lossy().into_owned(),
            "sh".into(),
            "-c".into(),
            script.to_string(),
        ];
        let out = run_env(&argv, &dir, *stdin, Some(env), limit);
        let _ = std::fs::remove_dir_all(&dir);
        assert!(!out.timed_out, "native busybox timed out on {name}");
        // the reference run itself must be clean, or the case tests nothing
        let want = if *name == "exit-status" { 7 } else { 0 };
        assert!(
            out.status == want && out.stderr.is_empty(),
            "native busybox case {name} is broken: status {} stderr {:?}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
        out
    });

    let work: Vec<(usize, &Runner)> = (0..cases.len())
        .flat_map(|i| runners.iter().map(move |r| (i, r)))
        .collect();
    let results = parallel_map(&work, jobs(), |(i, runner)| {
        let (name, script, stdin) = &cases[*i];
        let dir = temp_dir("bb-guest");
        write_inputs(&dir);
        let mut argv = runner.argv.clone();
        if let Some(cpu) = cpu {
            argv.extend(["-cpu".to_string(), cpu.to_string()]);
        }
        argv.extend([
            guest.to_string_lossy().into_owned(),
            "sh".into(),
            "-c".into(),
            script.to_string(),
        ]);
        let out = run_env(&argv, &dir, *stdin, Some(env), limit);
        let _ = std::fs::remove_dir_all(&dir);
        check(
            &format!("busybox {name}"),
            runner,
            &out,
            &expected[*i].stdout,
            expected[*i].status,
        )
    });
    let failures: Vec<String> = results.into_iter().flatten().collect();
    report(&format!("busybox {arch} cases"), work.len(), &failures);
}
