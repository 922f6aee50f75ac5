//! Incremental `text/event-stream` decoder, per the WHATWG HTML standard §9.2.6 "Interpreting
//! an event stream" (the grammar every provider's SSE follows), fixing Kong's parser bugs
//! (docs/kong-compatibility.md §10):
//!
//! - line ends are LF, CRLF or a lone CR; a CR that ends one chunk and the LF that starts the
//!   next are one line end (the `skip_lf` flag), so CRLF streams split anywhere still work;
//! - `data:` lines of one event are joined with `\n` (Kong kept only the last one);
//! - one optional space after the colon is stripped (not all leading whitespace);
//! - `:` comment lines, `id:`, `retry:` and unknown fields are ignored; a UTF-8 BOM at the very
//!   start of the stream is skipped;
//! - an event is dispatched on a blank line, and at `finish` a last event without its blank line
//!   is still delivered (Kong dropped it; providers sometimes omit the final blank line);
//! - events with empty data and no `event:` name are skipped (WHATWG skips empty data; an event
//!   that names itself is kept so translators can see e.g. a bare `event: ping`).
//!
//! Memory: only the unfinished line and the event being built are kept. Bytes already turned
//! into lines are dropped (`compact`), and the line-end search resumes where it stopped
//! (`scan`), so no byte is scanned twice however the stream is chunked. An event whose joined
//! data grows over `max_event`, or any single line over `max_event` + 8, ends the stream with
//! [`FrameError::TooLarge`] (two separate checks, so the outcome is the same for every chunking
//! and memory stays within about twice the cap).

use super::{Frame, FrameDecoder, FrameError};

/// UTF-8 byte order mark, skipped once at stream start (WHATWG: "one leading U+FEFF").
const BOM: &[u8] = b"\xEF\xBB\xBF";

/// Decoder for `text/event-stream`.
#[derive(Debug)]
pub struct SseDecoder {
    /// Unprocessed bytes from `pos` on; `..pos` is consumed and dropped at the next compaction.
    buf: Vec<u8>,
    /// Start of the current (unfinished) line.
    pos: usize,
    /// Where the line-end search resumes (`pos <= scan <= buf.len()`).
    scan: usize,
    /// The event being built.
    pending: PendingEvent,
    /// The last line ended with a CR that was the last byte seen: a LF right after it is part
    /// of the same line end.
    skip_lf: bool,
    /// Nothing processed yet: a BOM may still come.
    at_start: bool,
    /// `finish` was called: the unfinished line and event are complete.
    eof: bool,
    /// An error was returned or the end was reached: nothing more comes out.
    closed: bool,
    /// Cap on one event's joined data (and, plus 8, on one line).
    max: usize,
}

/// The WHATWG "data buffer" and "event type buffer".
#[derive(Debug, Default)]
struct PendingEvent {
    data: Vec<u8>,
    has_data: bool,
    event: Option<String>,
}

/// What one line did to the pending event.
enum LineOutcome {
    /// A field was applied or the line ignored.
    Continue,
    /// A blank line: dispatch the pending event.
    Dispatch,
    /// The event data would exceed the cap.
    TooLarge,
}

impl SseDecoder {
    /// A decoder whose event data and lines may not exceed `max_event` bytes.
    pub fn new(max_event: usize) -> Self {
        SseDecoder {
            buf: Vec::new(),
            pos: 0,
            scan: 0,
            pending: PendingEvent::default(),
            skip_lf: false,
            at_start: true,
            eof: false,
            closed: false,
            max: max_event,
        }
    }

    /// Drops consumed bytes so only the unfinished line stays in memory.
    fn compact(&mut self) {
        if self.pos > 0 {
            self.buf.drain(..self.pos);
            self.scan = self.scan.saturating_sub(self.pos);
            self.pos = 0;
        }
        shrink_if_oversized(&mut self.buf);
    }

    fn fail(&mut self, err: FrameError) -> Option<Result<Frame, FrameError>> {
        self.closed = true;
        self.buf = Vec::new();
        self.pos = 0;
        self.scan = 0;
        self.pending = PendingEvent::default();
        Some(Err(err))
    }

