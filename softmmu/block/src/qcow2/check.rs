//! qcow2 consistency check and repair (refcount rebuild, COPIED flags).

use super::refcount::rb_set;
use super::{Ct, Meta, Qcow2, L1E_OFFSET_MASK, OFLAG_COPIED, REFT_OFFSET_MASK};
use crate::driver::{CheckReport, Fix};
use crate::error::Result;

/// Largest file (in clusters) the checker keeps a reference count array for.
const MAX_CHECK_CLUSTERS: u64 = 1 << 26;

struct Refs {
    refs: Vec<u16>,
    cs: u64,
}

impl Refs {
    /// Counts one reference to each cluster of `[off, off+len)`; returns false
    /// if the range lies beyond the end of the file.
    fn inc(&mut self, off: u64, len: u64) -> bool {
        if len == 0 {
            return true;
        }
        let first = off / self.cs;
        let last = (off + len - 1) / self.cs;
        if last >= self.refs.len() as u64 {
            return false;
        }
        for c in first..=last {
            self.refs[c as usize] = self.refs[c as usize].saturating_add(1);
        }
        true
    }
}

impl Qcow2 {
    /// Counts every reference the image's metadata makes.
    fn count_refs(&mut self, r: &mut CheckReport, with_refcount_structs: bool) -> Result<Refs> {
        let cs = self.cs;
        let nclusters = self.f.len()?.div_ceil(cs);
        if nclusters > MAX_CHECK_CLUSTERS {
            return Err(crate::error::BlockError::Other(format!(
                "checking an image file of {nclusters} clusters (more than {MAX_CHECK_CLUSTERS})"
            )));
        }
        let mut refs = Refs {
            refs: vec![0; nclusters as usize],
            cs,
        };
        refs.inc(0, cs);
        if !refs.inc(self.h.l1_table_offset, self.h.l1_size as u64 * 8) {
            r.corruptions += 1;
            r.messages
                .push("ERROR: L1 table lies beyond the end of the image".into());
        }
        let active = self.l1.clone();
        self.count_l1(&active, true, &mut refs, r)?;
        for s in self.snaps.clone() {
            if !refs.inc(s.l1_offset, s.l1_size as u64 * 8) {
                r.corruptions += 1;
                r.messages.push(format!(
                    "ERROR snapshot {} ({}) l1_offset={:#x}: L1 table is beyond the image end",
                    s.id, s.name, s.l1_offset
                ));
                continue;
            }
            let l1 = self.read_l1_at(s.l1_offset, s.l1_size)?;
            self.count_l1(&l1, false, &mut refs, r)?;
        }
        if self.h.nb_snapshots > 0 {
            refs.inc(
                self.h.snapshots_offset,
                super::snapshot::table_size(&self.snaps),
            );
        }
        match self.bitmap_ranges() {
            Ok(ranges) => {
                for (o, n) in ranges {
                    if !refs.inc(o, n) {
                        r.corruptions += 1;
                        r.messages.push(format!(
                            "ERROR bitmap cluster 0x{o:x} beyond the end of the image"
                        ));
                    }
                }
            }
            Err(e) => {
                r.corruptions += 1;
                r.messages.push(format!("ERROR bitmaps: {e}"));
            }
        }
        if with_refcount_structs {
            refs.inc(
                self.h.refcount_table_offset,
                self.h.refcount_table_clusters as u64 * cs,
            );
            for i in 0..self.rt.len() {
                let o = self.rt[i] & REFT_OFFSET_MASK;
                if o == 0 {
                    continue;
                }
                if !o.is_multiple_of(cs) {
                    r.corruptions += 1;
                    r.messages.push(format!("ERROR refcount block {i} is not cluster aligned; refcount table entry corrupted"));
                    continue;
                }
                if !refs.inc(o, cs) {
                    r.corruptions += 1;
                    r.messages
                        .push(format!("ERROR refcount block {i} is outside image"));
                }
            }
        }
        Ok(refs)
    }

