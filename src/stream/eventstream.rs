//! Incremental decoder for the AWS event stream binary framing
//! (`application/vnd.amazon.eventstream`), which Bedrock's `ConverseStream` uses
//! (docs/kong-compatibility.md §10; AWS "Event stream encoding", Transcribe/S3 Select developer guides).
//!
//! A message is, all integers big-endian:
//!
//! ```text
//! total length u32 | headers length u32 | prelude CRC32 (of the 8 bytes before)
//! headers (headers length bytes) | payload | message CRC32 (of every byte before it)
//! ```
//!
//! A header is `name length u8 | name | value type u8 | value`, the value being by type:
//! 0 bool true and 1 bool false (no bytes), 2 byte (1), 3 short (2), 4 integer (4), 5 long (8),
//! 6 byte array (u16 length + bytes), 7 string (u16 length + UTF-8), 8 timestamp (8, ms since
//! the epoch), 9 UUID (16).
//!
//! Fixes Kong (docs/kong-compatibility.md §10): messages split across chunks are
//! buffered instead of crashing, both CRCs are checked (a mismatch is [`FrameError::Malformed`]),
//! every header type is understood, and lengths are validated before anything is waited for
//! or allocated: a message longer than `max_event` is [`FrameError::TooLarge`].
//!
//! Each message becomes [`Frame::Event`] with `:event-type` (or `:exception-type` for
//! `:message-type: exception`), `:message-type`, `:content-type` and the payload. For the
//! protocol-level `:message-type: error` (headers `:error-code`, `:error-message`, usually no
//! payload), the event type is the error code and an empty payload is replaced by
//! `{"message": <error-message>}`, the shape exceptions carry, so translators handle both alike.

use super::sse::shrink_if_oversized;
use super::{AwsEvent, Frame, FrameDecoder, FrameError};

/// Prelude: total length, headers length, prelude CRC.
const PRELUDE_LEN: usize = 12;
/// Prelude plus the trailing message CRC: the smallest possible message.
const MIN_MESSAGE_LEN: usize = PRELUDE_LEN + 4;

/// Decoder for AWS event stream messages.
#[derive(Debug)]
pub struct EventStreamDecoder {
    /// Unprocessed bytes from `pos` on.
    buf: Vec<u8>,
    /// Start of the current message.
    pos: usize,
    /// Total length of the current message once its prelude has been checked.
    pending_len: Option<usize>,
    /// An error or the end was returned.
    closed: bool,
    /// Cap on one message.
    max: usize,
}

impl EventStreamDecoder {
    /// A decoder whose messages may not exceed `max_event` bytes (framing included).
    pub fn new(max_event: usize) -> Self {
        EventStreamDecoder {
            buf: Vec::new(),
            pos: 0,
            pending_len: None,
            closed: false,
            max: max_event,
        }
    }

    fn compact(&mut self) {
        if self.pos > 0 {
            self.buf.drain(..self.pos);
            self.pos = 0;
        }
        shrink_if_oversized(&mut self.buf);
    }

    fn fail(&mut self, err: FrameError) -> Option<Result<Frame, FrameError>> {
        self.closed = true;
        self.buf = Vec::new();
        self.pos = 0;
        self.pending_len = None;
        Some(Err(err))
    }

    /// Checks the prelude of the message at `pos`; `Ok(None)` when fewer than 12 bytes are
    /// there yet.
    fn check_prelude(&self) -> Result<Option<usize>, FrameError> {
        let Some(prelude) = self.buf.get(self.pos..self.pos + PRELUDE_LEN) else {
            return Ok(None);
        };
        let total = be_u32(prelude, 0)? as usize;
        let headers = be_u32(prelude, 4)? as usize;
        let crc = be_u32(prelude, 8)?;
        if crc32fast::hash(prelude.get(..8).unwrap_or_default()) != crc {
            return Err(FrameError::Malformed(
                "eventstream prelude CRC mismatch".into(),
            ));
        }
        if total < MIN_MESSAGE_LEN || headers > total - MIN_MESSAGE_LEN {
            return Err(FrameError::Malformed(format!(
                "eventstream lengths out of range (total {total}, headers {headers})"
            )));
        }
        if total > self.max {
            return Err(FrameError::TooLarge { limit: self.max });
        }
        Ok(Some(total))
    }
}

impl FrameDecoder for EventStreamDecoder {
    fn feed(&mut self, bytes: &[u8]) {
        if self.closed {
            return;
        }
        self.compact();
        self.buf.extend_from_slice(bytes);
    }

    fn next_frame(&mut self) -> Option<Result<Frame, FrameError>> {
        if self.closed {
            return None;
        }
        let total = match self.pending_len {
            Some(total) => total,
            None => match self.check_prelude() {
                Ok(Some(total)) => {
                    self.pending_len = Some(total);
                    total
                }
                Ok(None) => {
                    self.compact();
                    return None;
                }
                Err(e) => return self.fail(e),
            },
        };
        let Some(message) = self.buf.get(self.pos..self.pos.saturating_add(total)) else {
            self.compact();
            return None;
        };
        let result = parse_message(message);
        self.pos += total;
        self.pending_len = None;
        match result {
            Ok(event) => Some(Ok(Frame::Event(event))),
            Err(e) => self.fail(e),
        }
    }

