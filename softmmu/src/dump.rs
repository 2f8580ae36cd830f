//! dump-guest-memory: the guest's RAM and vCPU registers as an ELF64
//! core file (what QEMU writes with `paging: false`, `format: elf`, and
//! what `crash`/gdb read): a PT_NOTE segment with one NT_PRSTATUS note
//! ("CORE") per vCPU, holding Linux's arm64 `struct elf_prstatus`
//! (x0-x30, sp, pc, pstate in `pr_reg`), each followed by that vCPU's
//! NT_PRFPREG (`struct user_fpsimd_state`: V0-V31, FPSR, FPCR), then one
//! PT_LOAD per RAM block
//! at its guest physical address. The machine is paused while the dump
//! is written (and runs on afterwards if it ran); with `detach` the
//! command returns at once and query-dump / DUMP_COMPLETED report the
//! end. The kdump formats are refused by name.

use crate::machine::{Event, Machine};
use serde_json::{json, Value};
use std::io::{BufWriter, Seek, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

const EHDR: u64 = 64;
const PHDR: u64 = 56;
const PT_LOAD: u32 = 1;
const PT_NOTE: u32 = 4;
const ET_CORE: u16 = 4;
const EM_AARCH64: u16 = 183;
pub const NT_PRSTATUS: u32 = 1;
pub const NT_PRFPREG: u32 = 2;
/// sizeof(struct user_fpsimd_state) on arm64: 32 128-bit registers,
/// fpsr, fpcr and 8 reserved bytes.
pub const FPSIMD_SIZE: usize = 528;
/// sizeof(struct elf_prstatus) on arm64, and where pr_reg starts in it.
pub const PRSTATUS_SIZE: usize = 392;
pub const PR_REG_OFFSET: usize = 112;
const NOTE_NAME: &[u8; 8] = b"CORE\0\0\0\0";
/// RAM is copied in pieces of this size.
const CHUNK: u64 = 1 << 20;

/// QMP's DumpQueryResult, plus the error of a failed dump.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DumpStatus {
    /// "none", "active", "completed" or "failed".
    pub status: &'static str,
    pub completed: u64,
    pub total: u64,
    pub error: Option<String>,
}

impl Default for DumpStatus {
    fn default() -> Self {
        DumpStatus {
            status: "none",
            completed: 0,
            total: 0,
            error: None,
        }
    }
}

impl DumpStatus {
    pub fn json(&self) -> Value {
        json!({ "status": self.status, "completed": self.completed, "total": self.total })
    }
}

/// The machine's last dump.
#[derive(Default)]
pub struct DumpState(Mutex<DumpStatus>);

impl DumpState {
    pub fn get(&self) -> DumpStatus {
        self.0.lock().map(|s| s.clone()).unwrap_or_default()
    }
    fn set(&self, f: impl FnOnce(&mut DumpStatus)) {
        if let Ok(mut s) = self.0.lock() {
            f(&mut s);
        }
    }
}

/// A dump-guest-memory request, checked.
#[derive(Debug, Clone)]
pub struct Request {
    pub path: PathBuf,
    pub detach: bool,
    /// Only guest physical [begin, begin+length).
    pub range: Option<(u64, u64)>,
}

/// Checks QMP's arguments: `protocol` "file:PATH" (fd: needs getfd, not
/// implemented), `paging` false, `format` elf.
pub fn request(
    protocol: &str,
    paging: bool,
    format: Option<&str>,
    detach: bool,
    range: Option<(u64, u64)>,
) -> Result<Request, String> {
    match format.unwrap_or("elf") {
        "elf" => {}
        f @ ("kdump-zlib" | "kdump-lzo" | "kdump-snappy" | "kdump-raw-zlib" | "kdump-raw-lzo"
        | "kdump-raw-snappy") => {
            return Err(format!(
                "format '{f}' is not implemented: Mimic writes ELF dumps (format 'elf')"
            ))
        }
        "win-dmp" => return Err("win-dmp is only available for x86-64 guests".into()),
        f => return Err(format!("Parameter 'format' does not accept value '{f}'")),
    }
    if paging {
        return Err(
            "paging=true is not implemented: Mimic dumps guest physical memory (paging=false)"
                .into(),
        );
    }
    let path = if let Some(p) = protocol.strip_prefix("file:") {
        if p.is_empty() {
            return Err("Invalid parameter 'protocol'".into());
        }
        PathBuf::from(p)
    } else if protocol.starts_with("fd:") {
        return Err(
            "protocol 'fd:' needs getfd, which Mimic's monitor does not implement; use 'file:PATH'"
                .into(),
        );
    } else {
        return Err("Invalid parameter 'protocol'".into());
    };
    if let Some((_, len)) = range {
        if len == 0 {
            return Err("Invalid parameter 'length'".into());
        }
    }
    Ok(Request {
        path,
        detach,
        range,
    })
}