    fn count_l1(
        &mut self,
        l1: &[u64],
        active: bool,
        refs: &mut Refs,
        r: &mut CheckReport,
    ) -> Result<()> {
        let cs = self.cs;
        let mut next_contig = 0u64;
        for &e in l1 {
            let l2 = e & L1E_OFFSET_MASK;
            if l2 == 0 {
                continue;
            }
            if !l2.is_multiple_of(cs) {
                r.corruptions += 1;
                r.messages.push(format!(
                    "ERROR l2_offset={l2:x}: Table is not cluster aligned; L1 entry corrupted"
                ));
                continue;
            }
            if !refs.inc(l2, cs) {
                r.corruptions += 1;
                r.messages.push(format!(
                    "ERROR l2_offset={l2:x}: L2 table is beyond the end of the image"
                ));
                continue;
            }
            let t = self.l2_table(l2)?.clone();
            for ent in t {
                match self.classify(ent) {
                    Ct::Compressed(o, n) => {
                        if active {
                            r.allocated_clusters = Some(r.allocated_clusters.unwrap_or(0) + 1);
                            r.compressed_clusters = Some(r.compressed_clusters.unwrap_or(0) + 1);
                            r.fragmented_clusters = Some(r.fragmented_clusters.unwrap_or(0) + 1);
                        }
                        if !refs.inc(o, n) {
                            r.corruptions += 1;
                            r.messages.push(format!(
                                "ERROR compressed cluster at {o:#x} beyond the end of the image"
                            ));
                        }
                    }
                    Ct::Normal(h) | Ct::ZeroAlloc(h) => {
                        if h % cs != 0 {
                            r.corruptions += 1;
                            r.messages.push(format!("ERROR offset={h:x}: Cluster is not properly aligned; L2 entry corrupted."));
                            continue;
                        }
                        if active {
                            r.allocated_clusters = Some(r.allocated_clusters.unwrap_or(0) + 1);
                            if next_contig != 0 && h != next_contig {
                                r.fragmented_clusters =
                                    Some(r.fragmented_clusters.unwrap_or(0) + 1);
                            }
                            next_contig = h + cs;
                        }
                        if !refs.inc(h, cs) {
                            r.corruptions += 1;
                            r.messages.push(format!(
                                "ERROR offset={h:x}: Data cluster is beyond the end of the image"
                            ));
                        }
                    }
                    _ => {}
                }
            }
        }
        Ok(())
    }

    /// Counts COPIED flags that disagree with the refcounts.
    fn check_copied(&mut self, r: &mut CheckReport) -> Result<u64> {
        let cs = self.cs;
        let mut bad = 0;
        for i in 0..self.l1.len() {
            let e = self.l1[i];
            let l2 = e & L1E_OFFSET_MASK;
            if l2 == 0 || !l2.is_multiple_of(cs) {
                continue;
            }
            let rc = self.refcount(l2 / cs)?;
            if (rc == 1) != (e & OFLAG_COPIED != 0) {
                bad += 1;
                r.messages.push(format!(
                    "ERROR OFLAG_COPIED L2 cluster: l1_index={i} l1_entry={e:x} refcount={rc}"
                ));
            }
            if l2 / cs >= self.f.len()?.div_ceil(cs) {
                continue;
            }
            let t = self.l2_table(l2)?.clone();
            for ent in t {
                if let Ct::Normal(h) | Ct::ZeroAlloc(h) = self.classify(ent) {
                    if h % cs != 0 {
                        continue;
                    }
                    let rc = self.refcount(h / cs)?;
                    if (rc == 1) != (ent & OFLAG_COPIED != 0) {
                        bad += 1;
                        r.messages.push(format!(
                            "ERROR OFLAG_COPIED data cluster: l2_entry={ent:x} refcount={rc}"
                        ));
                    }
                }
            }
        }
        Ok(bad)
    }

