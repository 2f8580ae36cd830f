//! The known-differences list: disagreements with QEMU that are QEMU's
//! (it deviates from the architecture manual) or that the architecture
//! permits (UNKNOWN results, IMPLEMENTATION DEFINED choices).
//!
//! File format: entries separated by blank lines, `key = value` lines,
//! `#` comments:
//!
//! ```text
//! name   = short-id
//! mask   = 0xffe0fc00      # instruction bits that must match
//! match  = 0x1e202000
//! fields = fpsr, nzcv      # fields it may change; `*` for any, `v*` prefix
//! signal = 4               # optional: only when QEMU's run of the case got this signal
//! mode   = 1               # optional: only instructions of this instruction set (Insn::mode)
//! reason = why QEMU's result is wrong or the result is UNKNOWN (cite the manual)
//! ```
//!
//! A disagreement in a case is excused when every differing field is listed
//! by an entry whose pattern matches one of the case's random instructions.

use super::FieldDiff;

#[derive(Debug, Clone)]
pub struct Known {
    pub name: String,
    pub mask: u32,
    pub value: u32,
    pub fields: Vec<String>,
    /// Applies only to cases QEMU ended with this signal (0: any outcome).
    pub signal: u64,
    /// Matches only instructions of this mode (`Insn::mode`), or any.
    pub mode: Option<u8>,
    pub reason: String,
}

#[derive(Debug, Clone, Default)]
pub struct KnownList {
    pub entries: Vec<Known>,
}

fn field_matches(pat: &str, field: &str) -> bool {
    match pat.strip_suffix('*') {
        Some(p) => field.starts_with(p),
        None => pat == field,
    }
}

fn num(s: &str) -> Result<u32, String> {
    let s = s.trim().replace('_', "");
    match s.strip_prefix("0x") {
        Some(h) => u32::from_str_radix(h, 16),
        None => s.parse(),
    }
    .map_err(|e| format!("bad number {s:?}: {e}"))
}

impl KnownList {
    pub fn parse(text: &str) -> Result<KnownList, String> {
        let mut entries = Vec::new();
        let mut cur: Vec<(String, String)> = Vec::new();
        let flush = |cur: &mut Vec<(String, String)>, out: &mut Vec<Known>| -> Result<(), String> {
            if cur.is_empty() {
                return Ok(());
            }
            let get = |k: &str| {
                cur.iter()
                    .find(|(a, _)| a == k)
                    .map(|(_, v)| v.clone())
                    .ok_or_else(|| format!("entry {:?} lacks `{k}`", cur[0].1))
            };
            let k = Known {
                name: get("name")?,
                mask: num(&get("mask")?)?,
                value: num(&get("match")?)?,
                fields: get("fields")?
                    .split(',')
                    .map(|f| f.trim().to_string())
                    .filter(|f| !f.is_empty())
                    .collect(),
                signal: match get("signal") {
                    Ok(v) => num(&v)? as u64,
                    Err(_) => 0,
                },
                mode: match get("mode") {
                    Ok(v) => Some(num(&v)? as u8),
                    Err(_) => None,
                },
                reason: get("reason")?,
            };
            if k.value & !k.mask != 0 {
                return Err(format!("{}: match has bits outside mask", k.name));
            }
            if k.reason.len() < 20 {
                return Err(format!("{}: the reason must say why", k.name));
            }
            out.push(k);
            cur.clear();
            Ok(())
        };
        for line in text.lines() {
            let line = match line.find('#') {
                Some(p) if !line[..p].contains("reason") => &line[..p],
                _ => line,
            };
            let line = line.trim();
            if line.is_empty() {
                flush(&mut cur, &mut entries)?;
                continue;
            }
            let (k, v) = line
                .split_once('=')
                .ok_or_else(|| format!("not `key = value`: {line:?}"))?;
            cur.push((k.trim().to_string(), v.trim().to_string()));
        }
        flush(&mut cur, &mut entries)?;
        Ok(KnownList { entries })
    }

    /// The entries excusing `diffs` for a case running `words` (encoding,
    /// mode) (every differing field covered by a matching entry), or None.
    pub fn excuse(
        &self,
        words: &[(u32, u8)],
        signal: u64,
        diffs: &[FieldDiff],
    ) -> Option<Vec<usize>> {
        let matching: Vec<usize> = (0..self.entries.len())
            .filter(|&i| {
                let e = &self.entries[i];
                (e.signal == 0 || e.signal == signal)
                    && words
                        .iter()
                        .any(|&(w, m)| w & e.mask == e.value && e.mode.is_none_or(|x| x == m))
            })
            .collect();
        let mut used = Vec::new();
        for d in diffs {
            let i = matching.iter().copied().find(|&i| {
                self.entries[i]
                    .fields
                    .iter()
                    .any(|p| field_matches(p, &d.field))
            })?;
            if !used.contains(&i) {
                used.push(i);
            }
        }
        Some(used)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn parses_and_matches() {
        let l = KnownList::parse(
            "# c\nname = a\nmask = 0xff\nmatch = 0x12\nfields = fpsr, v*\nreason = a long enough reason text\n\n",
        )
        .unwrap();
        let d = |f: &str| FieldDiff {
            field: f.into(),
            mimic: vec![],
            qemu: vec![],
        };
        assert_eq!(
            l.excuse(&[(0x312, 0)], 0, &[d("fpsr"), d("v3")]),
            Some(vec![0])
        );
        assert_eq!(l.excuse(&[(0x313, 0)], 0, &[d("fpsr")]), None);
        assert_eq!(l.excuse(&[(0x312, 0)], 0, &[d("x0")]), None);
        let t = KnownList::parse(
            "name = t\nmask = 0xff\nmatch = 0x12\nmode = 1\nfields = r0\nreason = only in the second instruction set\n",
        )
        .unwrap();
        assert_eq!(t.excuse(&[(0x12, 0)], 0, &[d("r0")]), None);
        assert_eq!(t.excuse(&[(0x12, 1)], 0, &[d("r0")]), Some(vec![0]));
    }
}
