//! Cohere → OpenAI: v2 chat answers, Generate answers and v2 Embed answers.
//!
//! Cohere answers name no model and carry no timestamp: `model` is the request's model and
//! `created` is the gateway clock. Usage counts are Cohere's `billed_units` (what Kong reports
//! and what Cohere charges), falling back to `tokens` when billed units are absent.

use crate::api::chat::{AssistantMessage, ChatChoice, FunctionCall, Role, ToolCall};
use crate::api::completions::CompletionChoice;
use crate::api::embeddings::Embedding;
use crate::api::{
    ChatResponse, CompletionsResponse, EmbeddingsResponse, FinishReason, LlmResponse, Usage,
};
use crate::error::TranslateError;
use crate::providers::ResponseCtx;

use super::wire;

/// Kong's reason for a 200 answer without generated text (docs/kong-compatibility.md §3.2).
pub const MISSING_TEXT: &str = "'text' or 'generations' missing from cohere response body";

/// Maps Cohere's finish reason to OpenAI's set (docs/kong-compatibility.md §11). `ERROR`, `TIMEOUT` and
/// `USER_CANCEL` end the text early without a better OpenAI name: they become `stop`.
pub fn map_finish(reason: wire::FinishReason) -> FinishReason {
    use wire::FinishReason as F;
    match reason {
        F::MaxTokens | F::ErrorLimit => FinishReason::Length,
        F::ToolCall => FinishReason::ToolCalls,
        F::ErrorToxic => FinishReason::ContentFilter,
        F::Complete | F::StopSequence | F::Error | F::UserCancel | F::Timeout | F::Unknown => {
            FinishReason::Stop
        }
    }
}

/// A token count Cohere documents as `number`, as a whole count.
fn count(n: Option<f64>) -> u64 {
    // `as` saturates for out-of-range floats and maps NaN to 0: no panic on odd input.
    n.map_or(0, |v| v.max(0.0).round() as u64)
}

/// Usage from input/output units (`None` when neither count is present).
fn usage_of(units: Option<&wire::Units>) -> Option<Usage> {
    let u = units?;
    if u.input_tokens.is_none() && u.output_tokens.is_none() {
        return None;
    }
    Some(Usage::new(count(u.input_tokens), count(u.output_tokens)))
}

/// v2 usage: billed units first, then model tokens; cached prompt tokens as detail.
pub fn chat_usage(usage: &wire::Usage) -> Option<Usage> {
    let base = usage_of(usage.billed_units.as_ref()).or_else(|| usage_of(usage.tokens.as_ref()));
    let cached = usage.cached_tokens.map(|c| count(Some(c)));
    match base {
        Some(u) => Some(u.with_cached(cached)),
        None => cached.map(|c| Usage::new(0, 0).with_cached(Some(c))),
    }
}

/// Tool-call arguments as OpenAI's JSON string (Cohere documents a string; an object is
/// re-serialised; absent arguments are an empty object).
pub fn arguments_string(args: Option<&serde_json::Value>) -> String {
    crate::api::chat::FunctionCall::arguments_from_json(args)
}