    /// Skips a BOM at stream start; `false` when more bytes are needed to decide.
    fn skip_bom(&mut self) -> bool {
        let head = self.buf.get(self.pos..).unwrap_or_default();
        if head.len() < BOM.len() && BOM.starts_with(head) && !self.eof {
            return false;
        }
        if head.starts_with(BOM) {
            self.pos += BOM.len();
            self.scan = self.pos;
        }
        self.at_start = false;
        true
    }

    /// The pending event as a frame, if it is one to deliver; resets it.
    fn take_event(&mut self) -> Option<Frame> {
        let ev = std::mem::take(&mut self.pending);
        if ev.data.is_empty() && ev.event.is_none() {
            return None;
        }
        Some(Frame::Sse {
            event: ev.event,
            data: into_string(ev.data),
        })
    }
}

impl FrameDecoder for SseDecoder {
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
            if self.at_start && !self.skip_bom() {
                return None;
            }
            if self.skip_lf {
                match self.buf.get(self.pos) {
                    Some(b'\n') => {
                        self.pos += 1;
                        self.scan = self.scan.max(self.pos);
                        self.skip_lf = false;
                    }
                    Some(_) => self.skip_lf = false,
                    None if self.eof => self.skip_lf = false,
                    None => {}
                }
            }
            let rest = self.buf.get(self.scan..).unwrap_or_default();
            let (line_end, next) = match find_either(rest, b'\n', b'\r') {
                Some(i) => {
                    let end = self.scan + i;
                    let mut next = end + 1;
                    if self.buf.get(end) == Some(&b'\r') {
                        match self.buf.get(next) {
                            Some(b'\n') => next += 1,
                            Some(_) => {}
                            None => self.skip_lf = true,
                        }
                    }
                    (end, next)
                }
                None => {
                    self.scan = self.buf.len();
                    // Checked on the line alone (not with the data so far), like a complete
                    // line in `apply_line`, so the outcome does not depend on the chunking.
                    if self.buf.len() - self.pos > line_cap(self.max) {
                        let limit = self.max;
                        return self.fail(FrameError::TooLarge { limit });
                    }
                    if !self.eof {
                        self.compact();
                        return None;
                    }
                    // End of stream: the unfinished line is a line, and the pending event is
                    // delivered even without its blank line.
                    let line = self.buf.get(self.pos..).unwrap_or_default();
                    if !line.is_empty() {
                        if let LineOutcome::TooLarge = apply_line(line, &mut self.pending, self.max)
                        {
                            let limit = self.max;
                            return self.fail(FrameError::TooLarge { limit });
                        }
                    }
                    let frame = self.take_event();
                    self.closed = true;
                    self.buf = Vec::new();
                    self.pos = 0;
                    self.scan = 0;
                    return frame.map(Ok);
                }
            };
            let line = self.buf.get(self.pos..line_end).unwrap_or_default();
            let outcome = apply_line(line, &mut self.pending, self.max);
            self.pos = next;
            self.scan = next;
            match outcome {
                LineOutcome::Continue => {}
                LineOutcome::Dispatch => {
                    if let Some(frame) = self.take_event() {
                        return Some(Ok(frame));
                    }
                }
                LineOutcome::TooLarge => {
                    let limit = self.max;
                    return self.fail(FrameError::TooLarge { limit });
                }
            }
        }
    }

    fn finish(&mut self) -> Option<Result<Frame, FrameError>> {
        self.eof = true;
        self.next_frame()
    }

    fn buffered(&self) -> usize {
        self.buf.len() + self.pending.data.len()
    }
}

/// The longest line accepted: room for a field name (`data: `) before a value at the cap.
fn line_cap(max: usize) -> usize {
    max.saturating_add(8)
}

