//! Chat completion chunks (the bytes the chat pipeline would send: `data: {chunk}` events
//! and `data: [DONE]`) → Responses stream events (`response.created`, output item and
//! content part events, `response.output_text.delta`, `response.function_call_arguments.delta`,
//! `response.completed`), each with its `sequence_number`.

use serde_json::{json, Value};

use super::response::{envelope, message_item, set, usage};

/// One open output item.
enum Item {
    Message {
        id: String,
        text: String,
    },
    Call {
        id: String,
        call_id: String,
        name: String,
        args: String,
    },
}

/// Per-stream converter state.
#[derive(Default)]
pub struct ChatToResponses {
    /// Unfinished tail of the chat SSE bytes.
    tail: Vec<u8>,
    seq: u64,
    started: bool,
    id: String,
    model: String,
    created: i64,
    /// Finished output items.
    done: Vec<Value>,
    open: Option<Item>,
    /// Open tool call by its chat index.
    call_index: Option<u64>,
    usage: Option<Value>,
    length: bool,
    completed: bool,
}

impl ChatToResponses {
    /// A fresh converter.
    pub fn new() -> ChatToResponses {
        ChatToResponses::default()
    }

    /// Converts chat SSE bytes (any chunking); at `eos` the response is completed even if the
    /// chat stream ended without `[DONE]`.
    pub fn feed(&mut self, chat: &[u8], eos: bool) -> Vec<u8> {
        self.tail.extend_from_slice(chat);
        let mut out = Vec::new();
        while let Some(end) = find(&self.tail, b"\n\n") {
            let event: Vec<u8> = self.tail.drain(..end + 2).collect();
            let text = String::from_utf8_lossy(&event);
            for line in text.lines() {
                if let Some(data) = line.strip_prefix("data:") {
                    self.on_data(data.trim(), &mut out);
                }
            }
        }
        if eos {
            self.complete(&mut out);
        }
        out
    }

    fn emit(&mut self, out: &mut Vec<u8>, mut event: Value) {
        let kind = event
            .get("type")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        set(&mut event, "sequence_number", json!(self.seq));
        self.seq += 1;
        out.extend_from_slice(format!("event: {kind}\ndata: {event}\n\n").as_bytes());
    }

    fn snapshot(&self, status: &str) -> Value {
        envelope(
            &self.id,
            self.created,
            &self.model,
            status,
            self.done.clone(),
        )
    }

    fn on_data(&mut self, data: &str, out: &mut Vec<u8>) {
        if data == "[DONE]" {
            self.complete(out);
            return;
        }
        let Ok(chunk) = serde_json::from_slice::<Value>(data.as_bytes()) else {
            return;
        };
        if let Some(err) = chunk.get("error") {
            self.emit(out, json!({"type": "error", "message": err.get("message").cloned().unwrap_or(err.clone()),
                "code": err.get("type").cloned().unwrap_or(Value::Null)}));
            return;
        }
        if !self.started {
            self.started = true;
            let base = chunk.get("id").and_then(Value::as_str).unwrap_or("stream");
            self.id = format!("resp_{base}");
            self.model = chunk
                .get("model")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string();
            self.created = chunk.get("created").and_then(Value::as_i64).unwrap_or(0);
            let r = self.snapshot("in_progress");
            self.emit(out, json!({"type": "response.created", "response": r}));
            self.emit(out, json!({"type": "response.in_progress", "response": r}));
        }
        if let Some(u) = chunk.get("usage").filter(|u| !u.is_null()) {
            self.usage = Some(usage(u));
        }
        let Some(choice) = chunk.pointer("/choices/0") else {
            return;
        };
        let delta = choice.get("delta").cloned().unwrap_or(Value::Null);
        if let Some(t) = delta
            .get("content")
            .and_then(Value::as_str)
            .filter(|t| !t.is_empty())
        {
            self.text_delta(t, out);
        }
        if let Some(calls) = delta.get("tool_calls").and_then(Value::as_array) {
            for c in calls {
                self.call_delta(c, out);
            }
        }
        if choice.get("finish_reason") == Some(&json!("length")) {
            self.length = true;
        }
    }

    fn output_index(&self) -> usize {
        self.done.len()
    }

