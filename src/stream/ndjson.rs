//! Placeholder ndjson decoder.
use super::{Frame, FrameDecoder, FrameError};

/// ndjson decoder.
pub struct NdjsonDecoder {
    buf: Vec<u8>,
    max: usize,
}

impl NdjsonDecoder {
    /// New decoder with an event-size cap.
    pub fn new(max: usize) -> Self {
        NdjsonDecoder {
            buf: Vec::new(),
            max,
        }
    }
}

impl FrameDecoder for NdjsonDecoder {
    fn feed(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
    }
    fn next_frame(&mut self) -> Option<Result<Frame, FrameError>> {
        let _ = self.max;
        None
    }
    fn finish(&mut self) -> Option<Result<Frame, FrameError>> {
        None
    }
    fn buffered(&self) -> usize {
        self.buf.len()
    }
}
