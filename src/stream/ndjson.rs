//! Incremental NDJSON decoder (`application/x-ndjson`, `application/stream+json`,
//! `application/jsonl`): one JSON value per line, as Ollama and Cohere stream
//! (docs/kong-compatibility.md §10; ndjson.org "NDJSON spec" 1.0: LF separated, CRLF tolerated).
//!
//! Fixes Kong's "flat JSON" splitter (docs/kong-compatibility.md §10), which had
//! no partial-line buffering: a line split across chunks is kept until its LF arrives. Blank
//! (whitespace-only) lines are skipped; the last line without its LF is delivered at `finish`.
//! Lines are not parsed here: each one becomes [`Frame::Json`] and the provider translator
//! parses it with its typed model.
//!
//! Memory: only the unfinished line is kept; the LF search resumes where it stopped. A line over
//! `max_event` bytes ends the stream with [`FrameError::TooLarge`].

use super::sse::{find_either, shrink_if_oversized};
use super::{Frame, FrameDecoder, FrameError};

/// Decoder for newline-delimited JSON.
#[derive(Debug)]
pub struct NdjsonDecoder {
    /// Unprocessed bytes from `pos` on.
    buf: Vec<u8>,
    /// Start of the current line.
    pos: usize,
    /// Where the LF search resumes.
    scan: usize,
    /// `finish` was called.
    eof: bool,
    /// An error or the end was returned.
    closed: bool,
    /// Cap on one line.
    max: usize,
}

impl NdjsonDecoder {
    /// A decoder whose lines may not exceed `max_event` bytes.
    pub fn new(max_event: usize) -> Self {
        NdjsonDecoder {
            buf: Vec::new(),
            pos: 0,
            scan: 0,
            eof: false,
            closed: false,
            max: max_event,
        }
    }

    fn compact(&mut self) {
        if self.pos > 0 {
            self.buf.drain(..self.pos);
            self.scan = self.scan.saturating_sub(self.pos);
            self.pos = 0;
        }
        shrink_if_oversized(&mut self.buf);
    }

    fn close(&mut self) {
        self.closed = true;
        self.buf = Vec::new();
        self.pos = 0;
        self.scan = 0;
    }
}

impl FrameDecoder for NdjsonDecoder {
    fn feed(&mut self, bytes: &[u8]) {
        if self.closed || self.eof {
            return;
        }
        self.compact();
        self.buf.extend_from_slice(bytes);
    }

    fn next_frame(&mut self) -> Option<Result<Frame, FrameError>> {
        if self.closed {
            return None;
        }
        loop {
            let rest = self.buf.get(self.scan..).unwrap_or_default();
            let (end, next) = match find_either(rest, b'\n', b'\n') {
                Some(i) => (self.scan + i, self.scan + i + 1),
                None => {
                    self.scan = self.buf.len();
                    if self.buf.len() - self.pos > self.max {
                        self.close();
                        return Some(Err(FrameError::TooLarge { limit: self.max }));
                    }
                    if !self.eof {
                        self.compact();
                        return None;
                    }
                    let line = trim(self.buf.get(self.pos..).unwrap_or_default()).to_vec();
                    self.close();
                    return (!line.is_empty()).then_some(Ok(Frame::Json(line)));
                }
            };
            let line = self.buf.get(self.pos..end).unwrap_or_default();
            if line.len() > self.max {
                self.close();
                return Some(Err(FrameError::TooLarge { limit: self.max }));
            }
            // Trimming also removes the CR of a CRLF line end.
            let line = trim(line);
            let frame = (!line.is_empty()).then(|| Frame::Json(line.to_vec()));
            self.pos = next;
            self.scan = next;
            if let Some(frame) = frame {
                return Some(Ok(frame));
            }
        }
    }

    fn finish(&mut self) -> Option<Result<Frame, FrameError>> {
        self.eof = true;
        self.next_frame()
    }

    fn buffered(&self) -> usize {
        self.buf.len()
    }
}

/// The line without JSON whitespace (space, tab, CR, LF) at either end.
pub(crate) fn trim(line: &[u8]) -> &[u8] {
    let is_ws = |b: &u8| matches!(b, b' ' | b'\t' | b'\r' | b'\n');
    let start = line.iter().position(|b| !is_ws(b)).unwrap_or(line.len());
    let end = line
        .iter()
        .rposition(|b| !is_ws(b))
        .map_or(start, |i| i + 1);
    line.get(start..end).unwrap_or_default()
}
