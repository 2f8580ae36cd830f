//! Sequential `Write`/`Read` over a drive's VM state area (the block
//! driver's `vm_state_write`/`vm_state_read`), buffered in large chunks.

use block::BlockDriver;
use std::io::{self, Read, Write};

const CHUNK: usize = 4 << 20;

fn io_err(e: block::BlockError) -> io::Error {
    io::Error::other(e.to_string())
}

pub struct AreaWriter<'a> {
    drv: &'a mut dyn BlockDriver,
    pos: u64,
    buf: Vec<u8>,
}

impl<'a> AreaWriter<'a> {
    pub fn new(drv: &'a mut dyn BlockDriver) -> AreaWriter<'a> {
        AreaWriter {
            drv,
            pos: 0,
            buf: Vec::with_capacity(CHUNK),
        }
    }
    /// Writes what is buffered; returns the bytes written in all.
    pub fn finish(mut self) -> io::Result<u64> {
        self.flush()?;
        Ok(self.pos)
    }
}

impl Write for AreaWriter<'_> {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        let n = data.len().min(CHUNK - self.buf.len());
        self.buf.extend_from_slice(&data[..n]);
        if self.buf.len() == CHUNK {
            self.flush()?;
        }
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        if !self.buf.is_empty() {
            self.drv
                .vm_state_write(self.pos, &self.buf)
                .map_err(io_err)?;
            self.pos += self.buf.len() as u64;
            self.buf.clear();
        }
        Ok(())
    }
}

pub struct AreaReader<'a> {
    drv: &'a mut dyn BlockDriver,
    /// Next offset to fetch, and the end of the state.
    pos: u64,
    size: u64,
    buf: Vec<u8>,
    at: usize,
}

impl<'a> AreaReader<'a> {
    pub fn new(drv: &'a mut dyn BlockDriver, size: u64) -> AreaReader<'a> {
        AreaReader {
            drv,
            pos: 0,
            size,
            buf: Vec::new(),
            at: 0,
        }
    }
}

impl Read for AreaReader<'_> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if self.at == self.buf.len() {
            let n = ((self.size - self.pos) as usize).min(CHUNK);
            if n == 0 {
                return Ok(0);
            }
            self.buf.resize(n, 0);
            self.drv
                .vm_state_read(self.pos, &mut self.buf)
                .map_err(io_err)?;
            self.pos += n as u64;
            self.at = 0;
        }
        let n = out.len().min(self.buf.len() - self.at);
        out[..n].copy_from_slice(&self.buf[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}
