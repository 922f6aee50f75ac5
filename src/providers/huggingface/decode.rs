//! Hugging Face → OpenAI answers.
//!
//! Chat answers are OpenAI-shaped but not exactly OpenAI's (hub-docs
//! `inference-providers/tasks/chat-completion.md`; TGI `router/src/lib.rs`), so they are parsed
//! and rebuilt rather than passed through: TGI sends an empty `id`, `finish_reason` values such
//! as `stop_sequence`/`eos_token`, `stop` on tool-call answers, and (before 3.x) tool-call
//! `arguments` as a JSON object. Feature-extraction answers are bare arrays of vectors
//! (`tasks/feature-extraction.md`) and become an OpenAI `list` of embeddings.

use serde_json::Value;

use super::wire;
use crate::api::chat::{AssistantMessage, ChatChoice, ChatResponse, FunctionCall, Role, ToolCall};
use crate::api::embeddings::{Embedding, EmbeddingsResponse};
use crate::api::{FinishReason, Usage};
use crate::env::Env;
use crate::error::TranslateError;
use crate::providers::ResponseCtx;

/// Maps a finish reason to OpenAI's set (docs/kong-compatibility.md §11). TGI's `eos_token` and
/// `stop_sequence` are `stop`; an answer that called tools and stopped is `tool_calls` (TGI
/// reports `stop` there, OpenAI clients look for `tool_calls`); unknown values are `stop`.
pub fn finish_reason(reason: wire::FinishReason, called_tools: bool) -> FinishReason {
    let mapped = match reason {
        wire::FinishReason::Stop
        | wire::FinishReason::EosToken
        | wire::FinishReason::StopSequence
        | wire::FinishReason::Unknown => FinishReason::Stop,
        wire::FinishReason::Length => FinishReason::Length,
        wire::FinishReason::ToolCalls => FinishReason::ToolCalls,
        wire::FinishReason::FunctionCall => FinishReason::FunctionCall,
        wire::FinishReason::ContentFilter => FinishReason::ContentFilter,
    };
    if called_tools && mapped == FinishReason::Stop {
        FinishReason::ToolCalls
    } else {
        mapped
    }
}

/// Maps usage; the total is the provider's, else prompt + completion.
pub fn usage(u: &wire::WireUsage) -> Usage {
    let prompt = u.prompt_tokens.unwrap_or(0);
    let completion = u.completion_tokens.unwrap_or(0);
    let mut out = Usage::new(prompt, completion)
        .with_cached(
            u.prompt_tokens_details
                .as_ref()
                .and_then(|d| d.cached_tokens),
        )
        .with_reasoning(
            u.completion_tokens_details
                .as_ref()
                .and_then(|d| d.reasoning_tokens),
        );
    if let Some(total) = u.total_tokens {
        out.total_tokens = total;
    }
    out
}

/// Tool-call arguments as OpenAI's JSON string; missing or `null` arguments are `{}`.
pub fn arguments_string(args: Option<&wire::Arguments>) -> String {
    match args {
        Some(wire::Arguments::Text(s)) => s.clone(),
        Some(wire::Arguments::Json(v)) => {
            crate::api::chat::FunctionCall::arguments_from_json(Some(v))
        }
        None => "{}".to_string(),
    }
}

/// A non-empty string, else `None` (TGI sends `""` for ids it does not track).
pub fn non_empty(s: Option<&String>) -> Option<&str> {
    s.map(String::as_str).filter(|s| !s.is_empty())
}

/// Decodes a chat answer. A 2xx body carrying `error`, or without `choices`, cannot be
/// translated.
pub fn decode_chat(body: &[u8], ctx: &ResponseCtx<'_>) -> Result<ChatResponse, TranslateError> {
    let answer: wire::ChatCompletion = serde_json::from_slice(body)
        .map_err(|e| TranslateError::new(format!("unexpected chat response: {e}")))?;
    if let Some(err) = &answer.error {
        return Err(TranslateError::new(format!("API error: {}", err.message())));
    }
    let Some(choices) = &answer.choices else {
        return Err(TranslateError::new("no choices in chat response"));
    };
    let choices = choices
        .iter()
        .enumerate()
        .map(|(pos, c)| decode_choice(pos, c, ctx.env))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(ChatResponse {
        id: non_empty(answer.id.as_ref())
            .map(str::to_string)
            .unwrap_or_else(|| ctx.env.new_id("chatcmpl-")),
        object: "chat.completion".to_string(),
        created: answer
            .created
            .filter(|c| *c > 0)
            .unwrap_or_else(|| ctx.env.now_unix()),
        model: Some(
            non_empty(answer.model.as_ref())
                .unwrap_or(ctx.model)
                .to_string(),
        ),
        choices,
        usage: answer.usage.as_ref().map(usage),
        system_fingerprint: non_empty(answer.system_fingerprint.as_ref()).map(str::to_string),
    })
}

