//! The one chunk emitter (placeholder on main; the stream work replaces it).

use serde_json::json;

use super::StreamEvent;
use crate::api::{FinishReason, RouteType, Usage};

/// Turns neutral events into OpenAI SSE chunks.
pub struct ChunkEmitter {
    route: RouteType,
    id: String,
    model: String,
    created: u64,
    include_usage: bool,
    role_sent: bool,
    finished: bool,
    closed: bool,
    tools: bool,
    usage: Option<Usage>,
    text: String,
    prompt_estimate: u64,
    provider_model: Option<String>,
}

impl ChunkEmitter {
    /// A new emitter.
    pub fn new(
        route: RouteType,
        id: String,
        model: String,
        created: u64,
        include_usage: bool,
    ) -> Self {
        ChunkEmitter {
            route,
            id,
            model,
            created,
            include_usage,
            role_sent: false,
            finished: false,
            closed: false,
            tools: false,
            usage: None,
            text: String::new(),
            prompt_estimate: 0,
            provider_model: None,
        }
    }

    /// Prompt estimate used when the provider reports no usage.
    pub fn set_estimated_prompt_tokens(&mut self, n: u64) {
        self.prompt_estimate = n;
    }

    /// Usage reported so far.
    pub fn usage(&self) -> Option<&Usage> {
        self.usage.as_ref()
    }

    /// Text emitted so far.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// Model the provider named.
    pub fn model(&self) -> Option<&str> {
        self.provider_model.as_deref()
    }

    fn write(&mut self, choice: serde_json::Value, out: &mut Vec<u8>) {
        let object = if self.route == RouteType::Completions {
            "text_completion"
        } else {
            "chat.completion.chunk"
        };
        let v = json!({"id": self.id, "object": object, "created": self.created, "model": self.model, "choices": [choice]});
        out.extend_from_slice(b"data: ");
        out.extend_from_slice(&serde_json::to_vec(&v).unwrap_or_default());
        out.extend_from_slice(b"\n\n");
    }

    fn delta(&mut self, mut delta: serde_json::Value, out: &mut Vec<u8>) {
        if self.route == RouteType::Completions {
            let text = delta.get("content").cloned().unwrap_or(json!(""));
            self.write(
                json!({"index":0,"text":text,"logprobs":null,"finish_reason":null}),
                out,
            );
            return;
        }
        if !self.role_sent {
            self.role_sent = true;
            if let Some(m) = delta.as_object_mut() {
                m.insert("role".into(), json!("assistant"));
            }
        }
        self.write(
            json!({"index":0,"delta":delta,"logprobs":null,"finish_reason":null}),
            out,
        );
    }

    /// Writes one event.
    pub fn emit(&mut self, ev: &StreamEvent, out: &mut Vec<u8>) {
        if self.closed {
            return;
        }
        match ev {
            StreamEvent::Meta { id, model } => {
                if !self.role_sent {
                    if let Some(i) = id {
                        self.id = i.clone();
                    }
                }
                if let Some(m) = model {
                    self.provider_model = Some(m.clone());
                }
            }
            StreamEvent::Text(t) => {
                self.text.push_str(t);
                self.delta(json!({"content": t}), out);
            }
            StreamEvent::Reasoning(t) => self.delta(json!({"reasoning_content": t}), out),
            StreamEvent::ToolCallStart { index, id, name } => {
                self.tools = true;
                self.delta(json!({"tool_calls":[{"index":index,"id":id,"type":"function","function":{"name":name,"arguments":""}}]}), out);
            }
            StreamEvent::ToolCallArgs { index, fragment } => {
                self.delta(
                    json!({"tool_calls":[{"index":index,"function":{"arguments":fragment}}]}),
                    out,
                );
            }
            StreamEvent::Finish(r) => self.finish_reason(*r, out),
            StreamEvent::Usage(u) => self.usage = Some(u.clone()),
            StreamEvent::Error { message, kind } => {
                let v = json!({"error": {"message": message, "type": kind}});
                out.extend_from_slice(b"data: ");
                out.extend_from_slice(&serde_json::to_vec(&v).unwrap_or_default());
                out.extend_from_slice(b"\n\ndata: [DONE]\n\n");
                self.closed = true;
            }
        }
    }

    fn finish_reason(&mut self, r: FinishReason, out: &mut Vec<u8>) {
        if self.finished {
            return;
        }
        self.finished = true;
        let choice = if self.route == RouteType::Completions {
            json!({"index":0,"text":"","logprobs":null,"finish_reason":r})
        } else {
            json!({"index":0,"delta":{},"logprobs":null,"finish_reason":r})
        };
        self.write(choice, out);
    }

    /// End of stream: finish reason if missing, usage chunk, `[DONE]`.
    pub fn finish(&mut self, out: &mut Vec<u8>) {
        if self.closed {
            return;
        }
        if !self.finished {
            let r = if self.tools {
                FinishReason::ToolCalls
            } else {
                FinishReason::Stop
            };
            self.finish_reason(r, out);
        }
        if self.include_usage {
            let u = self.usage.clone().unwrap_or_else(|| {
                Usage::new(
                    self.prompt_estimate,
                    self.text.chars().count().div_ceil(4) as u64,
                )
            });
            let object = if self.route == RouteType::Completions {
                "text_completion"
            } else {
                "chat.completion.chunk"
            };
            let v = json!({"id": self.id, "object": object, "created": self.created, "model": self.model, "choices": [], "usage": u});
            out.extend_from_slice(b"data: ");
            out.extend_from_slice(&serde_json::to_vec(&v).unwrap_or_default());
            out.extend_from_slice(b"\n\n");
        }
        out.extend_from_slice(b"data: [DONE]\n\n");
        self.closed = true;
    }
}
