//! The block layer's error type.

use std::io;

/// Everything a block driver or `mimic img` can fail with.
#[derive(Debug, thiserror::Error)]
pub enum BlockError {
    #[error("{0}")]
    Io(#[from] io::Error),
    /// The image's metadata is inconsistent; the image was (or must be) marked
    /// corrupt. Run `mimic img check -r all`.
    #[error("image is corrupt: {0}; run 'mimic img check -r all' to repair it")]
    Corrupt(String),
    /// The file is not a valid image of the format (bad header, bad field).
    #[error("invalid image: {0}")]
    Invalid(String),
    #[error("operation not supported: {0}")]
    Unsupported(String),
    #[error("request [{offset}, +{len}) is beyond the end of the image ({size} bytes)")]
    OutOfRange { offset: u64, len: u64, size: u64 },
    #[error("image is opened read-only")]
    ReadOnly,
    #[error("{0}")]
    Other(String),
}

pub type Result<T> = std::result::Result<T, BlockError>;

/// Shorthand for an `Invalid` error.
pub fn invalid<T>(msg: impl Into<String>) -> Result<T> {
    Err(BlockError::Invalid(msg.into()))
}

/// Shorthand for an `Other` error.
pub fn other<T>(msg: impl Into<String>) -> Result<T> {
    Err(BlockError::Other(msg.into()))
}

impl BlockError {
    /// The host errno this error stands for (EIO when it is not an OS
    /// error), as QEMU's error events and policies see it.
    pub fn errno(&self) -> i32 {
        match self {
            BlockError::Io(e) => e.raw_os_error().unwrap_or(5),
            BlockError::ReadOnly => 30,       // EROFS
            BlockError::Unsupported(_) => 95, // ENOTSUP
            _ => 5,                           // EIO
        }
    }
}