    pub(crate) fn run_check(&mut self, fix: Fix) -> Result<CheckReport> {
        if !self.ro {
            self.flush_meta()?;
        }
        let mut r = CheckReport {
            total_clusters: Some(self.h.size.div_ceil(self.cs)),
            ..Default::default()
        };
        let refs = self.count_refs(&mut r, true)?;
        let mut highest = 0u64;
        let mut need_rebuild = false;
        // A refcount block shared with anything else can only be fixed by
        // rebuilding the refcount structures.
        for i in 0..self.rt.len() {
            let o = self.rt[i] & REFT_OFFSET_MASK;
            if o == 0 || !o.is_multiple_of(self.cs) {
                continue;
            }
            let n = refs.refs.get((o / self.cs) as usize).copied().unwrap_or(0);
            if n > 1 {
                r.messages
                    .push(format!("ERROR refcount block {i} refcount={n}"));
                r.corruptions += 1;
                need_rebuild = true;
            }
        }
        let mut mismatch = Vec::new();
        for c in 0..refs.refs.len() as u64 {
            let disk = self.refcount(c)?;
            let want = refs.refs[c as usize] as u64;
            if disk > 0 || want > 0 {
                highest = c;
            }
            if disk != want {
                mismatch.push((c, disk, want));
                if disk == 0 {
                    need_rebuild = true;
                }
            }
        }
        if need_rebuild && fix == Fix::Leaks && !self.f.read_only {
            for &(c, disk, want) in &mismatch {
                if disk < want {
                    r.messages.push(format!(
                        "ERROR cluster {c} refcount={disk} reference={want}"
                    ));
                }
            }
            r.messages
                .push("ERROR need to rebuild refcount structures".into());
            r.failed = Some("Input/output error".into());
            r.check_errors += 1;
            return Ok(r);
        }
        let fix_leaks = fix != Fix::None;
        let fix_errors = fix == Fix::All;
        let can_fix = !self.f.read_only;
        let mut do_rebuild = false;
        for &(c, disk, want) in &mismatch {
            let fixable = can_fix && if disk < want { fix_errors } else { fix_leaks };
            if fixable {
                do_rebuild = true;
            }
            let what = if fixable && !(disk == 0 && want > 0) {
                "Repairing"
            } else if disk < want {
                "ERROR"
            } else {
                "Leaked"
            };
            r.messages.push(format!(
                "{what} cluster {c} refcount={disk} reference={want}"
            ));
            if disk < want {
                r.corruptions += 1;
                if fixable {
                    r.corruptions_fixed += 1;
                }
            } else {
                r.leaks += 1;
                if fixable {
                    r.leaks_fixed += 1;
                }
            }
        }
        if need_rebuild && fix_errors && can_fix {
            r.messages.push("Rebuilding refcount structure".into());
        }
        if do_rebuild && !need_rebuild {
            // Every mismatching cluster has a refcount block: fix in place.
            for &(c, disk, want) in &mismatch {
                let fixable = if disk < want { fix_errors } else { fix_leaks };
                if fixable {
                    let v = want.min(self.max_refcount());
                    self.set_refcount(c, v)?;
                }
            }
            self.rc_force = true;
            let res = self.flush_refcounts();
            self.rc_force = false;
            res?;
            self.f.sync()?;
            r.repaired = true;
        } else if do_rebuild {
            // Keep the on-disk value of every mismatch we may not fix.
            let keep: std::collections::HashMap<u64, u64> = mismatch
                .iter()
                .filter(|&&(_, disk, want)| if disk < want { !fix_errors } else { !fix_leaks })
                .map(|&(c, disk, _)| (c, disk))
                .collect();
            highest = self.rebuild_refcounts(&mut r, &keep)?;
        }
        let bad_copied = self.check_copied(&mut r)?;
        r.corruptions += bad_copied;
        if bad_copied > 0 && fix_errors && can_fix {
            let n = self.fix_copied()?;
            self.flush_meta()?;
            r.corruptions_fixed += n.min(bad_copied);
        }
        r.image_end_offset = Some((highest + 1) * self.cs);
        if r.allocated_clusters.is_none() {
            r.allocated_clusters = Some(0);
        }
        if r.fragmented_clusters.is_none() {
            r.fragmented_clusters = Some(0);
        }
        if r.compressed_clusters.is_none() {
            r.compressed_clusters = Some(0);
        }
        if fix_errors && can_fix && r.corruptions == r.corruptions_fixed {
            let flags = super::header::INCOMPAT_CORRUPT | super::header::INCOMPAT_DIRTY;
            if self.h.incompatible & flags != 0 {
                self.rc_force = true;
                let r = self.flush_meta();
                self.rc_force = false;
                r?;
                self.f.sync()?;
                self.dirty_marked = false;
                self.h.incompatible &= !flags;
                self.write_feature_bits()?;
                self.f.sync()?;
                self.corrupt = false;
            }
        }
        Ok(r)
    }

