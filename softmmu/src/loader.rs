//! Loading what `-kernel`, `-initrd` and `-dtb` name into guest RAM, per
//! Linux's Documentation/arch/arm64/booting.rst: an arm64 `Image` (64-byte
//! header, magic "ARM\x64" at 56) goes to a 2 MiB-aligned base plus its
//! text_offset; an ELF file's loadable segments go to their physical
//! addresses (bare-metal programs), entry at e_entry. Compressed files
//! are inflated first (`unpack.rs`).

use crate::memory::Ram;

#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error(
        "{0}: {1}-compressed kernels are not supported: decompress it first (gzip'd Images are)"
    )]
    Compressed(String, &'static str),
    #[error("{0}: bad gzip data: {1}")]
    BadGzip(String, String),
    #[error("{0}: neither an arm64 Image nor an ELF file")]
    Unknown(String),
    #[error("{0}: does not fit in guest RAM at {1:#x}")]
    NoRoom(String, u64),
    #[error("{0}: bad ELF file: {1}")]
    Elf(String, String),
}

/// Where the kernel went.
#[derive(Debug, Clone, Copy)]
pub struct Kernel {
    pub entry: u64,
    /// First byte after the kernel's memory footprint (image_size or the
    /// highest segment end).
    pub end: u64,
}

const IMAGE_MAGIC: u32 = 0x644d_5241;

/// Copies the kernel into RAM; returns where it went.
pub fn load_kernel(ram: &Ram, name: &str, data: &[u8]) -> Result<Kernel, LoadError> {
    place_kernel(ram, name, data, true)
}

/// Where `load_kernel` would put the kernel, without copying it (the
/// boot places it once, when the machine starts).
pub fn kernel_extent(ram: &Ram, name: &str, data: &[u8]) -> Result<Kernel, LoadError> {
    place_kernel(ram, name, data, false)
}

fn place_kernel(ram: &Ram, name: &str, data: &[u8], write: bool) -> Result<Kernel, LoadError> {
    let put = |pa: u64, bytes: &[u8]| {
        if write {
            ram.write(pa, bytes)
        } else {
            ram.contains(pa, bytes.len() as u64)
        }
    };
    if let Some(c) = crate::unpack::compression(data) {
        // (`unpack::unpack` inflates gzip before this.)
        return Err(LoadError::Compressed(name.into(), c));
    }
    if data.len() >= 64
        && u32::from_le_bytes(data[56..60].try_into().unwrap_or_default()) == IMAGE_MAGIC
    {
        let le = |o: usize| u64::from_le_bytes(data[o..o + 8].try_into().unwrap_or_default());
        let (mut text_offset, image_size) = (le(8), le(16));
        if image_size == 0 {
            // Kernels before 3.17 leave image_size 0 and mean 0x80000.
            text_offset = 0x80000;
        }
        let base = (ram.base + 0x1f_ffff) & !0x1f_ffff;
        let load = base + text_offset;
        if !put(load, data) {
            return Err(LoadError::NoRoom(name.into(), load));
        }
        let size = image_size.max(data.len() as u64);
        return Ok(Kernel {
            entry: load,
            end: load + size,
        });
    }
    if data.starts_with(b"\x7fELF") {
        let elf = goblin::elf::Elf::parse(data)
            .map_err(|e| LoadError::Elf(name.into(), e.to_string()))?;
        let mut end = 0;
        for ph in elf
            .program_headers
            .iter()
            .filter(|p| p.p_type == goblin::elf::program_header::PT_LOAD)
        {
            let off = ph.p_offset as usize;
            let fsz = ph.p_filesz as usize;
            let bytes = data
                .get(off..off + fsz)
                .ok_or_else(|| LoadError::Elf(name.into(), "segment past end of file".into()))?;
            if !put(ph.p_paddr, bytes) {
                return Err(LoadError::NoRoom(name.into(), ph.p_paddr));
            }
            let bss = (ph.p_memsz as usize).saturating_sub(fsz);
            let at = ph.p_paddr + fsz as u64;
            let fits = if write {
                ram.write(at, &vec![0u8; bss])
            } else {
                ram.contains(at, bss as u64)
            };
            if !fits {
                return Err(LoadError::NoRoom(name.into(), ph.p_paddr));
            }
            end = end.max(ph.p_paddr + ph.p_memsz);
        }
        return Ok(Kernel {
            entry: elf.entry,
            end,
        });
    }
    Err(LoadError::Unknown(name.into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_goes_to_text_offset_and_rejects_garbage() {
        let ram = Ram::new(0x4000_0000, 4 << 20).unwrap();
        let mut img = vec![0u8; 4096];
        img[8..16].copy_from_slice(&0x1000u64.to_le_bytes());
        img[16..24].copy_from_slice(&0x10000u64.to_le_bytes());
        img[56..60].copy_from_slice(&IMAGE_MAGIC.to_le_bytes());
        img[64] = 0xaa;
        let planned = kernel_extent(&ram, "k", &img).unwrap();
        assert_eq!(ram.read(0x4000_1040, 1).unwrap()[0], 0, "copied early");
        let k = load_kernel(&ram, "k", &img).unwrap();
        assert_eq!((planned.entry, planned.end), (k.entry, k.end));
        assert_eq!(k.entry, 0x4000_1000);
        assert_eq!(k.end, 0x4001_1000);
        assert_eq!(ram.read(0x4000_1040, 1).unwrap()[0], 0xaa);
        assert!(matches!(
            load_kernel(&ram, "x", b"hello"),
            Err(LoadError::Unknown(_))
        ));
        assert!(matches!(
            load_kernel(&ram, "x", &[0x1f, 0x8b, 8]),
            Err(LoadError::Compressed(_, "gzip"))
        ));
    }
}
