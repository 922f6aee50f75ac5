//! The one chunk emitter: neutral [`StreamEvent`]s in, OpenAI SSE bytes out
//! (`data: <json>\n\n` per chunk, `data: [DONE]\n\n` last; docs/kong-compatibility.md §10, OpenAI API
//! reference "The chat completion chunk object"). Every provider's stream goes through it, so
//! these guarantees hold in one place (docs/design.md §5):
//!
//! - `id`, `object`, `created` and `model` are identical in every chunk; a [`StreamEvent::Meta`]
//!   may still change `id`/`model` until the first chunk is written, not after;
//! - `delta.role: "assistant"` appears on the first delta only (chat route);
//! - tool calls: the first piece carries `index`, `id`, `type: function`, the name and
//!   `arguments: ""`; later pieces only `index` and an arguments fragment;
//! - `finish_reason` is written once, when it arrives (later ones are ignored; content that
//!   still follows it is written, not dropped); a stream that ends
//!   without one gets `tool_calls` if tool calls were emitted, else `stop` (Kong wrote none for
//!   Anthropic and Cohere: docs/kong-compatibility.md §10);
//! - with `stream_options.include_usage`, every chunk carries `"usage": null` and a last chunk
//!   `{"choices": [], "usage": {...}}` comes before `[DONE]` (OpenAI's documented behaviour),
//!   with the provider's counts, else the caller's estimate ([`ChunkEmitter::set_estimated_usage`]),
//!   else no usage chunk;
//! - a [`StreamEvent::Error`] becomes one frame `{"error": {"message", "type"}}` followed by
//!   `[DONE]`, and the emitter closes: later events are ignored;
//! - `data: [DONE]\n\n` is written exactly once, always last.
//!
//! Chunks are written directly (a cached, pre-escaped prefix plus the delta), with no
//! intermediate values: the only per-event work is escaping the event's own text.

use crate::api::chat::{AssistantMessage, FunctionCall, Role, ToolCall};
use crate::api::chunk::DONE_FRAME;
use crate::api::{FinishReason, RouteType, Usage};

use super::StreamEvent;

/// Turns one answer's [`StreamEvent`]s into OpenAI chunks.
#[derive(Debug)]
pub struct ChunkEmitter {
    /// `text_completion` chunks instead of `chat.completion.chunk`.
    completions: bool,
    id: String,
    model: String,
    created: u64,
    include_usage: bool,
    /// `data: {"id":…,"object":…,"created":…,"model":…,"choices":[`, built at the first chunk.
    prefix: Vec<u8>,
    role_sent: bool,
    /// The finish reason already written.
    finish: Option<FinishReason>,
    tool_calls_seen: bool,
    usage: Option<Usage>,
    estimated: Option<Usage>,
    closed: bool,
    output_bytes: u64,
    fold: Option<Fold>,
}

/// The answer assembled from the events (kept only when asked: [`ChunkEmitter::accumulate`]).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Fold {
    /// All text deltas.
    pub content: String,
    /// All reasoning deltas.
    pub reasoning: String,
    /// Tool calls in the order they started.
    pub tool_calls: Vec<FoldedToolCall>,
}

/// One tool call assembled from its pieces.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoldedToolCall {
    /// Position among the answer's tool calls.
    pub index: u32,
    /// Call id.
    pub id: String,
    /// Function name.
    pub name: String,
    /// The concatenated arguments fragments.
    pub arguments: String,
}

impl ChunkEmitter {
    /// An emitter for one answer. `route` picks the chunk kind: `Completions` writes
    /// `text_completion` chunks, anything else `chat.completion.chunk`. `include_usage` is the
    /// client's `stream_options.include_usage`.
    pub fn new(
        route: RouteType,
        id: impl Into<String>,
        model: impl Into<String>,
        created: u64,
        include_usage: bool,
    ) -> Self {
        ChunkEmitter {
            completions: route == RouteType::Completions,
            id: id.into(),
            model: model.into(),
            created,
            include_usage,
            prefix: Vec::new(),
            role_sent: false,
            finish: None,
            tool_calls_seen: false,
            usage: None,
            estimated: None,
            closed: false,
            output_bytes: 0,
            fold: None,
        }
    }

