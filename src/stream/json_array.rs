//! Incremental decoder for a JSON array streamed element by element: Gemini's
//! `streamGenerateContent` without `alt=sse` answers `application/json` as `[`, elements
//! separated by `,`, then `]`, with arbitrary whitespace (RFC 8259 §2 "insignificant
//! whitespace") anywhere between tokens (docs/kong-compatibility.md §10
//! parser 1).
//!
//! Elements are delimited without parsing them: a scanner tracks string/escape state and
//! `{}`/`[]` depth, so `]`, `,`, `{` or `\"` inside strings do not end an element. The scanner's
//! state and cursor survive between chunks, so no byte is scanned twice; this fixes Kong, whose
//! state was saved only after a complete element (a first chunk without one crashed it) and
//! which crashed on a body not starting with `[` (here: [`FrameError::Malformed`]). Each element
//! becomes [`Frame::Json`] with its bytes (whitespace around it removed); the provider translator
//! parses it. Mismatched brackets inside an element are left to that parse.
//!
//! Memory: only the element being read is kept. An element over `max_event` bytes ends the
//! stream with [`FrameError::TooLarge`].

use super::sse::shrink_if_oversized;
use super::{Frame, FrameDecoder, FrameError};

/// Where the scanner is in the array grammar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Before the opening `[`.
    Start,
    /// After `[` or `,`: an element (or `]`) comes next.
    BeforeElement,
    /// Inside an element that starts at `pos`.
    InElement(Element),
    /// After an element: `,` or `]` comes next.
    AfterElement,
    /// After the closing `]`: only whitespace may follow.
    Done,
}

/// Scanner state inside one element.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Element {
    /// Open `{`/`[` not yet closed.
    depth: usize,
    /// Inside a string literal.
    in_string: bool,
    /// The previous byte was a backslash inside a string.
    escape: bool,
    /// A bare number or literal (`true`, `null`, …): ends at whitespace, `,` or `]`.
    scalar: bool,
}

/// Decoder for a streamed JSON array.
#[derive(Debug)]
pub struct JsonArrayDecoder {
    /// Unprocessed bytes from `pos` on.
    buf: Vec<u8>,
    /// First unconsumed byte (the element's first byte while inside one).
    pos: usize,
    /// Next byte to scan.
    scan: usize,
    phase: Phase,
    /// `finish` was called.
    eof: bool,
    /// An error or the end was returned.
    closed: bool,
    /// Cap on one element.
    max: usize,
}

/// What scanning one byte decided.
enum Step {
    /// Keep scanning.
    Next,
    /// The element ends before this byte (exclusive end).
    EndBefore,
    /// The element ends with this byte.
    EndWith,
}

impl JsonArrayDecoder {
    /// A decoder whose elements may not exceed `max_event` bytes.
    pub fn new(max_event: usize) -> Self {
        JsonArrayDecoder {
            buf: Vec::new(),
            pos: 0,
            scan: 0,
            phase: Phase::Start,
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

    fn fail(&mut self, err: FrameError) -> Option<Result<Frame, FrameError>> {
        self.closed = true;
        self.buf = Vec::new();
        self.pos = 0;
        self.scan = 0;
        Some(Err(err))
    }

    /// The element `pos..end` as a frame; the scanner moves past it.
    fn element(&mut self, end: usize) -> Option<Result<Frame, FrameError>> {
        if end - self.pos > self.max {
            let limit = self.max;
            return self.fail(FrameError::TooLarge { limit });
        }
        let bytes = self.buf.get(self.pos..end).unwrap_or_default().to_vec();
        self.pos = end;
        self.scan = end;
        self.phase = Phase::AfterElement;
        Some(Ok(Frame::Json(bytes)))
    }
}

impl FrameDecoder for JsonArrayDecoder {
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
        while let Some(&b) = self.buf.get(self.scan) {
            let i = self.scan;
            self.scan += 1;
            match self.phase {
                Phase::InElement(ref mut el) => match scan_byte(el, b) {
                    Step::Next => {}
                    Step::EndWith => return self.element(i + 1),
                    Step::EndBefore => {
                        // The delimiter is re-read in `AfterElement`.
                        return self.element(i);
                    }
                },
                _ if is_ws(b) => self.pos = self.scan,
                Phase::Start if b == b'[' => {
                    self.phase = Phase::BeforeElement;
                    self.pos = self.scan;
                }
                Phase::Start => {
                    return self.fail(FrameError::Malformed(
                        "JSON array stream does not start with '['".into(),
                    ))
                }
                Phase::BeforeElement | Phase::AfterElement if b == b']' => {
                    self.phase = Phase::Done;
                    self.pos = self.scan;
                }
                Phase::AfterElement if b == b',' => {
                    self.phase = Phase::BeforeElement;
                    self.pos = self.scan;
                }
                Phase::AfterElement => {
                    return self.fail(FrameError::Malformed(
                        "expected ',' or ']' after an array element".into(),
                    ))
                }
                Phase::BeforeElement if b == b',' => {
                    return self.fail(FrameError::Malformed("empty array element".into()))
                }
                Phase::BeforeElement => {
                    self.pos = i;
                    let mut el = Element {
                        depth: 0,
                        in_string: b == b'"',
                        escape: false,
                        scalar: false,
                    };
                    match b {
                        b'{' | b'[' => el.depth = 1,
                        b'"' => {}
                        _ => el.scalar = true,
                    }
                    self.phase = Phase::InElement(el);
                }
                Phase::Done => {
                    return self.fail(FrameError::Malformed(
                        "data after the closing ']' of the JSON array".into(),
                    ))
                }
            }
        }
        // All bytes scanned: only the element being read (if any) stays.
        if let Phase::InElement(el) = self.phase {
            if self.scan - self.pos > self.max {
                let limit = self.max;
                return self.fail(FrameError::TooLarge { limit });
            }
            if self.eof {
                if el.scalar {
                    // A bare scalar ends with the stream; the missing `]` is not our concern.
                    let end = self.scan;
                    let frame = self.element(end);
                    self.closed = true;
                    return frame;
                }
                return self.fail(FrameError::Truncated);
            }
        }
        if self.eof {
            self.closed = true;
            self.buf = Vec::new();
            self.pos = 0;
            self.scan = 0;
            return None;
        }
        self.compact();
        None
    }

    fn finish(&mut self) -> Option<Result<Frame, FrameError>> {
        self.eof = true;
        self.next_frame()
    }

    fn buffered(&self) -> usize {
        self.buf.len()
    }
}

/// One byte inside an element.
fn scan_byte(el: &mut Element, b: u8) -> Step {
    if el.in_string {
        if el.escape {
            el.escape = false;
        } else if b == b'\\' {
            el.escape = true;
        } else if b == b'"' {
            el.in_string = false;
            if el.depth == 0 {
                return Step::EndWith;
            }
        }
        return Step::Next;
    }
    if el.scalar {
        return if is_ws(b) || b == b',' || b == b']' {
            Step::EndBefore
        } else {
            Step::Next
        };
    }
    match b {
        b'"' => el.in_string = true,
        b'{' | b'[' => el.depth = el.depth.saturating_add(1),
        b'}' | b']' => {
            el.depth = el.depth.saturating_sub(1);
            if el.depth == 0 {
                return Step::EndWith;
            }
        }
        _ => {}
    }
    Step::Next
}

/// JSON insignificant whitespace (RFC 8259 §2).
fn is_ws(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n')
}
