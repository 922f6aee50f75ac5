//! Gemini stream translator: `streamGenerateContent` chunks → neutral [`StreamEvent`]s.
//!
//! Each SSE `data:` payload (`alt=sse`, what we ask for) or each JSON-array element
//! ([`Frame::Json`], when a client forces the array form) is one `GenerateContentResponse`.
//!
//! Guarantees:
//! - `Meta{id: responseId, model: modelVersion or the request model}` once, before any content;
//! - text parts → `Text`, `thought: true` parts → `Reasoning`, in order; the `thoughtSignature`
//!   of a part that is not a function call → `ReasoningSignature` (after a thought's text,
//!   before an answer text; a call's signature travels in its id);
//! - a `functionCall` part arrives whole: `ToolCallStart` then one `ToolCallArgs` with the full
//!   JSON arguments; indices count the answer's calls from 0 (several calls work, in one chunk or
//!   across chunks); ids follow the non-stream rules (`decode::CallIds`, thought signature
//!   included);
//! - `finishReason` → one `Finish`, mapped like non-stream answers (`STOP` after calls is
//!   `tool_calls`);
//! - `usageMetadata` is cumulative in Gemini streams: the latest one REPLACES the previous
//!   (Kong adds them up in places, docs/kong-compatibility.md §13.5) and is emitted once, at the end;
//! - a prompt blocked by `promptFeedback.blockReason` ends with `Finish(content_filter)` (the
//!   same answer as non-stream), not an error;
//! - an `error` object in a chunk → `Error{message, kind: status}`; later frames are ignored;
//! - an unparsable chunk is a `TranslateError`, never a panic; `[DONE]` and empty data are
//!   ignored. Only candidate 0 is streamed (the neutral events carry no choice index).

use super::decode::{map_finish, usage, CallIds};
use super::wire::GenerateContentResponse;
use crate::api::{FinishReason, Usage};
use crate::error::TranslateError;
use crate::stream::{Frame, ProviderStream, StreamEvent};

/// Where the stream is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Nothing emitted yet (`Meta` pending).
    Start,
    /// Content is flowing.
    Answering,
    /// `Finish` was emitted; only usage may still change.
    Finished,
    /// An error was emitted; everything after is ignored.
    Failed,
}

/// Per-stream state.
pub struct GeminiStream {
    phase: Phase,
    request_model: String,
    ids: CallIds<'static>,
    tool_calls: u32,
    usage: Option<Usage>,
}

impl GeminiStream {
    /// A fresh translator. `call_id_base` seeds tool-call ids (drawn from `Env` by the caller).
    pub fn new(request_model: &str, call_id_base: String) -> Self {
        GeminiStream {
            phase: Phase::Start,
            request_model: request_model.to_string(),
            ids: CallIds::with_base(call_id_base),
            tool_calls: 0,
            usage: None,
        }
    }

    fn on_chunk(&mut self, chunk: GenerateContentResponse, out: &mut Vec<StreamEvent>) {
        if let Some(err) = chunk.error {
            out.push(StreamEvent::Error {
                message: err
                    .message
                    .unwrap_or_else(|| "Gemini stream error".to_string()),
                kind: err.status,
            });
            self.phase = Phase::Failed;
            return;
        }
        if self.phase == Phase::Start {
            let model = chunk
                .model_version
                .clone()
                .or_else(|| (!self.request_model.is_empty()).then(|| self.request_model.clone()));
            out.push(StreamEvent::Meta {
                id: chunk.response_id.clone(),
                model,
            });
            self.phase = Phase::Answering;
        }
        if let Some(m) = &chunk.usage_metadata {
            self.usage = Some(usage(m));
        }

        let candidate = chunk
            .candidates
            .iter()
            .enumerate()
            .find(|(i, c)| c.index.unwrap_or(*i as u32) == 0)
            .map(|(_, c)| c);
        let Some(candidate) = candidate else {
            let blocked = chunk
                .prompt_feedback
                .as_ref()
                .and_then(|f| f.block_reason)
                .is_some();
            if blocked {
                self.finish(Some(FinishReason::ContentFilter), out);
            }
            return;
        };

        for part in candidate.content.iter().flat_map(|c| c.parts.iter()) {
            if let Some(call) = &part.function_call {
                let index = self.tool_calls;
                self.tool_calls = self.tool_calls.saturating_add(1);
                out.push(StreamEvent::ToolCallStart {
                    index,
                    id: self
                        .ids
                        .next(call.id.as_deref(), part.thought_signature.as_deref()),
                    name: call.name.to_string(),
                });
                out.push(StreamEvent::ToolCallArgs {
                    index,
                    fragment: call
                        .args
                        .as_ref()
                        .map(|a| a.to_string())
                        .unwrap_or_else(|| "{}".to_string()),
                });
            } else {
                let thought = part.thought == Some(true);
                let signature = part.thought_signature.as_ref().filter(|s| !s.is_empty());
                let text = part.text.as_ref().filter(|t| !t.is_empty());
                // A signature closes the reasoning before it: after a thought's text, before
                // an answer text.
                if let (Some(sig), false) = (signature, thought) {
                    out.push(StreamEvent::ReasoningSignature(sig.to_string()));
                }
                if let Some(text) = text {
                    out.push(if thought {
                        StreamEvent::Reasoning(text.to_string())
                    } else {
                        StreamEvent::Text(text.to_string())
                    });
                }
                if let (Some(sig), true) = (signature, thought) {
                    out.push(StreamEvent::ReasoningSignature(sig.to_string()));
                }
            }
        }
        if candidate.finish_reason.is_some() {
            let reason = map_finish(candidate.finish_reason, self.tool_calls > 0);
            self.finish(reason, out);
        }
    }

    fn finish(&mut self, reason: Option<FinishReason>, out: &mut Vec<StreamEvent>) {
        if self.phase == Phase::Answering {
            if let Some(r) = reason {
                out.push(StreamEvent::Finish(r));
            }
            self.phase = Phase::Finished;
        }
    }
}

impl ProviderStream for GeminiStream {
    fn on_frame(&mut self, frame: Frame, out: &mut Vec<StreamEvent>) -> Result<(), TranslateError> {
        if self.phase == Phase::Failed {
            return Ok(());
        }
        let chunk: GenerateContentResponse = match &frame {
            Frame::Sse { data, .. } => {
                let data = data.trim();
                if data.is_empty() || data == "[DONE]" {
                    return Ok(());
                }
                serde_json::from_slice(data.as_bytes())
            }
            Frame::Json(bytes) => serde_json::from_slice(bytes),
            Frame::Event(_) => {
                return Err(TranslateError::new(
                    "unexpected AWS eventstream frame in a Gemini stream",
                ))
            }
        }
        .map_err(|e| TranslateError::new(format!("invalid Gemini stream chunk: {e}")))?;
        self.on_chunk(chunk, out);
        Ok(())
    }

    fn on_end(&mut self, out: &mut Vec<StreamEvent>) {
        if self.phase == Phase::Failed {
            return;
        }
        if let Some(u) = self.usage.take() {
            out.push(StreamEvent::Usage(u));
        }
    }
}
