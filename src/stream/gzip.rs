//! Incremental gzip inflation, bounded (placeholder on main; the stream work replaces it).

use std::io::{Read, Write};

/// Inflates a gzip stream chunk by chunk.
pub struct GzipInflater {
    inner: flate2::write::GzDecoder<Vec<u8>>,
    max: usize,
    total: usize,
}

impl GzipInflater {
    /// New inflater refusing more than `max` output bytes in all.
    pub fn new(max: usize) -> Self {
        GzipInflater {
            inner: flate2::write::GzDecoder::new(Vec::new()),
            max,
            total: 0,
        }
    }

    /// Feeds compressed bytes; returns what inflated so far.
    pub fn feed(&mut self, bytes: &[u8]) -> Result<Vec<u8>, String> {
        self.inner.write_all(bytes).map_err(|e| e.to_string())?;
        let out = std::mem::take(self.inner.get_mut());
        self.total = self.total.saturating_add(out.len());
        if self.total > self.max {
            return Err(format!("inflated body larger than {} bytes", self.max));
        }
        Ok(out)
    }

    /// Inflates a whole body.
    pub fn inflate_all(mut self, bytes: &[u8]) -> Result<Vec<u8>, String> {
        let mut out = Vec::new();
        let mut d = flate2::read::GzDecoder::new(bytes).take(self.max as u64 + 1);
        d.read_to_end(&mut out).map_err(|e| e.to_string())?;
        if out.len() > self.max {
            return Err(format!("inflated body larger than {} bytes", self.max));
        }
        self.total = out.len();
        Ok(out)
    }
}

/// Gzip-compresses a body (for clients that accept gzip).
pub fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    if enc.write_all(bytes).is_err() {
        return bytes.to_vec();
    }
    enc.finish().unwrap_or_else(|_| bytes.to_vec())
}