    /// Also keeps the assembled answer ([`ChunkEmitter::fold`]); off by default so a stream's
    /// memory does not grow with the answer.
    pub fn accumulate(mut self) -> Self {
        self.fold = Some(Fold::default());
        self
    }

    /// Usage to report when the provider reports none (an estimate made by the caller).
    pub fn set_estimated_usage(&mut self, usage: Usage) {
        self.estimated = Some(usage);
    }

    /// Writes the chunk(s) for one event into `out`.
    pub fn emit(&mut self, event: &StreamEvent, out: &mut Vec<u8>) {
        if self.closed {
            return;
        }
        match event {
            StreamEvent::Meta { id, model } => {
                if self.prefix.is_empty() {
                    if let Some(id) = id.as_deref().filter(|s| !s.is_empty()) {
                        self.id = id.to_string();
                    }
                    if let Some(model) = model.as_deref().filter(|s| !s.is_empty()) {
                        self.model = model.to_string();
                    }
                }
            }
            StreamEvent::Text(text) => {
                if text.is_empty() {
                    return;
                }
                self.output_bytes += text.len() as u64;
                if let Some(f) = &mut self.fold {
                    f.content.push_str(text);
                }
                self.open_choice(out);
                if self.completions {
                    push_json_str(out, text);
                } else {
                    self.open_delta(out);
                    out.extend_from_slice(b"\"content\":");
                    push_json_str(out, text);
                    out.push(b'}');
                }
                self.close_choice(out, None);
            }
            StreamEvent::Reasoning(text) => {
                // Completions chunks have no place for reasoning.
                if text.is_empty() || self.completions {
                    return;
                }
                self.output_bytes += text.len() as u64;
                if let Some(f) = &mut self.fold {
                    f.reasoning.push_str(text);
                }
                self.open_choice(out);
                self.open_delta(out);
                out.extend_from_slice(b"\"reasoning_content\":");
                push_json_str(out, text);
                out.push(b'}');
                self.close_choice(out, None);
            }
            StreamEvent::ToolCallStart { index, id, name } => {
                if self.completions {
                    return;
                }
                self.tool_calls_seen = true;
                if let Some(f) = &mut self.fold {
                    f.tool_calls.push(FoldedToolCall {
                        index: *index,
                        id: id.clone(),
                        name: name.clone(),
                        arguments: String::new(),
                    });
                }
                self.open_choice(out);
                self.open_delta(out);
                out.extend_from_slice(b"\"tool_calls\":[{\"index\":");
                push_u64(out, u64::from(*index));
                out.extend_from_slice(b",\"id\":");
                push_json_str(out, id);
                out.extend_from_slice(b",\"type\":\"function\",\"function\":{\"name\":");
                push_json_str(out, name);
                out.extend_from_slice(b",\"arguments\":\"\"}}]}");
                self.close_choice(out, None);
            }
            StreamEvent::ToolCallArgs { index, fragment } => {
                if fragment.is_empty() || self.completions {
                    return;
                }
                self.output_bytes += fragment.len() as u64;
                if let Some(f) = &mut self.fold {
                    if let Some(call) = f.tool_calls.iter_mut().find(|c| c.index == *index) {
                        call.arguments.push_str(fragment);
                    }
                }
                self.open_choice(out);
                self.open_delta(out);
                out.extend_from_slice(b"\"tool_calls\":[{\"index\":");
                push_u64(out, u64::from(*index));
                out.extend_from_slice(b",\"function\":{\"arguments\":");
                push_json_str(out, fragment);
                out.extend_from_slice(b"}}]}");
                self.close_choice(out, None);
            }
            // OpenAI chunks have no place for reasoning signatures or encrypted reasoning.
            StreamEvent::ReasoningSignature(_) | StreamEvent::RedactedReasoning(_) => {}
            StreamEvent::Finish(reason) => self.write_finish(*reason, out),
            StreamEvent::Usage(usage) => self.usage = Some(usage.clone()),
            StreamEvent::Error { message, kind } => {
                out.extend_from_slice(b"data: {\"error\":{\"message\":");
                push_json_str(out, message);
                out.extend_from_slice(b",\"type\":");
                match kind {
                    Some(kind) => push_json_str(out, kind),
                    None => out.extend_from_slice(b"null"),
                }
                out.extend_from_slice(b"}}\n\n");
                out.extend_from_slice(DONE_FRAME);
                self.closed = true;
            }
        }
    }