/// The register part of one vCPU's NT_PRSTATUS note.
fn prstatus(index: usize, cpu: &target_aarch64::CpuState) -> Vec<u8> {
    let mut d = vec![0u8; PRSTATUS_SIZE];
    d[32..36].copy_from_slice(&(index as u32 + 1).to_le_bytes()); // pr_pid
    let mut regs: Vec<u64> = cpu.x.to_vec();
    regs.push(cpu.sp);
    regs.push(cpu.pc);
    regs.push(target_aarch64::system::pstate(cpu));
    for (i, r) in regs.iter().enumerate() {
        let o = PR_REG_OFFSET + 8 * i;
        d[o..o + 8].copy_from_slice(&r.to_le_bytes());
    }
    d
}

/// One vCPU's NT_PRFPREG note: Linux's arm64 `struct user_fpsimd_state`.
fn fpsimd(cpu: &target_aarch64::CpuState) -> Vec<u8> {
    let mut d = Vec::with_capacity(FPSIMD_SIZE);
    for v in &cpu.v {
        d.extend_from_slice(&v[0].to_le_bytes());
        d.extend_from_slice(&v[1].to_le_bytes());
    }
    d.extend_from_slice(&(cpu.fpsr as u32).to_le_bytes());
    d.extend_from_slice(&(cpu.fpcr as u32).to_le_bytes());
    d.resize(FPSIMD_SIZE, 0);
    d
}

/// The PT_LOAD ranges: RAM blocks clipped to `range`.
fn segments(m: &Machine, range: Option<(u64, u64)>) -> Vec<(u64, u64)> {
    m.bus
        .ram
        .iter()
        .filter_map(|r| {
            let (mut s, mut e) = (r.base, r.base + r.size);
            if let Some((b, l)) = range {
                s = s.max(b);
                e = e.min(b.saturating_add(l));
            }
            (s < e).then_some((s, e - s))
        })
        .collect()
}

fn phdr(o: &mut Vec<u8>, kind: u32, flags: u32, off: u64, addr: u64, size: u64, align: u64) {
    o.extend_from_slice(&kind.to_le_bytes());
    o.extend_from_slice(&flags.to_le_bytes());
    o.extend_from_slice(&off.to_le_bytes());
    o.extend_from_slice(&addr.to_le_bytes()); // p_vaddr (= physical: no paging)
    o.extend_from_slice(&addr.to_le_bytes()); // p_paddr
    o.extend_from_slice(&size.to_le_bytes()); // p_filesz
    o.extend_from_slice(&size.to_le_bytes()); // p_memsz
    o.extend_from_slice(&align.to_le_bytes());
}

/// A note's type and descriptor (a multiple of 4 bytes long).
type Note = (u32, Vec<u8>);