fn decode_choice(
    pos: usize,
    choice: &wire::Choice,
    env: &dyn Env,
) -> Result<ChatChoice, TranslateError> {
    let message = choice.message.clone().unwrap_or_default();
    let tool_calls = message
        .tool_calls
        .as_deref()
        .unwrap_or_default()
        .iter()
        .map(|call| decode_tool_call(call, env))
        .collect::<Result<Vec<_>, _>>()?;
    let called_tools = !tool_calls.is_empty();
    // OpenAI: `content` is null on a turn that only calls tools.
    let content = message.content.filter(|c| !(called_tools && c.is_empty()));
    Ok(ChatChoice {
        index: choice
            .index
            .unwrap_or_else(|| u32::try_from(pos).unwrap_or(u32::MAX)),
        message: AssistantMessage {
            role: Role::Assistant,
            content,
            reasoning_content: message.reasoning_content.filter(|r| !r.is_empty()),
            tool_calls: called_tools.then_some(tool_calls),
            refusal: None,
            reasoning_blocks: Vec::new(),
        },
        finish_reason: choice.finish_reason.map(|r| finish_reason(r, called_tools)),
    })
}

fn decode_tool_call(call: &wire::ToolCall, env: &dyn Env) -> Result<ToolCall, TranslateError> {
    let function = call.function.as_ref();
    let Some(name) = non_empty(function.and_then(|f| f.name.as_ref())) else {
        return Err(TranslateError::new("tool call without a function name"));
    };
    Ok(ToolCall {
        id: non_empty(call.id.as_ref())
            .map(str::to_string)
            .unwrap_or_else(|| env.new_id("call_")),
        kind: "function".to_string(),
        function: FunctionCall {
            name: name.to_string(),
            arguments: arguments_string(function.and_then(|f| f.arguments.as_ref())),
        },
    })
}

/// Decodes a feature-extraction answer: one pooled vector per input becomes one OpenAI
/// embedding per input, in order. HF reports no token counts, so `usage` is absent (not
/// guessed). Token-level answers (one vector per token, from models without a pooling layer)
/// are refused: pooling them here would invent an embedding the model does not define.
pub fn decode_embeddings(
    body: &[u8],
    ctx: &ResponseCtx<'_>,
) -> Result<EmbeddingsResponse, TranslateError> {
    let vectors = match wire::FeatureExtractionOutput::parse(body) {
        Some(wire::FeatureExtractionOutput::Vectors(v)) => v,
        Some(wire::FeatureExtractionOutput::Single(v)) => vec![v],
        Some(wire::FeatureExtractionOutput::Tokens(_)) => {
            return Err(TranslateError::new(
                "model returned token-level features, not sentence embeddings; \
                 use a sentence-embedding model",
            ))
        }
        None => {
            return Err(match serde_json::from_slice::<wire::ErrorBody>(body) {
                Ok(e) => TranslateError::new(format!("API error: {}", e.error.message())),
                Err(_) => TranslateError::new("unexpected feature-extraction response"),
            })
        }
    };
    let data = vectors
        .into_iter()
        .enumerate()
        .map(|(i, v)| Embedding {
            object: "embedding".to_string(),
            index: u32::try_from(i).unwrap_or(u32::MAX),
            embedding: Value::Array(v.into_iter().map(Value::from).collect()),
        })
        .collect();
    Ok(EmbeddingsResponse {
        object: "list".to_string(),
        data,
        model: Some(ctx.model.to_string()),
        usage: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finish_reasons_map_to_openai_set() {
        use wire::FinishReason as W;
        let cases = [
            (W::Stop, false, FinishReason::Stop),
            (W::EosToken, false, FinishReason::Stop),
            (W::StopSequence, false, FinishReason::Stop),
            (W::Length, false, FinishReason::Length),
            (W::ToolCalls, false, FinishReason::ToolCalls),
            (W::ContentFilter, false, FinishReason::ContentFilter),
            (W::FunctionCall, false, FinishReason::FunctionCall),
            (W::Unknown, false, FinishReason::Stop),
            (W::Stop, true, FinishReason::ToolCalls),
            (W::EosToken, true, FinishReason::ToolCalls),
            (W::Length, true, FinishReason::Length),
        ];
        for (w, tools, want) in cases {
            assert_eq!(finish_reason(w, tools), want, "{w:?} tools={tools}");
        }
    }

    #[test]
    fn arguments_become_strings() {
        assert_eq!(arguments_string(None), "{}");
        assert_eq!(
            arguments_string(Some(&wire::Arguments::Json(serde_json::json!({"a": 1})))),
            r#"{"a":1}"#
        );
        assert_eq!(
            arguments_string(Some(&wire::Arguments::Text("{\"a\":1}".into()))),
            "{\"a\":1}"
        );
    }
}