/// Decodes a `/v2/chat` answer.
pub fn decode_chat(body: &[u8], ctx: &ResponseCtx<'_>) -> Result<LlmResponse, TranslateError> {
    let resp: wire::ChatResponse = serde_json::from_slice(body)?;
    let message = resp
        .message
        .ok_or_else(|| TranslateError::new(MISSING_TEXT))?;

    // The tool plan is the text the model wrote before calling tools; it goes first, as the
    // visible part of the turn (Kong does the same, docs/kong-compatibility.md §13.3).
    let mut text = message.tool_plan.unwrap_or_default();
    let mut reasoning = String::new();
    for block in message.content.iter().flatten() {
        match block {
            wire::ResponseContent::Text { text: t } => text.push_str(t),
            wire::ResponseContent::Thinking { thinking } => reasoning.push_str(thinking),
            wire::ResponseContent::Unknown => {}
        }
    }

    let mut calls = Vec::new();
    for (i, call) in message.tool_calls.iter().flatten().enumerate() {
        let function = call.function.clone().unwrap_or_default();
        let name = function
            .name
            .ok_or_else(|| TranslateError::new("cohere tool call without a function name"))?;
        calls.push(ToolCall {
            id: call
                .id
                .clone()
                .unwrap_or_else(|| format!("{}_{i}", ctx.env.new_id("call_"))),
            kind: "function".to_string(),
            function: FunctionCall {
                name,
                arguments: arguments_string(function.arguments.as_ref()),
            },
        });
    }

    let mut finish = resp.finish_reason.map_or(FinishReason::Stop, map_finish);
    if !calls.is_empty() && finish == FinishReason::Stop {
        finish = FinishReason::ToolCalls;
    }
    let content = if text.is_empty() && !calls.is_empty() {
        None
    } else {
        Some(text)
    };

    Ok(LlmResponse::Chat(ChatResponse {
        id: resp.id.unwrap_or_else(|| ctx.env.new_id("chatcmpl-")),
        object: "chat.completion".to_string(),
        created: ctx.env.now_unix(),
        model: Some(ctx.model.to_string()),
        choices: vec![ChatChoice {
            index: 0,
            message: AssistantMessage {
                role: Role::Assistant,
                content,
                reasoning_content: Some(reasoning).filter(|r| !r.is_empty()),
                tool_calls: Some(calls).filter(|c| !c.is_empty()),
                refusal: None,
                reasoning_blocks: Vec::new(),
            },
            finish_reason: Some(finish),
        }],
        usage: resp.usage.as_ref().and_then(chat_usage),
        system_fingerprint: None,
    }))
}

/// Decodes a `/v1/generate` answer (every generation becomes a choice).
pub fn decode_completions(
    body: &[u8],
    ctx: &ResponseCtx<'_>,
) -> Result<LlmResponse, TranslateError> {
    let resp: wire::GenerateResponse = serde_json::from_slice(body)?;
    let generations = resp
        .generations
        .filter(|g| !g.is_empty())
        .ok_or_else(|| TranslateError::new(MISSING_TEXT))?;
    let mut choices = Vec::with_capacity(generations.len());
    for (i, g) in generations.into_iter().enumerate() {
        let text = g.text.ok_or_else(|| TranslateError::new(MISSING_TEXT))?;
        choices.push(CompletionChoice {
            index: g
                .index
                .unwrap_or_else(|| u32::try_from(i).unwrap_or(u32::MAX)),
            text,
            logprobs: None,
            finish_reason: Some(g.finish_reason.map_or(FinishReason::Stop, map_finish)),
        });
    }
    Ok(LlmResponse::Completions(CompletionsResponse {
        id: resp.id.unwrap_or_else(|| ctx.env.new_id("cmpl-")),
        object: "text_completion".to_string(),
        created: ctx.env.now_unix(),
        model: Some(ctx.model.to_string()),
        choices,
        usage: resp
            .meta
            .as_ref()
            .and_then(|m| usage_of(m.billed_units.as_ref())),
    }))
}

/// Decodes a `/v2/embed` answer (`embeddings.float`; usage from billed input tokens).
pub fn decode_embeddings(
    body: &[u8],
    ctx: &ResponseCtx<'_>,
) -> Result<LlmResponse, TranslateError> {
    let resp: wire::EmbedResponse = serde_json::from_slice(body)?;
    let vectors = match resp.embeddings {
        Some(wire::Embeddings::Floats(v)) => v,
        Some(wire::Embeddings::ByType { float: Some(v) }) => v,
        _ => {
            return Err(TranslateError::new(
                "'embeddings.float' missing from cohere response body",
            ))
        }
    };
    let data = vectors
        .into_iter()
        .enumerate()
        .map(|(i, v)| Embedding {
            object: "embedding".to_string(),
            index: u32::try_from(i).unwrap_or(u32::MAX),
            embedding: serde_json::Value::from(v),
        })
        .collect();
    let prompt = resp
        .meta
        .as_ref()
        .and_then(|m| m.billed_units.as_ref())
        .and_then(|u| u.input_tokens);
    Ok(LlmResponse::Embeddings(EmbeddingsResponse {
        object: "list".to_string(),
        data,
        model: Some(ctx.model.to_string()),
        usage: prompt.map(|p| Usage::new(count(Some(p)), 0)),
    }))
}