    fn finish(&mut self) -> Option<Result<Frame, FrameError>> {
        if let Some(frame) = self.next_frame() {
            return Some(frame);
        }
        if self.closed || self.buf.len() == self.pos {
            self.closed = true;
            return None;
        }
        self.fail(FrameError::Truncated)
    }

    fn buffered(&self) -> usize {
        self.buf.len()
    }
}

/// A complete message (prelude already checked) → its event.
fn parse_message(message: &[u8]) -> Result<AwsEvent, FrameError> {
    let crc_at = message.len() - 4;
    let body = message.get(..crc_at).unwrap_or_default();
    if crc32fast::hash(body) != be_u32(message, crc_at)? {
        return Err(FrameError::Malformed(
            "eventstream message CRC mismatch".into(),
        ));
    }
    let headers_len = be_u32(message, 4)? as usize;
    let headers = message
        .get(PRELUDE_LEN..PRELUDE_LEN + headers_len)
        .ok_or_else(truncated_header)?;
    let payload = message
        .get(PRELUDE_LEN + headers_len..crc_at)
        .unwrap_or_default();

    let mut fields = KnownHeaders::default();
    let mut rest = headers;
    while !rest.is_empty() {
        rest = read_header(rest, &mut fields)?;
    }

    let message_type = fields.message_type;
    let (event_type, payload) = match message_type.as_deref() {
        Some("exception") => (fields.exception_type, payload.to_vec()),
        Some("error") => {
            let payload = match (payload.is_empty(), fields.error_message) {
                (true, Some(msg)) => {
                    serde_json::to_vec(&serde_json::json!({ "message": msg })).unwrap_or_default()
                }
                _ => payload.to_vec(),
            };
            (fields.error_code, payload)
        }
        _ => (fields.event_type, payload.to_vec()),
    };
    Ok(AwsEvent {
        event_type,
        message_type,
        content_type: fields.content_type,
        payload,
    })
}

/// The string headers a translator needs; the others are parsed and skipped.
#[derive(Default)]
struct KnownHeaders {
    event_type: Option<String>,
    exception_type: Option<String>,
    message_type: Option<String>,
    content_type: Option<String>,
    error_code: Option<String>,
    error_message: Option<String>,
}

/// Reads one header from the front of `bytes`; returns what follows it.
fn read_header<'a>(bytes: &'a [u8], fields: &mut KnownHeaders) -> Result<&'a [u8], FrameError> {
    let (&name_len, rest) = bytes.split_first().ok_or_else(truncated_header)?;
    let (name, rest) = split(rest, usize::from(name_len))?;
    let (&kind, rest) = rest.split_first().ok_or_else(truncated_header)?;
    let fixed = match kind {
        0 | 1 => 0,
        2 => 1,
        3 => 2,
        4 => 4,
        5 | 8 => 8,
        9 => 16,
        6 | 7 => {
            let (len, rest) = split(rest, 2)?;
            let len = <[u8; 2]>::try_from(len).map_err(|_| truncated_header())?;
            let len = usize::from(u16::from_be_bytes(len));
            let (value, rest) = split(rest, len)?;
            if kind == 7 {
                let value = String::from_utf8_lossy(value).into_owned();
                let slot = match name {
                    b":event-type" => Some(&mut fields.event_type),
                    b":exception-type" => Some(&mut fields.exception_type),
                    b":message-type" => Some(&mut fields.message_type),
                    b":content-type" => Some(&mut fields.content_type),
                    b":error-code" => Some(&mut fields.error_code),
                    b":error-message" => Some(&mut fields.error_message),
                    _ => None,
                };
                if let Some(slot) = slot {
                    *slot = Some(value);
                }
            }
            return Ok(rest);
        }
        other => {
            return Err(FrameError::Malformed(format!(
                "eventstream header value type {other} is unknown"
            )))
        }
    };
    let (_, rest) = split(rest, fixed)?;
    Ok(rest)
}

fn split(bytes: &[u8], n: usize) -> Result<(&[u8], &[u8]), FrameError> {
    bytes.split_at_checked(n).ok_or_else(truncated_header)
}

fn truncated_header() -> FrameError {
    FrameError::Malformed("eventstream header runs past the headers section".into())
}

/// Big-endian u32 at `at`.
fn be_u32(bytes: &[u8], at: usize) -> Result<u32, FrameError> {
    let b = bytes
        .get(at..at + 4)
        .ok_or_else(|| FrameError::Malformed("eventstream message too short".into()))?;
    let word = <[u8; 4]>::try_from(b)
        .map_err(|_| FrameError::Malformed("eventstream message too short".into()))?;
    Ok(u32::from_be_bytes(word))
}
