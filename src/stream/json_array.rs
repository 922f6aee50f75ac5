//! Placeholder json_array decoder.
use super::{Frame, FrameDecoder, FrameError};

/// json_array decoder.
pub struct JsonArrayDecoder {
    buf: Vec<u8>,
    max: usize,
}

impl JsonArrayDecoder {
    /// New decoder with an event-size cap.
    pub fn new(max: usize) -> Self {
        JsonArrayDecoder {
            buf: Vec::new(),
            max,
        }
    }
}

impl FrameDecoder for JsonArrayDecoder {
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
