//! Compressed `-kernel` files: a gzip'd Image (`Image.gz`) is inflated
//! before loading; other compressions Linux builds use (bzip2, xz, lzma,
//! lz4, lzo, zstd) are recognised by their magic and refused by name.

use crate::loader::LoadError;
use std::io::Read;

/// The compression `data` starts with, if any.
pub fn compression(data: &[u8]) -> Option<&'static str> {
    const MAGICS: &[(&[u8], &str)] = &[
        (&[0x1f, 0x8b], "gzip"),
        (b"BZh", "bzip2"),
        (&[0xfd, b'7', b'z', b'X', b'Z', 0], "xz"),
        (&[0x5d, 0, 0], "lzma"),
        (&[0x02, 0x21, 0x4c, 0x18], "lz4"),
        (&[0x89, b'L', b'Z', b'O'], "lzo"),
        (&[0x28, 0xb5, 0x2f, 0xfd], "zstd"),
    ];
    MAGICS
        .iter()
        .find(|(m, _)| data.starts_with(m))
        .map(|(_, n)| *n)
}

/// Inflates a gzip'd kernel (at most `limit` bytes: the RAM size);
/// anything uncompressed is returned as it is.
pub fn unpack(name: &str, data: Vec<u8>, limit: u64) -> Result<Vec<u8>, LoadError> {
    match compression(&data) {
        None => Ok(data),
        Some("gzip") => {
            let mut out = Vec::new();
            flate2::read::MultiGzDecoder::new(&data[..])
                .take(limit + 1)
                .read_to_end(&mut out)
                .map_err(|e| LoadError::BadGzip(name.into(), e.to_string()))?;
            if out.len() as u64 > limit {
                return Err(LoadError::NoRoom(name.into(), limit));
            }
            if let Some(c) = compression(&out) {
                return Err(LoadError::Compressed(name.into(), c));
            }
            Ok(out)
        }
        Some(c) => Err(LoadError::Compressed(name.into(), c)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn inflates_gzip_and_names_the_rest() {
        let plain = b"ARM\x64 kernel bytes".repeat(100);
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(&plain).unwrap();
        let gz = gz.finish().unwrap();
        assert_eq!(unpack("k", gz.clone(), 1 << 20).unwrap(), plain);
        assert!(matches!(
            unpack("k", gz.clone(), 100),
            Err(LoadError::NoRoom(..))
        ));
        let mut cut = gz.clone();
        cut.truncate(gz.len() / 2);
        assert!(matches!(
            unpack("k", cut, 1 << 20),
            Err(LoadError::BadGzip(..))
        ));
        let xz = b"\xfd7zXZ\0rest".to_vec();
        let e = unpack("k.xz", xz, 1 << 20).unwrap_err().to_string();
        assert!(e.contains("xz-compressed"), "{e}");
        assert_eq!(unpack("k", b"plain".to_vec(), 10).unwrap(), b"plain");
    }
}
