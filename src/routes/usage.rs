//! Usage these APIs report, mapped to Kong's analytics fields (docs/kong-compatibility.md §12, §16):
//! the Responses API and images report `input_tokens`/`output_tokens` (with
//! `input_tokens_details`/`output_tokens_details`), transcriptions the same with
//! `type: "tokens"`, or `type: "duration"` with `seconds`. Chat-style `prompt_tokens` is read
//! by the exchange as before.

use serde_json::{Map, Value};

use crate::api::Usage;

/// What a non-chat answer's `usage` object says.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RouteUsage {
    /// Input/output tokens as prompt/completion tokens (cached and reasoning details kept).
    pub tokens: Option<Usage>,
    /// Kong's non-text fields: `input_tokens`, `input_tokens_details`, `output_tokens`,
    /// `output_tokens_details`, and `seconds` for audio billed by duration.
    pub fields: Map<String, Value>,
}

/// Reads `usage` in the Responses/images/audio shape; `None` when it is not that shape.
pub fn read(usage: &Value) -> Option<RouteUsage> {
    let obj = usage.as_object()?;
    let mut out = RouteUsage::default();
    for key in [
        "input_tokens",
        "input_tokens_details",
        "output_tokens",
        "output_tokens_details",
        "seconds",
    ] {
        if let Some(v) = obj.get(key).filter(|v| !v.is_null()) {
            out.fields.insert(key.to_string(), v.clone());
        }
    }
    if out.fields.is_empty() {
        return None;
    }
    let input = obj.get("input_tokens").and_then(Value::as_u64);
    let output = obj.get("output_tokens").and_then(Value::as_u64);
    if input.is_some() || output.is_some() {
        let cached = usage
            .pointer("/input_tokens_details/cached_tokens")
            .and_then(Value::as_u64);
        let reasoning = usage
            .pointer("/output_tokens_details/reasoning_tokens")
            .and_then(Value::as_u64);
        out.tokens = Some(
            Usage::new(input.unwrap_or(0), output.unwrap_or(0))
                .with_cached(cached)
                .with_reasoning(reasoning),
        );
    }
    Some(out)
}

/// A stream reader for Responses API events whose output is discarded: it reports the usage
/// and model of the final `response.completed` (or `response.incomplete`) event, so a
/// passed-through Responses stream still gets analytics.
pub struct ResponsesUsage;

impl crate::stream::ProviderStream for ResponsesUsage {
    fn on_frame(
        &mut self,
        frame: crate::stream::Frame,
        out: &mut Vec<crate::stream::StreamEvent>,
    ) -> Result<(), crate::error::TranslateError> {
        use crate::stream::{Frame, StreamEvent};
        let Frame::Sse { data, .. } = frame else {
            return Ok(());
        };
        let Ok(v) = serde_json::from_slice::<Value>(data.as_bytes()) else {
            return Ok(());
        };
        let kind = v.get("type").and_then(Value::as_str).unwrap_or("");
        if kind != "response.completed" && kind != "response.incomplete" {
            return Ok(());
        }
        let model = v
            .pointer("/response/model")
            .and_then(Value::as_str)
            .map(str::to_string);
        out.push(StreamEvent::Meta { id: None, model });
        if let Some(t) = v
            .pointer("/response/usage")
            .and_then(read)
            .and_then(|r| r.tokens)
        {
            out.push(StreamEvent::Usage(t));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn responses_usage() {
        // OpenAI API reference, "The response object" example usage.
        let u = json!({"input_tokens": 36, "input_tokens_details": {"cached_tokens": 0},
            "output_tokens": 87, "output_tokens_details": {"reasoning_tokens": 0}, "total_tokens": 123});
        let r = read(&u).unwrap();
        let t = r.tokens.unwrap();
        assert_eq!(
            (t.prompt_tokens, t.completion_tokens, t.total_tokens),
            (36, 87, 123)
        );
        assert_eq!(
            r.fields["input_tokens_details"],
            json!({"cached_tokens": 0})
        );
    }

    #[test]
    fn duration_and_chat_shapes() {
        // OpenAI API reference, transcription object for whisper-1: usage by duration.
        let r = read(&json!({"type": "duration", "seconds": 9})).unwrap();
        assert_eq!(r.tokens, None);
        assert_eq!(r.fields["seconds"], json!(9));
        assert_eq!(
            read(&json!({"prompt_tokens": 1, "completion_tokens": 2})),
            None
        );
    }
}