    fn text_delta(&mut self, t: &str, out: &mut Vec<u8>) {
        if !matches!(self.open, Some(Item::Message { .. })) {
            self.close(out);
            let id = format!("msg_{}", self.seq);
            let idx = self.output_index();
            self.emit(out, json!({"type": "response.output_item.added", "output_index": idx,
                "item": {"type": "message", "id": id, "status": "in_progress", "role": "assistant", "content": []}}));
            self.emit(out, json!({"type": "response.content_part.added", "item_id": id, "output_index": idx,
                "content_index": 0, "part": {"type": "output_text", "text": "", "annotations": []}}));
            self.open = Some(Item::Message {
                id,
                text: String::new(),
            });
        }
        let idx = self.output_index();
        if let Some(Item::Message { id, text }) = &mut self.open {
            text.push_str(t);
            let id = id.clone();
            self.emit(
                out,
                json!({"type": "response.output_text.delta", "item_id": id, "output_index": idx,
                "content_index": 0, "delta": t}),
            );
        }
    }

    fn call_delta(&mut self, c: &Value, out: &mut Vec<u8>) {
        let index = c.get("index").and_then(Value::as_u64).unwrap_or(0);
        let starts =
            c.get("id").and_then(Value::as_str).is_some() || self.call_index != Some(index);
        if starts {
            self.close(out);
            let call_id = c
                .get("id")
                .and_then(Value::as_str)
                .unwrap_or("call")
                .to_string();
            let name = c
                .pointer("/function/name")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string();
            let id = format!("fc_{call_id}");
            let idx = self.output_index();
            self.emit(out, json!({"type": "response.output_item.added", "output_index": idx,
                "item": {"type": "function_call", "id": id, "call_id": call_id, "name": name, "arguments": "", "status": "in_progress"}}));
            self.open = Some(Item::Call {
                id,
                call_id,
                name,
                args: String::new(),
            });
            self.call_index = Some(index);
        }
        let fragment = c
            .pointer("/function/arguments")
            .and_then(Value::as_str)
            .unwrap_or("");
        if fragment.is_empty() {
            return;
        }
        let idx = self.output_index();
        if let Some(Item::Call { id, args, .. }) = &mut self.open {
            args.push_str(fragment);
            let id = id.clone();
            self.emit(
                out,
                json!({"type": "response.function_call_arguments.delta", "item_id": id,
                "output_index": idx, "delta": fragment}),
            );
        }
    }

    /// Closes the open output item with its `.done` events.
    fn close(&mut self, out: &mut Vec<u8>) {
        let idx = self.output_index();
        match self.open.take() {
            Some(Item::Message { id, text }) => {
                self.emit(
                    out,
                    json!({"type": "response.output_text.done", "item_id": id, "output_index": idx,
                    "content_index": 0, "text": text}),
                );
                self.emit(out, json!({"type": "response.content_part.done", "item_id": id, "output_index": idx,
                    "content_index": 0, "part": {"type": "output_text", "text": text, "annotations": []}}));
                let item = message_item(&id, &text, "completed");
                self.emit(
                    out,
                    json!({"type": "response.output_item.done", "output_index": idx, "item": item}),
                );
                self.done.push(item);
            }
            Some(Item::Call {
                id,
                call_id,
                name,
                args,
            }) => {
                self.emit(
                    out,
                    json!({"type": "response.function_call_arguments.done", "item_id": id,
                    "output_index": idx, "arguments": args}),
                );
                let item = json!({"type": "function_call", "id": id, "call_id": call_id, "name": name,
                    "arguments": args, "status": "completed"});
                self.emit(
                    out,
                    json!({"type": "response.output_item.done", "output_index": idx, "item": item}),
                );
                self.done.push(item);
                self.call_index = None;
            }
            None => {}
        }
    }

    fn complete(&mut self, out: &mut Vec<u8>) {
        if self.completed || !self.started {
            return;
        }
        self.completed = true;
        self.close(out);
        let (status, kind) = if self.length {
            ("incomplete", "response.incomplete")
        } else {
            ("completed", "response.completed")
        };
        let mut r = self.snapshot(status);
        if self.length {
            set(
                &mut r,
                "incomplete_details",
                json!({"reason": "max_output_tokens"}),
            );
        }
        if let Some(u) = &self.usage {
            set(&mut r, "usage", u.clone());
        }
        self.emit(out, json!({"type": kind, "response": r}));
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}
