//! Streams are byte streams. Two layers, shared by every provider:
//!
//! 1. **Framing** (`sse`, `ndjson`, `json_array`, `eventstream`, `gzip`): incremental decoders
//!    that accept any chunking of the same bytes (one byte at a time works), keep only the
//!    unfinished tail, and cap the size of one event.
//! 2. **Translation**: a provider's [`ProviderStream`] turns frames into neutral
//!    [`StreamEvent`]s; the one [`emitter::ChunkEmitter`] turns those into OpenAI chunks
//!    (`id`, `model`, `created`, role on the first delta, tool-call indices, finish reason,
//!    the usage chunk and `data: [DONE]`).

pub mod emitter;
pub mod eventstream;
pub mod gzip;
pub mod json_array;
pub mod ndjson;
pub mod sse;

use std::fmt;

use crate::api::{FinishReason, Usage};
use crate::error::TranslateError;

/// Default cap on one event (bytes); configurable with `max_stream_event_size`.
pub const DEFAULT_MAX_EVENT_SIZE: usize = 1 << 20;

/// How a provider frames its stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Framing {
    /// `text/event-stream`.
    Sse,
    /// `application/x-ndjson` (and `application/stream+json`): one JSON value per line.
    Ndjson,
    /// `application/json`: a JSON array streamed element by element (Gemini without `alt=sse`).
    JsonArray,
    /// `application/vnd.amazon.eventstream`: AWS binary frames.
    EventStream,
}

impl Framing {
    /// The framing for an upstream `Content-Type` (parameters ignored); `None` = not a stream
    /// we understand (passed through untouched).
    pub fn from_content_type(ct: &str) -> Option<Framing> {
        let base = ct
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        match base.as_str() {
            "text/event-stream" => Some(Framing::Sse),
            "application/x-ndjson" | "application/stream+json" | "application/jsonl" => {
                Some(Framing::Ndjson)
            }
            "application/json" => Some(Framing::JsonArray),
            "application/vnd.amazon.eventstream" => Some(Framing::EventStream),
            _ => None,
        }
    }

    /// A fresh decoder for this framing.
    pub fn decoder(self, max_event: usize) -> Box<dyn FrameDecoder> {
        match self {
            Framing::Sse => Box::new(sse::SseDecoder::new(max_event)),
            Framing::Ndjson => Box::new(ndjson::NdjsonDecoder::new(max_event)),
            Framing::JsonArray => Box::new(json_array::JsonArrayDecoder::new(max_event)),
            Framing::EventStream => Box::new(eventstream::EventStreamDecoder::new(max_event)),
        }
    }
}

/// One decoded frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Frame {
    /// An SSE event: its `event:` name (if any) and its `data:` lines joined with `\n`.
    Sse {
        /// `event:` field.
        event: Option<String>,
        /// `data:` payload.
        data: String,
    },
    /// One JSON value (an NDJSON line or a JSON-array element), as raw bytes.
    Json(Vec<u8>),
    /// One AWS eventstream message.
    Event(AwsEvent),
}

/// An AWS eventstream message with its string headers and payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AwsEvent {
    /// `:event-type` (or `:exception-type` for exceptions).
    pub event_type: Option<String>,
    /// `:message-type`: `event` or `exception`.
    pub message_type: Option<String>,
    /// `:content-type`.
    pub content_type: Option<String>,
    /// The payload bytes (JSON for Bedrock).
    pub payload: Vec<u8>,
}

/// A framing error: the stream ends with an error event, never a crash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FrameError {
    /// One event grew over the cap.
    TooLarge {
        /// The cap in bytes.
        limit: usize,
    },
    /// Bytes that cannot be framed (bad CRC, bad JSON-array punctuation, …).
    Malformed(String),
    /// The stream ended inside a frame.
    Truncated,
}

impl fmt::Display for FrameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FrameError::TooLarge { limit } => write!(f, "stream event larger than {limit} bytes"),
            FrameError::Malformed(m) => write!(f, "malformed stream: {m}"),
            FrameError::Truncated => f.write_str("stream ended inside an event"),
        }
    }
}

/// An incremental frame decoder. Feeding the same bytes in any chunking yields the same frames.
pub trait FrameDecoder {
    /// Appends bytes.
    fn feed(&mut self, bytes: &[u8]);
    /// The next complete frame, if any. After an error the decoder yields nothing more.
    fn next_frame(&mut self) -> Option<Result<Frame, FrameError>>;
    /// Called once at end of stream: a final frame without its terminator (SSE allows it),
    /// or an error if bytes of an unfinished frame remain.
    ///
    /// Frames not yet taken with `next_frame` come out first, so the caller drains with
    /// `next_frame` until `None` after calling `finish` (calling `finish` again does the same).
    fn finish(&mut self) -> Option<Result<Frame, FrameError>>;
    /// Bytes currently held (for the memory bound and its benchmark).
    fn buffered(&self) -> usize;
}

/// A neutral stream event, produced by provider translators and written by the emitter.
#[derive(Debug, Clone, PartialEq)]
pub enum StreamEvent {
    /// What the provider says about the answer (any field may be unknown).
    Meta {
        /// Provider's answer id.
        id: Option<String>,
        /// Model that answers.
        model: Option<String>,
    },
    /// A piece of answer text (chat: `delta.content`; completions: `text`).
    Text(String),
    /// A piece of reasoning text (`delta.reasoning_content`).
    Reasoning(String),
    /// The provider's signature of the reasoning so far (Bedrock `reasoningContent.signature`,
    /// Gemini `thoughtSignature` on a part that is not a function call): ends that reasoning
    /// block. Only the Anthropic writer shows it (`signature_delta`); OpenAI chunks have no place.
    ReasoningSignature(String),
    /// A block of encrypted reasoning (Bedrock `reasoningContent.redactedContent`), whole.
    RedactedReasoning(String),
    /// A tool call begins. `index` counts tool calls of the answer from 0.
    ToolCallStart {
        /// Position among the answer's tool calls.
        index: u32,
        /// Call id.
        id: String,
        /// Function name.
        name: String,
    },
    /// A fragment of a tool call's JSON arguments.
    ToolCallArgs {
        /// Position among the answer's tool calls.
        index: u32,
        /// Fragment of the arguments string.
        fragment: String,
    },
    /// Why generation ended (OpenAI's set).
    Finish(FinishReason),
    /// Usage so far; a later `Usage` replaces an earlier one (providers that send
    /// increments add them up themselves).
    Usage(Usage),
    /// A provider error inside the stream: becomes an error frame and ends the stream.
    Error {
        /// Provider's message.
        message: String,
        /// Provider's error type, if any.
        kind: Option<String>,
    },
}

/// A provider's stream translator: fresh state per stream, frames in, events out.
pub trait ProviderStream {
    /// Translates one frame; pushes zero or more events.
    fn on_frame(&mut self, frame: Frame, out: &mut Vec<StreamEvent>) -> Result<(), TranslateError>;
    /// End of the upstream stream: flush anything pending (e.g. a finish reason held back).
    fn on_end(&mut self, _out: &mut Vec<StreamEvent>) {}
}