/// ELF header, program headers and `notes` of a dump of `segs`.
fn headers(notes: &[Note], segs: &[(u64, u64)]) -> (Vec<u8>, u64) {
    let phnum = 1 + segs.len() as u64;
    let note_off = EHDR + PHDR * phnum;
    let note_len: u64 = notes
        .iter()
        .map(|(_, d)| (12 + NOTE_NAME.len() + d.len()) as u64)
        .sum();
    let data_off = (note_off + note_len + 0xfff) & !0xfff;
    let mut o = Vec::with_capacity(data_off as usize);
    o.extend_from_slice(b"\x7fELF\x02\x01\x01\x00");
    o.extend_from_slice(&[0; 8]);
    o.extend_from_slice(&ET_CORE.to_le_bytes());
    o.extend_from_slice(&EM_AARCH64.to_le_bytes());
    o.extend_from_slice(&1u32.to_le_bytes()); // e_version
    o.extend_from_slice(&0u64.to_le_bytes()); // e_entry
    o.extend_from_slice(&EHDR.to_le_bytes()); // e_phoff
    o.extend_from_slice(&0u64.to_le_bytes()); // e_shoff
    o.extend_from_slice(&0u32.to_le_bytes()); // e_flags
    o.extend_from_slice(&(EHDR as u16).to_le_bytes());
    o.extend_from_slice(&(PHDR as u16).to_le_bytes());
    o.extend_from_slice(&(phnum as u16).to_le_bytes());
    o.extend_from_slice(&64u16.to_le_bytes()); // e_shentsize
    o.extend_from_slice(&0u16.to_le_bytes()); // e_shnum
    o.extend_from_slice(&0u16.to_le_bytes()); // e_shstrndx
    phdr(&mut o, PT_NOTE, 0, note_off, 0, note_len, 0);
    let mut off = data_off;
    for (base, len) in segs {
        phdr(&mut o, PT_LOAD, 7, off, *base, *len, 0);
        off += len;
    }
    for (kind, d) in notes {
        o.extend_from_slice(&5u32.to_le_bytes()); // "CORE\0"
        o.extend_from_slice(&(d.len() as u32).to_le_bytes());
        o.extend_from_slice(&kind.to_le_bytes());
        o.extend_from_slice(NOTE_NAME);
        o.extend_from_slice(d);
    }
    o.resize(data_off as usize, 0);
    (o, data_off)
}

/// Writes the dump of a paused machine whose vCPU states are `cpus`.
fn write(m: &Machine, path: &Path, cpus: &[Note], segs: &[(u64, u64)]) -> Result<(), String> {
    let f = std::fs::File::create(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut w = BufWriter::new(f);
    let (head, data_off) = headers(cpus, segs);
    let io = |e: std::io::Error| format!("{}: {e}", path.display());
    w.write_all(&head).map_err(io)?;
    for (base, len) in segs {
        let ram = m
            .bus
            .ram_at(*base)
            .ok_or_else(|| format!("no RAM at {base:#x}"))?;
        let mut done = 0;
        while done < *len {
            let n = (len - done).min(CHUNK);
            let data = ram
                .read(base + done, n as usize)
                .ok_or_else(|| format!("RAM read at {:#x} failed", base + done))?;
            w.write_all(&data).map_err(io)?;
            done += n;
            m.dump.set(|s| s.completed += n);
        }
    }
    let end = w.stream_position().map_err(io)?;
    debug_assert_eq!(end, data_off + segs.iter().map(|s| s.1).sum::<u64>());
    w.flush().map_err(io)?;
    w.into_inner()
        .map_err(|e| e.to_string())?
        .sync_all()
        .map_err(io)
}

/// The vCPUs' registers, decoded from the states they left when they
/// parked: NT_PRSTATUS and NT_PRFPREG per vCPU.
fn cpu_notes(m: &Machine) -> Result<Vec<Note>, String> {
    let per_cpu: Vec<[Note; 2]> = m
        .cpu_slots
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let saved = s
                .lock()
                .ok()
                .and_then(|s| s.saved.clone())
                .ok_or_else(|| format!("vCPU {i} left no state"))?;
            let mut cpu: Box<target_aarch64::CpuState> = Box::default();
            crate::vmstate::cpu::load(&mut cpu, &saved).map_err(|e| e.to_string())?;
            Ok([(NT_PRSTATUS, prstatus(i, &cpu)), (NT_PRFPREG, fpsimd(&cpu))])
        })
        .collect::<Result<_, String>>()?;
    Ok(per_cpu.into_iter().flatten().collect())
}

/// Pauses the machine, writes the dump, resumes it if it ran; records
/// the status and sends DUMP_COMPLETED.
fn run(m: &Machine, req: &Request, was_running: bool) -> Result<(), String> {
    let segs = segments(m, req.range);
    let r = if m.all_parked() {
        cpu_notes(m).and_then(|cpus| write(m, &req.path, &cpus, &segs))
    } else {
        Err("the vCPUs did not stop".into())
    };
    if was_running && m.resume() {
        m.emit(Event::Resume);
    }
    m.dump.set(|s| {
        s.status = if r.is_ok() { "completed" } else { "failed" };
        s.error = r.as_ref().err().cloned();
    });
    m.emit(Event::DumpCompleted(m.dump.get()));
    r
}

