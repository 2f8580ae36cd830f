//! Creating qcow2 images (qemu's layout: header, refcount table, refcount
//! block, L1 table).

use super::header::{Header, COMPAT_LAZY_REFCOUNTS, MAX_CLUSTER_BITS, MIN_CLUSTER_BITS};
use super::refcount::rb_set;
use super::{OpenOpts, Qcow2};
use crate::error::{invalid, Result};
use crate::file::HostFile;
use std::path::Path;

#[derive(Debug, Clone)]
pub struct CreateOpts {
    pub size: u64,
    pub cluster_size: u64,
    /// 2 (compat=0.10) or 3 (compat=1.1).
    pub version: u32,
    pub lazy_refcounts: bool,
    pub refcount_bits: u32,
    pub backing_file: Option<String>,
    pub backing_format: Option<String>,
    /// off, metadata, falloc, full.
    pub preallocation: String,
}

impl Default for CreateOpts {
    fn default() -> Self {
        CreateOpts {
            size: 0,
            cluster_size: 65536,
            version: 3,
            lazy_refcounts: false,
            refcount_bits: 16,
            backing_file: None,
            backing_format: None,
            preallocation: "off".into(),
        }
    }
}

pub fn create(path: &Path, o: &CreateOpts) -> Result<()> {
    let cs = o.cluster_size;
    if !cs.is_power_of_two()
        || !(MIN_CLUSTER_BITS..=MAX_CLUSTER_BITS).contains(&cs.trailing_zeros())
    {
        return invalid("Cluster size must be a power of two between 512 and 2048k");
    }
    let cb = cs.trailing_zeros();
    if !o.refcount_bits.is_power_of_two() || o.refcount_bits > 64 {
        return invalid("Refcount width must be a power of two and may not exceed 64 bits");
    }
    if o.version == 2 && o.refcount_bits != 16 {
        return invalid("Different refcount widths than 16 bits require compatibility level 1.1 or above (use compat=1.1 or greater)");
    }
    if o.version == 2 && o.lazy_refcounts {
        return invalid("Lazy refcounts only supported with compatibility level 1.1 and above (use compat=1.1 or greater)");
    }
    if o.backing_file.is_none() && o.backing_format.is_some() {
        return invalid("Backing format cannot be used without backing file");
    }
    let l2_entries = cs / 8;
    let l1_size = o.size.div_ceil(cs * l2_entries);
    if l1_size > super::header::MAX_L1_ENTRIES {
        return invalid("Image size too large for this cluster size");
    }
    let l1_clusters = (l1_size * 8).div_ceil(cs);
    let rc_bits = o.refcount_bits;
    let epb = cs * 8 / rc_bits as u64;
    // header + reftable + refblocks + L1
    let (mut rtc, mut nb) = (1u64, 1u64);
    loop {
        let total = 1 + rtc + nb + l1_clusters;
        let nb2 = total.div_ceil(epb);
        let rtc2 = (nb2 * 8).div_ceil(cs);
        if nb2 <= nb && rtc2 <= rtc {
            break;
        }
        nb = nb.max(nb2);
        rtc = rtc.max(rtc2);
    }
    let rt_off = cs;
    let rb_off = cs * (1 + rtc);
    let l1_off = cs * (1 + rtc + nb);
    let total = 1 + rtc + nb + l1_clusters;
    let mut h = Header {
        version: o.version,
        backing_file_offset: 0,
        backing_file_size: 0,
        cluster_bits: cb,
        size: o.size,
        crypt_method: 0,
        l1_size: l1_size as u32,
        l1_table_offset: l1_off,
        refcount_table_offset: rt_off,
        refcount_table_clusters: rtc as u32,
        nb_snapshots: 0,
        snapshots_offset: 0,
        incompatible: 0,
        compatible: if o.lazy_refcounts {
            COMPAT_LAZY_REFCOUNTS
        } else {
            0
        },
        autoclear: 0,
        refcount_order: rc_bits.trailing_zeros(),
        header_length: 0,
        compression_type: 0,
        backing_file: o.backing_file.clone(),
        backing_format: o.backing_format.clone(),
        unknown_ext: Vec::new(),
    };
    let hdr = h.serialize()?;
    let f = HostFile::create(path)?;
    f.write_at(0, &hdr)?;
    let mut table = vec![0u8; (rtc * cs) as usize];
    for b in 0..nb {
        table[(b * 8) as usize..(b * 8 + 8) as usize]
            .copy_from_slice(&(rb_off + b * cs).to_be_bytes());
        let mut blk = vec![0u8; cs as usize];
        for i in 0..epb {
            let c = b * epb + i;
            if c >= total {
                break;
            }
            rb_set(&mut blk, rc_bits, i, 1);
        }
        f.write_at(rb_off + b * cs, &blk)?;
    }
    f.write_at(rt_off, &table)?;
    f.write_at(l1_off, &vec![0u8; (l1_clusters * cs) as usize])?;
    f.set_len(total * cs)?;
    f.sync()?;
    drop(f);
    if o.preallocation != "off" {
        if !["metadata", "falloc", "full"].contains(&o.preallocation.as_str()) {
            return invalid(format!("Invalid parameter '{}'", o.preallocation));
        }
        let mut q = Qcow2::open(
            path,
            &OpenOpts {
                no_backing: true,
                ..Default::default()
            },
        )?;
        q.preallocate(&o.preallocation)?;
        crate::driver::BlockDriver::close(&mut q)?;
    }
    Ok(())
}