    /// End of the upstream stream: the finish chunk if none was written, the usage chunk when
    /// asked for, then `data: [DONE]`. Does nothing after an error or a previous `finish`.
    pub fn finish(&mut self, out: &mut Vec<u8>) {
        if self.closed {
            return;
        }
        if self.finish.is_none() {
            let reason = if self.tool_calls_seen {
                FinishReason::ToolCalls
            } else {
                FinishReason::Stop
            };
            self.write_finish(reason, out);
        }
        if self.include_usage {
            let usage = self.usage.as_ref().or(self.estimated.as_ref());
            if let Some(json) = usage.and_then(|u| serde_json::to_vec(u).ok()) {
                self.ensure_prefix();
                out.extend_from_slice(&self.prefix);
                out.extend_from_slice(b"],\"usage\":");
                out.extend_from_slice(&json);
                out.extend_from_slice(b"}\n\n");
            }
        }
        out.extend_from_slice(DONE_FRAME);
        self.closed = true;
    }

    /// Whether `[DONE]` has been written (after `finish` or an error).
    pub fn is_closed(&self) -> bool {
        self.closed
    }

    /// The answer id written (or to be written) in the chunks.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The model written (or to be written) in the chunks.
    pub fn model(&self) -> &str {
        &self.model
    }

    /// The finish reason written, if any yet.
    pub fn finish_reason(&self) -> Option<FinishReason> {
        self.finish
    }

    /// The provider-reported usage (the last one received), if any.
    pub fn usage(&self) -> Option<&Usage> {
        self.usage.as_ref()
    }

    /// Bytes of text, reasoning and tool arguments emitted (for token estimates).
    pub fn output_bytes(&self) -> u64 {
        self.output_bytes
    }

    /// The assembled answer, when [`ChunkEmitter::accumulate`] was asked for.
    pub fn fold(&self) -> Option<&Fold> {
        self.fold.as_ref()
    }

    /// The assembled answer as the assistant message a non-streamed answer would carry.
    pub fn message(&self) -> Option<AssistantMessage> {
        let fold = self.fold.as_ref()?;
        let tool_calls: Vec<ToolCall> = fold
            .tool_calls
            .iter()
            .map(|c| ToolCall {
                id: c.id.clone(),
                kind: "function".to_string(),
                function: FunctionCall {
                    name: c.name.clone(),
                    arguments: c.arguments.clone(),
                },
            })
            .collect();
        let has_tools = !tool_calls.is_empty();
        Some(AssistantMessage {
            role: Role::Assistant,
            content: (!fold.content.is_empty() || !has_tools).then(|| fold.content.clone()),
            reasoning_content: (!fold.reasoning.is_empty()).then(|| fold.reasoning.clone()),
            tool_calls: has_tools.then_some(tool_calls),
            refusal: None,
            reasoning_blocks: Vec::new(),
        })
    }

    fn write_finish(&mut self, reason: FinishReason, out: &mut Vec<u8>) {
        if self.finish.is_some() {
            return;
        }
        self.finish = Some(reason);
        // A client must see the role before the answer ends, even when it is empty.
        if !self.completions && !self.role_sent {
            self.open_choice(out);
            self.open_delta(out);
            out.extend_from_slice(b"\"content\":\"\"}");
            self.close_choice(out, None);
        }
        self.open_choice(out);
        if self.completions {
            out.extend_from_slice(b"\"\"");
        } else {
            out.extend_from_slice(b"{}");
        }
        self.close_choice(out, Some(reason));
    }