    /// Writes a fresh refcount table and blocks after the last used cluster,
    /// with the refcounts the metadata implies. Returns the highest used
    /// cluster afterwards.
    fn rebuild_refcounts(
        &mut self,
        r: &mut CheckReport,
        keep: &std::collections::HashMap<u64, u64>,
    ) -> Result<u64> {
        let cs = self.cs;
        let mut scratch = CheckReport::default();
        let refs = self.count_refs(&mut scratch, false)?;
        let mut counts: Vec<u16> = refs.refs;
        for (&c, &v) in keep {
            if let Some(x) = counts.get_mut(c as usize) {
                *x = v.min(u16::MAX as u64) as u16;
            }
        }
        let used_end = counts
            .iter()
            .rposition(|&x| x > 0)
            .map(|p| p as u64 + 1)
            .unwrap_or(1);
        counts.truncate(used_end as usize);
        // Never overwrite the old structures: a crash keeps the old ones valid.
        let used_end = used_end.max(self.f.len()?.div_ceil(cs));
        let epb = self.rb_entries;
        // Layout: table then blocks, starting at used_end.
        let mut rtc = 1u64;
        let mut nb;
        loop {
            let total = used_end + rtc;
            nb = 0;
            loop {
                let n = (total + nb).div_ceil(epb);
                if n == nb {
                    break;
                }
                nb = n;
            }
            let need_rtc = (nb * 8).div_ceil(cs).max(1);
            if need_rtc <= rtc {
                break;
            }
            rtc = need_rtc;
        }
        let rt_off = used_end * cs;
        let total = used_end + rtc + nb;
        counts.resize(total as usize, 0);
        for c in used_end..total {
            counts[c as usize] = 1;
        }
        let max = self.max_refcount();
        let mut table = vec![0u64; (rtc * cs / 8) as usize];
        for b in 0..nb {
            let boff = (used_end + rtc + b) * cs;
            let mut data = vec![0u8; cs as usize];
            for i in 0..epb {
                let c = b * epb + i;
                if c >= total {
                    break;
                }
                rb_set(
                    &mut data,
                    self.rc_bits,
                    i,
                    (counts[c as usize] as u64).min(max),
                );
            }
            self.f.write_at(boff, &data)?;
            table[b as usize] = boff;
        }
        let raw: Vec<u8> = table.iter().flat_map(|e| e.to_be_bytes()).collect();
        self.f.write_at(rt_off, &raw)?;
        self.f.sync()?;
        self.h.refcount_table_offset = rt_off;
        self.h.refcount_table_clusters = rtc as u32;
        self.write_header()?;
        self.rt = table;
        self.rt_dirty = false;
        self.rbc.map.clear();
        self.free_hint = 0;
        self.build_meta_map()?;
        r.repaired = true;
        let _ = Meta::RefBlock;
        Ok(total - 1)
    }
}
