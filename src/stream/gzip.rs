//! Incremental, bounded gzip inflater for `Content-Encoding: gzip` upstream answers
//! (docs/kong-compatibility.md §9, §10: compressed upstream streams are inflated before parsing).
//!
//! The gzip container (RFC 1952 §2.3: magic, method, flags, optional extra/name/comment/header
//! CRC, then raw DEFLATE, then CRC32 and ISIZE) is parsed here byte by byte, so any chunking
//! works; the DEFLATE data goes through `flate2::Decompress` (pure-Rust backend). The trailer
//! is checked: a CRC or length mismatch is [`FrameError::Malformed`]. Several members in a row
//! (RFC 1952 §2.2) are inflated one after the other; bytes after a member that do not start a
//! new one are ignored, as gzip(1) does with trailing garbage.
//!
//! Bounded: output is written only into space reserved up to the cap, so a gzip bomb cannot
//! make one call allocate more than `max_output_per_call` (+1) bytes; over the cap (per call, or
//! in total if a total cap is set) the inflater fails with [`FrameError::TooLarge`].

use flate2::{Decompress, FlushDecompress, Status};

use super::FrameError;

/// Output reserved per inflate step (grown only as output actually comes).
const STEP: usize = 32 * 1024;

/// gzip header flag bits (RFC 1952 §2.3.1).
const FHCRC: u8 = 0x02;
const FEXTRA: u8 = 0x04;
const FNAME: u8 = 0x08;
const FCOMMENT: u8 = 0x10;
const FRESERVED: u8 = 0xE0;

/// Where the inflater is in the gzip container.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Reading a member header.
    Header(Header),
    /// Inflating DEFLATE data.
    Body,
    /// Reading the 8-byte trailer; `n` bytes read so far.
    Trailer { bytes: [u8; 8], n: usize },
    /// Between members: a new member may start, or the stream may end.
    Between,
    /// Trailing bytes that are not a member: ignored.
    Trailing,
}

/// Header parsing state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Header {
    step: HeaderStep,
    flags: u8,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum HeaderStep {
    /// The 10 fixed bytes; `n` read.
    Fixed { n: u8 },
    /// The 2-byte FEXTRA length; `n` read, `low` the first byte.
    ExtraLen { n: u8, low: u8 },
    /// FEXTRA bytes still to skip.
    Extra { left: u16 },
    /// Zero-terminated file name.
    Name,
    /// Zero-terminated comment.
    Comment,
    /// Header CRC16; `n` bytes read.
    HeaderCrc { n: u8 },
}

/// An incremental gzip decoder with an output cap.
#[derive(Debug)]
pub struct GzipInflater {
    inflate: Decompress,
    crc: crc32fast::Hasher,
    /// Output bytes of the current member (ISIZE is this modulo 2^32).
    member_out: u64,
    /// Output bytes of the whole stream.
    total_out: u64,
    phase: Phase,
    /// Sticky failure: every later call returns it.
    failed: Option<FrameError>,
    max_per_call: usize,
    max_total: u64,
}

impl GzipInflater {
    /// An inflater that refuses to produce more than `max_output_per_call` bytes from one
    /// `feed` (no total cap: a long stream is fine as long as each chunk stays bounded).
    pub fn new(max_output_per_call: usize) -> Self {
        GzipInflater {
            inflate: Decompress::new(false),
            crc: crc32fast::Hasher::new(),
            member_out: 0,
            total_out: 0,
            phase: Phase::Header(Header {
                step: HeaderStep::Fixed { n: 0 },
                flags: 0,
            }),
            failed: None,
            max_per_call: max_output_per_call,
            max_total: u64::MAX,
        }
    }

    /// Also caps the output of the whole stream.
    pub fn with_total_limit(mut self, max_total: u64) -> Self {
        self.max_total = max_total;
        self
    }

    /// Inflates one upstream chunk; returns the bytes it yields (possibly none).
    pub fn feed(&mut self, input: &[u8]) -> Result<Vec<u8>, FrameError> {
        let mut out = Vec::new();
        self.feed_into(input, &mut out)?;
        Ok(out)
    }

