//! Stream plumbing of the response side: chunks through the frame decoder and the provider's
//! translator, the end-of-stream checks, gzip in and out, and usage read from OpenAI-format
//! answers (docs/kong-compatibility.md §10).

use super::StreamState;
use crate::stream::gzip::GzipInflater;
use crate::stream::{Frame, StreamEvent};

/// Largest inflated body we accept from an upstream (a gzip bomb ends as an error).
pub(super) const MAX_INFLATED: usize = 64 << 20;

/// Bytes of a passed-through stream kept to find its `data: [DONE]`.
pub(super) const TAIL: usize = 32;

/// Whether the bytes hold a `data: [DONE]` line.
pub(super) fn has_done(bytes: &[u8]) -> bool {
    bytes
        .windows(12)
        .any(|w| w == b"data: [DONE]" || w.ends_with(b"data:[DONE]"))
}

/// The error a stream gets when the upstream stopped before its end marker.
pub(super) fn cut_stream_error() -> StreamEvent {
    StreamEvent::Error {
        message: "upstream stream ended before its end".into(),
        kind: Some("upstream_stream_cut".into()),
    }
}

pub(super) fn translate_chunk(
    state: &mut StreamState,
    chunk: &[u8],
    eos: bool,
    prompt_estimate: u64,
    out: &mut Vec<u8>,
) {
    let mut events = std::mem::take(&mut state.events);
    events.clear();
    let fed = match &mut state.inflater {
        Some(inf) => match inf.feed(chunk) {
            Ok(bytes) => {
                state.decoder.feed(&bytes);
                true
            }
            Err(e) => {
                events.push(StreamEvent::Error {
                    message: format!("upstream gzip: {e}"),
                    kind: None,
                });
                false
            }
        },
        None => {
            state.decoder.feed(chunk);
            true
        }
    };
    if fed {
        // Frames complete so far; at end of stream, `finish` may yield one more (an event
        // without its terminator), after which the decoder is drained again.
        let mut ok = drain(state, &mut events);
        if ok && eos {
            if let Some(last) = state.decoder.finish() {
                ok = handle_frame(state, last, &mut events);
            }
            if ok {
                drain(state, &mut events);
            }
        }
    }
    if eos {
        state.translator.on_end(&mut events);
        // No finish reason at all: the upstream stopped early (a cut connection, a missing
        // end event). Say so instead of inventing a normal `stop`.
        let finished = state.emitter.finish_reason().is_some()
            || events
                .iter()
                .any(|e| matches!(e, StreamEvent::Finish(_) | StreamEvent::Error { .. }));
        if !finished && !state.emitter.is_closed() {
            events.push(cut_stream_error());
        }
    }
    // With an Anthropic client the OpenAI chunks only feed analytics and are dropped.
    let mut scratch = Vec::new();
    for ev in &events {
        match &mut state.messages {
            Some(m) => {
                state.emitter.emit(ev, &mut scratch);
                scratch.clear();
                m.emit(ev, out);
            }
            None => state.emitter.emit(ev, out),
        }
    }
    state.events = events;
    if eos {
        // Kong's estimate for providers that report no usage: ceil(output / 4).
        let completion = state.emitter.output_bytes().div_ceil(4);
        let estimate = crate::api::Usage::new(prompt_estimate, completion);
        if let Some(m) = &mut state.messages {
            m.finish(Some(state.emitter.usage().unwrap_or(&estimate)), out);
        }
        state.emitter.set_estimated_usage(estimate);
        if state.messages.is_some() {
            state.emitter.finish(&mut scratch);
        } else {
            state.emitter.finish(out);
        }
    }
}

/// Translates every complete frame; false once the stream has failed.
pub(super) fn drain(state: &mut StreamState, events: &mut Vec<StreamEvent>) -> bool {
    while let Some(next) = state.decoder.next_frame() {
        if !handle_frame(state, next, events) {
            return false;
        }
    }
    true
}

pub(super) fn handle_frame(
    state: &mut StreamState,
    next: Result<Frame, crate::stream::FrameError>,
    events: &mut Vec<StreamEvent>,
) -> bool {
    let result = match next {
        Ok(frame) => state.translator.on_frame(frame, events).map_err(|e| e.0),
        Err(e) => Err(e.to_string()),
    };
    match result {
        Ok(()) => true,
        Err(message) => {
            events.push(StreamEvent::Error {
                message,
                kind: None,
            });
            false
        }
    }
}

/// Inflates a whole gzip body, bounded.
pub(super) fn inflate_all(body: &[u8]) -> Result<Vec<u8>, crate::stream::FrameError> {
    let mut inf = GzipInflater::new(MAX_INFLATED).with_total_limit(MAX_INFLATED as u64);
    let out = inf.feed(body)?;
    inf.finish()?;
    Ok(out)
}

/// Gzip-compresses a body for a client that accepts gzip.
pub(super) fn gzip(bytes: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    match enc.write_all(bytes).and_then(|()| enc.finish()) {
        Ok(v) => v,
        Err(_) => bytes.to_vec(),
    }
}

/// An OpenAI-format stream re-emitted through the shared emitter (used only when such a
/// stream arrives gzip-encoded and must be inflated).
pub(super) struct PassthroughChunks;

impl crate::stream::ProviderStream for PassthroughChunks {
    fn on_frame(
        &mut self,
        frame: Frame,
        out: &mut Vec<StreamEvent>,
    ) -> Result<(), crate::error::TranslateError> {
        if let Frame::Sse { data, .. } = frame {
            crate::providers::openai_compat::stream::chunk_events(&data, out)?;
        }
        Ok(())
    }
}

pub(super) fn read_openai_usage(v: &serde_json::Value, a: &mut crate::analytics::Analytics) {
    if let Some(u) = v.get("usage").filter(|u| !u.is_null()) {
        if let Some(r) = crate::routes::usage::read(u) {
            a.usage = r.tokens;
            a.usage_fields = r.fields;
        } else if let Ok(u) = serde_json::from_value::<crate::api::Usage>(u.clone()) {
            a.usage = Some(u);
        }
    }
    if let Some(m) = v.get("model").and_then(|m| m.as_str()) {
        a.response_model = Some(m.to_string());
    }
}
