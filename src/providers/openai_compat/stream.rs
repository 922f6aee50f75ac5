//! OpenAI `chat.completion.chunk` / `text_completion` chunks read back into neutral
//! [`StreamEvent`]s. Used where an OpenAI-shaped stream must go through the shared emitter
//! (inflated gzip streams, and providers whose streams are OpenAI-shaped but incomplete).

use serde::Deserialize;

use crate::api::{FinishReason, Usage};
use crate::error::TranslateError;
use crate::stream::StreamEvent;

#[derive(Deserialize)]
struct Chunk {
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    model: Option<String>,
    #[serde(default)]
    choices: Vec<Choice>,
    #[serde(default)]
    usage: Option<Usage>,
    #[serde(default)]
    error: Option<serde_json::Value>,
}

#[derive(Deserialize)]
struct Choice {
    #[serde(default)]
    delta: Option<Delta>,
    #[serde(default)]
    text: Option<String>,
    #[serde(default)]
    finish_reason: Option<FinishReasonIn>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum FinishReasonIn {
    Known(FinishReason),
    Other(String),
}

#[derive(Deserialize, Default)]
struct Delta {
    #[serde(default)]
    content: Option<String>,
    #[serde(default)]
    reasoning_content: Option<String>,
    #[serde(default)]
    tool_calls: Vec<ToolCallDelta>,
}

#[derive(Deserialize)]
struct ToolCallDelta {
    #[serde(default)]
    index: u32,
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    function: Option<FunctionDelta>,
}

#[derive(Deserialize)]
struct FunctionDelta {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    arguments: Option<String>,
}

/// Translates one chunk's `data` (the `[DONE]` sentinel yields nothing).
pub fn chunk_events(data: &str, out: &mut Vec<StreamEvent>) -> Result<(), TranslateError> {
    let data = data.trim();
    if data.is_empty() || data == "[DONE]" {
        return Ok(());
    }
    let chunk: Chunk = serde_json::from_slice(data.as_bytes())?;
    if let Some(err) = chunk.error {
        let message = err
            .get("message")
            .and_then(|m| m.as_str())
            .map(str::to_string)
            .or_else(|| err.as_str().map(str::to_string))
            .unwrap_or_else(|| err.to_string());
        let kind = err.get("type").and_then(|t| t.as_str()).map(str::to_string);
        out.push(StreamEvent::Error { message, kind });
        return Ok(());
    }
    if chunk.id.is_some() || chunk.model.is_some() {
        out.push(StreamEvent::Meta {
            id: chunk.id,
            model: chunk.model,
        });
    }
    for choice in chunk.choices {
        let delta = choice.delta.unwrap_or_default();
        if let Some(t) = delta.reasoning_content.filter(|t| !t.is_empty()) {
            out.push(StreamEvent::Reasoning(t));
        }
        if let Some(t) = delta.content.or(choice.text).filter(|t| !t.is_empty()) {
            out.push(StreamEvent::Text(t));
        }
        for tc in delta.tool_calls {
            let (name, args) = match tc.function {
                Some(f) => (f.name, f.arguments),
                None => (None, None),
            };
            if let (Some(id), Some(name)) = (tc.id, name) {
                out.push(StreamEvent::ToolCallStart {
                    index: tc.index,
                    id,
                    name,
                });
            }
            if let Some(a) = args.filter(|a| !a.is_empty()) {
                out.push(StreamEvent::ToolCallArgs {
                    index: tc.index,
                    fragment: a,
                });
            }
        }
        match choice.finish_reason {
            Some(FinishReasonIn::Known(r)) => out.push(StreamEvent::Finish(r)),
            Some(FinishReasonIn::Other(s)) => out.push(StreamEvent::Finish(map_other(&s))),
            None => {}
        }
    }
    if let Some(u) = chunk.usage {
        out.push(StreamEvent::Usage(u));
    }
    Ok(())
}

fn map_other(s: &str) -> FinishReason {
    match s {
        "eos_token" | "eos" | "stop_sequence" | "end_turn" => FinishReason::Stop,
        "max_tokens" | "model_length" => FinishReason::Length,
        "tool_use" | "function_call" => FinishReason::ToolCalls,
        _ => FinishReason::Stop,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_tool_and_usage_chunks() {
        let mut ev = Vec::new();
        chunk_events(r#"{"id":"c1","model":"m","choices":[{"index":0,"delta":{"role":"assistant","content":"Hi"}}]}"#, &mut ev).unwrap();
        chunk_events(r#"{"id":"c1","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"call_1","type":"function","function":{"name":"f","arguments":""}}]}}]}"#, &mut ev).unwrap();
        chunk_events(r#"{"id":"c1","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"{\"a\":1}"}}]},"finish_reason":"tool_calls"}]}"#, &mut ev).unwrap();
        chunk_events(r#"{"id":"c1","choices":[],"usage":{"prompt_tokens":3,"completion_tokens":2,"total_tokens":5}}"#, &mut ev).unwrap();
        chunk_events("[DONE]", &mut ev).unwrap();
        assert_eq!(
            ev,
            vec![
                StreamEvent::Meta {
                    id: Some("c1".into()),
                    model: Some("m".into())
                },
                StreamEvent::Text("Hi".into()),
                StreamEvent::Meta {
                    id: Some("c1".into()),
                    model: None
                },
                StreamEvent::ToolCallStart {
                    index: 0,
                    id: "call_1".into(),
                    name: "f".into()
                },
                StreamEvent::Meta {
                    id: Some("c1".into()),
                    model: None
                },
                StreamEvent::ToolCallArgs {
                    index: 0,
                    fragment: "{\"a\":1}".into()
                },
                StreamEvent::Finish(FinishReason::ToolCalls),
                StreamEvent::Meta {
                    id: Some("c1".into()),
                    model: None
                },
                StreamEvent::Usage(Usage::new(3, 2)),
            ]
        );
    }

    #[test]
    fn error_chunk_and_garbage() {
        let mut ev = Vec::new();
        chunk_events(
            r#"{"error":{"message":"overloaded","type":"server_error"}}"#,
            &mut ev,
        )
        .unwrap();
        assert_eq!(
            ev,
            vec![StreamEvent::Error {
                message: "overloaded".into(),
                kind: Some("server_error".into())
            }]
        );
        assert!(chunk_events("{not json", &mut ev).is_err());
    }
}
