//! Ollama stream translator: NDJSON lines of `/api/chat` (`message.*`) or `/api/generate`
//! (`response`, `thinking`) into neutral [`StreamEvent`]s.
//!
//! Guarantees:
//! - `Meta{model}` once, from the first line that names a model (Ollama has no answer id);
//! - `thinking` fragments as `Reasoning`, text fragments as `Text`, in order;
//! - each tool call (Ollama sends a call whole, in one line) as `ToolCallStart` then one
//!   `ToolCallArgs` with the whole arguments object as a JSON string; indices 0, 1, … across the
//!   stream; calls without an id get `<id_base>_<index>`;
//! - the `done: true` line gives `Finish` (`tool_calls` when calls were made, else the mapped
//!   `done_reason`) and `Usage` (`prompt_eval_count`, `eval_count`); later lines are ignored;
//! - an `{"error": …}` line gives `Error` and ends the translation;
//! - Kong's stream loses lines split across chunks and never reports a finish reason
//!   (docs/kong-compatibility.md §13.4, §10): framing here is the shared NDJSON decoder, and the
//!   finish reason is always reported.

use crate::error::TranslateError;
use crate::stream::{Frame, ProviderStream, StreamEvent};

use super::decode::{map_finish, tool_call, usage_of};
use super::wire;

/// Where the stream is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// No line has named the model yet.
    AwaitingMeta,
    /// Content is flowing.
    Streaming,
    /// `done: true` or an error was seen.
    Ended,
}

/// Translator for Ollama NDJSON streams (chat and generate).
#[derive(Debug)]
pub struct OllamaStream {
    phase: Phase,
    calls: u32,
    id_base: String,
}

impl OllamaStream {
    /// A fresh translator; `id_base` prefixes generated tool-call ids.
    pub fn new(id_base: String) -> Self {
        OllamaStream {
            phase: Phase::AwaitingMeta,
            calls: 0,
            id_base,
        }
    }

    fn on_line(
        &mut self,
        line: wire::Response,
        out: &mut Vec<StreamEvent>,
    ) -> Result<(), TranslateError> {
        if self.phase == Phase::Ended {
            return Ok(());
        }
        let usage = usage_of(&line);
        if let Some(message) = line.error {
            self.phase = Phase::Ended;
            out.push(StreamEvent::Error {
                message,
                kind: None,
            });
            return Ok(());
        }
        if self.phase == Phase::AwaitingMeta && line.model.is_some() {
            out.push(StreamEvent::Meta {
                id: None,
                model: line.model,
            });
            self.phase = Phase::Streaming;
        }
        let message = line.message.unwrap_or_default();
        push_text(
            out,
            message.thinking.or(line.thinking),
            StreamEvent::Reasoning,
        );
        push_text(out, message.content.or(line.response), StreamEvent::Text);
        for call in message.tool_calls.iter().flatten() {
            let index = self.calls;
            let base = &self.id_base;
            let call = tool_call(call, || format!("{base}_{index}"))?;
            self.calls = self.calls.saturating_add(1);
            out.push(StreamEvent::ToolCallStart {
                index,
                id: call.id,
                name: call.function.name,
            });
            out.push(StreamEvent::ToolCallArgs {
                index,
                fragment: call.function.arguments,
            });
        }
        if line.done == Some(true) {
            self.phase = Phase::Ended;
            out.push(StreamEvent::Finish(map_finish(
                line.done_reason,
                self.calls > 0,
            )));
            if let Some(usage) = usage {
                out.push(StreamEvent::Usage(usage));
            }
        }
        Ok(())
    }
}

fn push_text(out: &mut Vec<StreamEvent>, text: Option<String>, make: fn(String) -> StreamEvent) {
    if let Some(t) = text.filter(|t| !t.is_empty()) {
        out.push(make(t));
    }
}

impl ProviderStream for OllamaStream {
    fn on_frame(&mut self, frame: Frame, out: &mut Vec<StreamEvent>) -> Result<(), TranslateError> {
        let line: wire::Response = match &frame {
            Frame::Json(bytes) => serde_json::from_slice(bytes)?,
            // An SSE-framed answer (a proxy in between) carries the same objects in `data`.
            Frame::Sse { data, .. } if data.trim().is_empty() || data.trim() == "[DONE]" => {
                return Ok(())
            }
            Frame::Sse { data, .. } => serde_json::from_slice(data.as_bytes())?,
            Frame::Event(_) => {
                return Err(TranslateError::new(
                    "unexpected AWS eventstream frame in an ollama stream",
                ))
            }
        };
        self.on_line(line, out)
    }
}