    fn ensure_prefix(&mut self) {
        if !self.prefix.is_empty() {
            return;
        }
        let p = &mut self.prefix;
        p.extend_from_slice(b"data: {\"id\":");
        push_json_str(p, &self.id);
        p.extend_from_slice(if self.completions {
            b",\"object\":\"text_completion\",\"created\":".as_slice()
        } else {
            b",\"object\":\"chat.completion.chunk\",\"created\":".as_slice()
        });
        push_u64(p, self.created);
        p.extend_from_slice(b",\"model\":");
        push_json_str(p, &self.model);
        p.extend_from_slice(b",\"choices\":[");
    }

    /// Prefix and the choice up to its `delta` (chat) or `text` (completions) value.
    fn open_choice(&mut self, out: &mut Vec<u8>) {
        self.ensure_prefix();
        out.extend_from_slice(&self.prefix);
        out.extend_from_slice(if self.completions {
            b"{\"index\":0,\"text\":".as_slice()
        } else {
            b"{\"index\":0,\"delta\":".as_slice()
        });
    }

    /// `{` of a delta, with the role if it is the first one.
    fn open_delta(&mut self, out: &mut Vec<u8>) {
        if self.role_sent {
            out.push(b'{');
        } else {
            out.extend_from_slice(b"{\"role\":\"assistant\",");
            self.role_sent = true;
        }
    }

    /// The rest of the choice and of the chunk.
    fn close_choice(&self, out: &mut Vec<u8>, reason: Option<FinishReason>) {
        out.extend_from_slice(b",\"logprobs\":null,\"finish_reason\":");
        out.extend_from_slice(match reason {
            None => b"null".as_slice(),
            Some(FinishReason::Stop) => b"\"stop\"",
            Some(FinishReason::Length) => b"\"length\"",
            Some(FinishReason::ToolCalls) => b"\"tool_calls\"",
            Some(FinishReason::ContentFilter) => b"\"content_filter\"",
            Some(FinishReason::FunctionCall) => b"\"function_call\"",
        });
        out.extend_from_slice(if self.include_usage {
            b"}],\"usage\":null}\n\n".as_slice()
        } else {
            b"}]}\n\n"
        });
    }
}

/// Writes `s` as a JSON string literal (RFC 8259 §7: `"`, `\` and control characters escaped;
/// everything else, non-ASCII included, written as is).
fn push_json_str(out: &mut Vec<u8>, s: &str) {
    let bytes = s.as_bytes();
    out.reserve(bytes.len() + 2);
    out.push(b'"');
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let short: &[u8] = match b {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            b'\n' => b"\\n",
            b'\r' => b"\\r",
            b'\t' => b"\\t",
            0x08 => b"\\b",
            0x0c => b"\\f",
            0x00..=0x1f => b"",
            _ => continue,
        };
        out.extend_from_slice(bytes.get(start..i).unwrap_or_default());
        if short.is_empty() {
            out.extend_from_slice(&[b'\\', b'u', b'0', b'0', hex(b >> 4), hex(b & 0x0f)]);
        } else {
            out.extend_from_slice(short);
        }
        start = i + 1;
    }
    out.extend_from_slice(bytes.get(start..).unwrap_or_default());
    out.push(b'"');
}

fn hex(n: u8) -> u8 {
    if n < 10 {
        b'0' + n
    } else {
        b'a' + (n - 10)
    }
}

/// Writes `n` in decimal.
fn push_u64(out: &mut Vec<u8>, mut n: u64) {
    let mut digits = [0u8; 20];
    let mut i = digits.len();
    loop {
        i -= 1;
        if let Some(d) = digits.get_mut(i) {
            *d = b'0' + (n % 10) as u8;
        }
        n /= 10;
        if n == 0 || i == 0 {
            break;
        }
    }
    out.extend_from_slice(digits.get(i..).unwrap_or_default());
}