    /// Inflates one upstream chunk, appending to `out` (at most `max_output_per_call` bytes).
    pub fn feed_into(&mut self, input: &[u8], out: &mut Vec<u8>) -> Result<(), FrameError> {
        if let Some(e) = &self.failed {
            return Err(e.clone());
        }
        let result = self.run(input, out);
        if let Err(e) = &result {
            self.failed = Some(e.clone());
        }
        result
    }

    /// End of the upstream body: an error if it stopped inside a gzip member.
    pub fn finish(&mut self) -> Result<(), FrameError> {
        if let Some(e) = &self.failed {
            return Err(e.clone());
        }
        match self.phase {
            Phase::Between | Phase::Trailing => Ok(()),
            // Nothing at all received: an empty body, not a broken one.
            Phase::Header(Header {
                step: HeaderStep::Fixed { n: 0 },
                ..
            }) if self.total_out == 0 => Ok(()),
            _ => {
                self.failed = Some(FrameError::Truncated);
                Err(FrameError::Truncated)
            }
        }
    }

    /// Whether the last member ended with a valid trailer and nothing incomplete follows.
    pub fn is_done(&self) -> bool {
        matches!(self.phase, Phase::Between | Phase::Trailing)
    }

    fn run(&mut self, mut input: &[u8], out: &mut Vec<u8>) -> Result<(), FrameError> {
        let start = out.len();
        while !input.is_empty() {
            match self.phase {
                Phase::Header(mut h) => {
                    let (&b, rest) = input.split_first().ok_or(FrameError::Truncated)?;
                    input = rest;
                    self.phase = match header_byte(&mut h, b)? {
                        true => {
                            self.inflate.reset(false);
                            self.crc = crc32fast::Hasher::new();
                            self.member_out = 0;
                            Phase::Body
                        }
                        false => Phase::Header(h),
                    };
                }
                Phase::Body => input = self.inflate_some(input, out, start)?,
                Phase::Trailer { mut bytes, mut n } => {
                    let (&b, rest) = input.split_first().ok_or(FrameError::Truncated)?;
                    input = rest;
                    if let Some(slot) = bytes.get_mut(n) {
                        *slot = b;
                    }
                    n += 1;
                    self.phase = if n == bytes.len() {
                        self.check_trailer(&bytes)?;
                        Phase::Between
                    } else {
                        Phase::Trailer { bytes, n }
                    };
                }
                Phase::Between => {
                    self.phase = if input.first() == Some(&0x1f) {
                        Phase::Header(Header {
                            step: HeaderStep::Fixed { n: 0 },
                            flags: 0,
                        })
                    } else {
                        Phase::Trailing
                    };
                }
                Phase::Trailing => input = &[],
            }
        }
        Ok(())
    }

    /// Inflates from `input` until it is consumed and no output is pending, or the member
    /// ends; returns the unconsumed input.
    fn inflate_some<'a>(
        &mut self,
        mut input: &'a [u8],
        out: &mut Vec<u8>,
        start: usize,
    ) -> Result<&'a [u8], FrameError> {
        loop {
            let produced_here = out.len() - start;
            let room = self.max_per_call.saturating_add(1) - produced_here.min(self.max_per_call);
            if out.capacity() == out.len() {
                out.reserve_exact(STEP.min(room));
            }
            let before_in = self.inflate.total_in();
            let before_len = out.len();
            let status = self
                .inflate
                .decompress_vec(input, out, FlushDecompress::None)
                .map_err(|_| FrameError::Malformed("gzip: invalid deflate data".into()))?;
            let consumed = usize::try_from(self.inflate.total_in() - before_in).unwrap_or(0);
            input = input.get(consumed..).unwrap_or_default();
            let new = out.get(before_len..).unwrap_or_default();
            self.crc.update(new);
            let produced = new.len() as u64;
            self.member_out += produced;
            self.total_out += produced;
            if out.len() - start > self.max_per_call {
                return Err(FrameError::TooLarge {
                    limit: self.max_per_call,
                });
            }
            if self.total_out > self.max_total {
                return Err(FrameError::TooLarge {
                    limit: usize::try_from(self.max_total).unwrap_or(usize::MAX),
                });
            }
            if status == Status::StreamEnd {
                self.phase = Phase::Trailer {
                    bytes: [0; 8],
                    n: 0,
                };
                return Ok(input);
            }
            if out.len() < out.capacity() {
                // Output space was left over: everything available is inflated.
                if input.is_empty() {
                    return Ok(input);
                }
                if consumed == 0 && produced == 0 {
                    return Err(FrameError::Malformed("gzip: inflater stalled".into()));
                }
            }
        }
    }

    fn check_trailer(&self, trailer: &[u8; 8]) -> Result<(), FrameError> {
        let [c0, c1, c2, c3, s0, s1, s2, s3] = *trailer;
        let crc = u32::from_le_bytes([c0, c1, c2, c3]);
        let size = u32::from_le_bytes([s0, s1, s2, s3]);
        if crc != self.crc.clone().finalize() {
            return Err(FrameError::Malformed("gzip: CRC32 mismatch".into()));
        }
        // ISIZE is the length modulo 2^32 (RFC 1952 §2.3.1).
        if u64::from(size) != self.member_out & 0xFFFF_FFFF {
            return Err(FrameError::Malformed("gzip: length mismatch".into()));
        }
        Ok(())
    }
}