/// dump-guest-memory.
pub fn dump(m: &Arc<Machine>, req: Request) -> Result<(), String> {
    if m.dump.get().status == "active" {
        return Err("There is a dump in process, please wait.".into());
    }
    let total = segments(m, req.range).iter().map(|s| s.1).sum();
    if total == 0 {
        return Err("the range holds no guest RAM".into());
    }
    m.dump.set(|s| {
        *s = DumpStatus {
            status: "active",
            completed: 0,
            total,
            error: None,
        }
    });
    let was_running = m.pause();
    if was_running {
        m.emit(Event::Stop);
    }
    if !req.detach {
        return run(m, &req, was_running);
    }
    let mm = m.clone();
    std::thread::Builder::new()
        .name("dump".into())
        .spawn(move || {
            let _ = run(&mm, &req, was_running);
        })
        .map(|_| ())
        .map_err(|e| {
            m.dump.set(|s| s.status = "failed");
            format!("cannot start the dump thread: {e}")
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_are_checked() {
        assert!(request("file:/tmp/x", false, None, false, None).is_ok());
        assert!(request("file:/tmp/x", true, None, false, None)
            .unwrap_err()
            .contains("paging"));
        assert!(
            request("file:/tmp/x", false, Some("kdump-zlib"), false, None)
                .unwrap_err()
                .contains("not implemented")
        );
        assert!(request("fd:x", false, None, false, None).is_err());
        assert!(request("tcp:x", false, None, false, None).is_err());
        assert!(request("file:", false, None, false, None).is_err());
        assert!(request("file:/x", false, Some("bogus"), false, None).is_err());
    }

    #[test]
    fn headers_have_one_note_per_cpu_and_loads_at_physical_addresses() {
        let mut cpu: Box<target_aarch64::CpuState> = Box::default();
        cpu.pc = 0xffff_8000_1234_5678;
        cpu.x[3] = 33;
        cpu.v[7] = [0x0123_4567_89ab_cdef, 0xfedc_ba98_7654_3210];
        cpu.fpcr = 0x02c0_0000;
        cpu.fpsr = 0x8000_0010;
        let cpus = vec![
            (NT_PRSTATUS, prstatus(0, &cpu)),
            (NT_PRFPREG, fpsimd(&cpu)),
            (NT_PRSTATUS, prstatus(1, &cpu)),
            (NT_PRFPREG, fpsimd(&cpu)),
        ];
        let (h, data_off) = headers(&cpus, &[(0x4000_0000, 0x10000)]);
        assert_eq!(&h[..4], b"\x7fELF");
        assert_eq!(u16::from_le_bytes([h[16], h[17]]), ET_CORE);
        assert_eq!(u16::from_le_bytes([h[56], h[57]]), 2);
        let ph = |i: usize, o: usize| {
            let p = EHDR as usize + i * PHDR as usize + o;
            u64::from_le_bytes(h[p..p + 8].try_into().unwrap())
        };
        assert_eq!(ph(1, 24), 0x4000_0000); // p_paddr
        assert_eq!(ph(1, 8), data_off); // p_offset
        let note = ph(0, 8) as usize;
        assert_eq!(&h[note + 12..note + 16], b"CORE");
        let reg = |n: usize| {
            let p = note + 20 + PR_REG_OFFSET + 8 * n;
            u64::from_le_bytes(h[p..p + 8].try_into().unwrap())
        };
        assert_eq!(reg(3), 33);
        assert_eq!(reg(32), 0xffff_8000_1234_5678);
        // The NT_PRFPREG note after it: V7 at 16 * 7, FPSR and FPCR at 512.
        let fp = note + 20 + PRSTATUS_SIZE;
        let word = |p: usize| u32::from_le_bytes(h[p..p + 4].try_into().unwrap());
        assert_eq!(word(fp), 5);
        assert_eq!(word(fp + 4) as usize, FPSIMD_SIZE);
        assert_eq!(word(fp + 8), NT_PRFPREG);
        let desc = fp + 20;
        assert_eq!(
            u128::from_le_bytes(h[desc + 16 * 7..desc + 16 * 8].try_into().unwrap()),
            0xfedc_ba98_7654_3210_0123_4567_89ab_cdef
        );
        assert_eq!(word(desc + 512), 0x8000_0010);
        assert_eq!(word(desc + 516), 0x02c0_0000);
        // The second cpu's notes follow.
        assert_eq!(word(desc + FPSIMD_SIZE + 8), NT_PRSTATUS);
        assert_eq!(
            ph(0, 32) as usize,
            2 * (2 * 20 + PRSTATUS_SIZE + FPSIMD_SIZE)
        );
    }
}
