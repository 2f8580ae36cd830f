//! The kuser helper page: the kernel maps a page at 0xffff0000 whose top
//! holds small routines user space calls at fixed addresses (the
//! documented ABI of Documentation/arm/kernel_user_helpers.rst):
//!
//! | address    | helper                                       |
//! |------------|----------------------------------------------|
//! | 0xffff0ffc | `__kuser_helper_version` (a word: 5 slots)   |
//! | 0xffff0fe0 | `__kuser_get_tls`: r0 = TPIDRURO             |
//! | 0xffff0fc0 | `__kuser_cmpxchg(old, new, ptr)`: r0 = 0, C=1 on success |
//! | 0xffff0fa0 | `__kuser_memory_barrier`                     |
//! | 0xffff0f60 | `__kuser_cmpxchg64(&old, &new, ptr)`         |
//!
//! Mimic maps it as ordinary read+execute guest memory holding A32 code
//! (LDREX/STREX loops, so the atomicity is the translator's).

use crate::space::GuestSpace;

/// Start of the helper page (and the end of the stack).
pub const PAGE: u64 = 0xffff_0000;

/// `__kuser_cmpxchg64` at 0xffff0f60.
const CMPXCHG64: [u32; 12] = [
    0xe92d_00f0, // push    {r4, r5, r6, r7}
    0xe1c0_40d0, // ldrd    r4, r5, [r0]
    0xe1c1_60d0, // ldrd    r6, r7, [r1]
    0xe1b2_0f9f, // 1: ldrexd r0, r1, [r2]
    0xe030_3004, // eors    r3, r0, r4
    0x0031_3005, // eorseq  r3, r1, r5
    0x01a2_3f96, // strexdeq r3, r6, r7, [r2]
    0x0333_0001, // teqeq   r3, #1
    0x0aff_fff9, // beq     1b
    0xe273_0000, // rsbs    r0, r3, #0
    0xe8bd_00f0, // pop     {r4, r5, r6, r7}
    0xe12f_ff1e, // bx      lr
];
/// `__kuser_memory_barrier` at 0xffff0fa0.
const BARRIER: [u32; 2] = [
    0xf57f_f05b, // dmb ish
    0xe12f_ff1e, // bx lr
];
/// `__kuser_cmpxchg` at 0xffff0fc0.
const CMPXCHG: [u32; 7] = [
    0xe192_3f9f, // 1: ldrex r3, [r2]
    0xe053_3000, // subs    r3, r3, r0
    0x0182_3f91, // strexeq r3, r1, [r2]
    0x0333_0001, // teqeq   r3, #1
    0x0aff_fffa, // beq     1b
    0xe273_0000, // rsbs    r0, r3, #0
    0xe12f_ff1e, // bx      lr
];
/// `__kuser_get_tls` at 0xffff0fe0.
const GET_TLS: [u32; 2] = [
    0xee1d_0f70, // mrc p15, 0, r0, c13, c0, 3
    0xe12f_ff1e, // bx lr
];

/// The page's contents.
pub fn image() -> Vec<u8> {
    let mut page = vec![0u8; 4096];
    let mut put = |off: usize, words: &[u32]| {
        for (i, w) in words.iter().enumerate() {
            page[off + 4 * i..off + 4 * i + 4].copy_from_slice(&w.to_le_bytes());
        }
    };
    put(0xf60, &CMPXCHG64);
    put(0xfa0, &BARRIER);
    put(0xfc0, &CMPXCHG);
    put(0xfe0, &GET_TLS);
    put(0xffc, &[5]);
    page
}

/// Maps the helper page (read + execute).
pub fn map(space: &GuestSpace) -> Result<(), String> {
    let flags = libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_FIXED;
    space
        .mmap(PAGE, 4096, libc::PROT_READ | libc::PROT_WRITE, flags, -1, 0)
        .map_err(|e| format!("cannot map the kuser helper page: {e:?}"))?;
    space
        .write(PAGE, &image())
        .map_err(|e| format!("cannot write the kuser helper page: {e:?}"))?;
    space
        .mprotect(PAGE, 4096, libc::PROT_READ | libc::PROT_EXEC)
        .map_err(|e| format!("cannot protect the kuser helper page: {e:?}"))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn layout() {
        let p = super::image();
        assert_eq!(u32::from_le_bytes(p[0xffc..].try_into().unwrap()), 5);
        assert_eq!(
            u32::from_le_bytes(p[0xfe0..0xfe4].try_into().unwrap()),
            0xee1d_0f70
        );
        // Each helper fits its 32-byte slot (cmpxchg64 has two).
        assert!(super::CMPXCHG64.len() * 4 <= 64);
        assert!(super::CMPXCHG.len() * 4 <= 32);
    }
}