/// One header byte; `true` when the header is complete.
fn header_byte(h: &mut Header, b: u8) -> Result<bool, FrameError> {
    let bad = |what: &str| FrameError::Malformed(format!("gzip: {what}"));
    h.step = match h.step {
        HeaderStep::Fixed { n } => {
            match (n, b) {
                (0, 0x1f) | (1, 0x8b) | (2, 8) => {}
                (0 | 1, _) => return Err(bad("not a gzip stream")),
                (2, _) => return Err(bad("unknown compression method")),
                (3, flags) if flags & FRESERVED != 0 => return Err(bad("reserved flags set")),
                (3, flags) => h.flags = flags,
                _ => {}
            }
            if n < 9 {
                HeaderStep::Fixed { n: n + 1 }
            } else {
                return Ok(after(h, HeaderStep::Fixed { n: 9 }));
            }
        }
        HeaderStep::ExtraLen { n: 0, .. } => HeaderStep::ExtraLen { n: 1, low: b },
        HeaderStep::ExtraLen { low, .. } => {
            let left = u16::from_le_bytes([low, b]);
            if left == 0 {
                return Ok(after(h, HeaderStep::Extra { left: 0 }));
            }
            HeaderStep::Extra { left }
        }
        HeaderStep::Extra { left } => {
            if left <= 1 {
                return Ok(after(h, HeaderStep::Extra { left: 0 }));
            }
            HeaderStep::Extra { left: left - 1 }
        }
        HeaderStep::Name if b == 0 => return Ok(after(h, HeaderStep::Name)),
        HeaderStep::Comment if b == 0 => return Ok(after(h, HeaderStep::Comment)),
        HeaderStep::Name => HeaderStep::Name,
        HeaderStep::Comment => HeaderStep::Comment,
        HeaderStep::HeaderCrc { n: 0 } => HeaderStep::HeaderCrc { n: 1 },
        // The header CRC16 is optional and rarely sent; the trailer CRC covers the data.
        HeaderStep::HeaderCrc { .. } => return Ok(true),
    };
    Ok(false)
}

/// Moves to the optional part after `done`, in RFC 1952 order; `true` when none is left.
fn after(h: &mut Header, done: HeaderStep) -> bool {
    let order = [
        (FEXTRA, HeaderStep::ExtraLen { n: 0, low: 0 }),
        (FNAME, HeaderStep::Name),
        (FCOMMENT, HeaderStep::Comment),
        (FHCRC, HeaderStep::HeaderCrc { n: 0 }),
    ];
    let from = match done {
        HeaderStep::Fixed { .. } => 0,
        HeaderStep::ExtraLen { .. } | HeaderStep::Extra { .. } => 1,
        HeaderStep::Name => 2,
        HeaderStep::Comment => 3,
        HeaderStep::HeaderCrc { .. } => 4,
    };
    for (flag, step) in order.into_iter().skip(from) {
        if h.flags & flag != 0 {
            h.step = step;
            return false;
        }
    }
    true
}