/// Applies one line (without its line end) to the pending event (WHATWG "process the field").
fn apply_line(line: &[u8], ev: &mut PendingEvent, max: usize) -> LineOutcome {
    if line.is_empty() {
        return LineOutcome::Dispatch;
    }
    if line.len() > line_cap(max) {
        return LineOutcome::TooLarge;
    }
    if line.first() == Some(&b':') {
        return LineOutcome::Continue;
    }
    let (name, value) = match line.iter().position(|&b| b == b':') {
        Some(i) => {
            let name = line.get(..i).unwrap_or_default();
            let mut value = line.get(i + 1..).unwrap_or_default();
            if value.first() == Some(&b' ') {
                value = value.get(1..).unwrap_or_default();
            }
            (name, value)
        }
        None => (line, &[][..]),
    };
    match name {
        b"data" => {
            let extra = usize::from(ev.has_data);
            if ev
                .data
                .len()
                .saturating_add(value.len())
                .saturating_add(extra)
                > max
            {
                return LineOutcome::TooLarge;
            }
            if ev.has_data {
                ev.data.push(b'\n');
            }
            ev.data.extend_from_slice(value);
            ev.has_data = true;
        }
        b"event" => {
            ev.event = if value.is_empty() {
                None
            } else {
                Some(String::from_utf8_lossy(value).into_owned())
            };
        }
        // `id`, `retry` and unknown fields carry nothing a translator needs.
        _ => {}
    }
    LineOutcome::Continue
}

/// Bytes as text; invalid UTF-8 is replaced (WHATWG decodes event streams as UTF-8 with
/// replacement), never a failure.
pub(crate) fn into_string(bytes: Vec<u8>) -> String {
    match String::from_utf8(bytes) {
        Ok(s) => s,
        Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
    }
}

/// Gives back memory after one oversized chunk, so a decoder's footprint follows the largest
/// live event, not the largest chunk ever fed.
pub(crate) fn shrink_if_oversized(buf: &mut Vec<u8>) {
    const KEEP: usize = 16 * 1024;
    if buf.capacity() > KEEP && buf.capacity() / 4 > buf.len() {
        buf.shrink_to(buf.len().max(KEEP));
    }
}

/// Position of the first `a` or `b` in `hay`, eight bytes at a time (SWAR: a byte equal to the
/// target becomes zero after XOR, and `(x - 0x01…) & !x & 0x80…` flags zero bytes; the lowest
/// flag is always exact, which is the one taken).
pub(crate) fn find_either(hay: &[u8], a: u8, b: u8) -> Option<usize> {
    const LO: u64 = 0x0101_0101_0101_0101;
    const HI: u64 = 0x8080_8080_8080_8080;
    let (pa, pb) = (LO * u64::from(a), LO * u64::from(b));
    let mut words = hay.chunks_exact(8);
    let mut base = 0;
    for word in &mut words {
        let w = u64::from_le_bytes(<[u8; 8]>::try_from(word).unwrap_or_default());
        let (xa, xb) = (w ^ pa, w ^ pb);
        let hits = ((xa.wrapping_sub(LO) & !xa) | (xb.wrapping_sub(LO) & !xb)) & HI;
        if hits != 0 {
            return Some(base + (hits.trailing_zeros() / 8) as usize);
        }
        base += 8;
    }
    words
        .remainder()
        .iter()
        .position(|&c| c == a || c == b)
        .map(|i| base + i)
}

#[cfg(test)]
mod tests {
    use super::find_either;

    fn naive(hay: &[u8], a: u8, b: u8) -> Option<usize> {
        hay.iter().position(|&c| c == a || c == b)
    }

    #[test]
    fn find_either_agrees_with_a_plain_search() {
        // Every filler byte (the SWAR trick's false positives come from bytes near the target
        // and from borrows out of zero bytes), every length around the 8-byte stride, every
        // position of one or two targets.
        for fill in 0..=255u8 {
            for len in 0..20 {
                let mut hay = vec![fill; len];
                assert_eq!(find_either(&hay, b'\n', b'\r'), naive(&hay, b'\n', b'\r'));
                for at in 0..len {
                    for t in [b'\n', b'\r'] {
                        hay.fill(fill);
                        hay[at] = t;
                        assert_eq!(find_either(&hay, b'\n', b'\r'), naive(&hay, b'\n', b'\r'));
                        if at + 3 < len {
                            hay[at + 3] = b'\n';
                            assert_eq!(find_either(&hay, b'\n', b'\r'), naive(&hay, b'\n', b'\r'));
                        }
                    }
                }
            }
        }
    }
}
