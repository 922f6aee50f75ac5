//! Anthropic → OpenAI: Messages API answers to `chat.completion`, Text Completions answers to
//! `text_completion` (docs/kong-compatibility.md §13.2; finish reasons mapped per docs/kong-compatibility.md
//! §11 instead of Kong's raw `end_turn`, usage never a string).

use super::wire::{CompleteResponse, ContentBlock, MessagesResponse, StopReason, Usage};
use crate::api::chat::{AssistantMessage, ChatChoice, ChatResponse, FunctionCall, Role, ToolCall};
use crate::api::completions::{CompletionChoice, CompletionsResponse};
use crate::api::usage::PromptTokensDetails;
use crate::api::{FinishReason, Usage as OpenAiUsage};
use crate::env::Env;
use crate::error::TranslateError;

/// Kong's reason when a chat answer has no `content`.
pub const NO_CONTENT: &str = "'content' not in anthropic://llm/v1/chat response";
/// The completions counterpart (Kong says `llm/v1/chat` here by mistake; we name the route).
pub const NO_COMPLETION: &str = "'completion' not in anthropic://llm/v1/completions response";

/// Maps `stop_reason` to OpenAI's set ("Handling stop reasons"): `end_turn`,
/// `stop_sequence` and `pause_turn` → `stop` (the turn ended; a paused server-tool turn is
/// resumed by the client sending it back), `max_tokens` and `model_context_window_exceeded`
/// → `length`, `tool_use` → `tool_calls`, `refusal` → `content_filter`, unknown → `stop`.
pub fn finish_reason(reason: StopReason) -> FinishReason {
    match reason {
        StopReason::EndTurn
        | StopReason::StopSequence
        | StopReason::PauseTurn
        | StopReason::Unknown => FinishReason::Stop,
        StopReason::MaxTokens | StopReason::ModelContextWindowExceeded => FinishReason::Length,
        StopReason::ToolUse => FinishReason::ToolCalls,
        StopReason::Refusal => FinishReason::ContentFilter,
    }
}

/// Anthropic usage in OpenAI's shape ("Prompt caching": `input_tokens` counts only the
/// uncached part, so prompt = input + cache read + cache write). `cached_tokens` = cache
/// reads, `cache_creation_tokens` = cache writes, each present when Anthropic reports it.
pub fn usage(u: &Usage) -> OpenAiUsage {
    let read = u.cache_read_input_tokens;
    let write = u.cache_creation_input_tokens;
    let prompt = u
        .input_tokens
        .unwrap_or(0)
        .saturating_add(read.unwrap_or(0))
        .saturating_add(write.unwrap_or(0));
    let mut out = OpenAiUsage::new(prompt, u.output_tokens.unwrap_or(0));
    if read.is_some() || write.is_some() {
        out.prompt_tokens_details = Some(PromptTokensDetails {
            cached_tokens: read,
            cache_creation_tokens: write,
        });
    }
    out
}

/// Decodes a Messages API answer.
///
/// Text blocks are concatenated without a separator (Anthropic splits one answer into
/// several text blocks around citations; the stream gives the same text), `thinking` blocks
/// become `reasoning_content`, `tool_use` blocks become `tool_calls` with the input
/// serialised as the arguments string. Content is `null` when the answer only calls tools.
pub fn decode_chat(
    body: &[u8],
    model: &str,
    env: &dyn Env,
) -> Result<ChatResponse, TranslateError> {
    let resp: MessagesResponse = serde_json::from_slice(body).map_err(|e| {
        TranslateError::new(format!("anthropic answer is not a valid message: {e}"))
    })?;
    let Some(blocks) = resp.content else {
        return Err(TranslateError::new(NO_CONTENT));
    };
    let mut text = String::new();
    let mut reasoning: Option<String> = None;
    let mut calls = Vec::new();
    for block in blocks {
        match block {
            ContentBlock::Text { text: t } => text.push_str(&t),
            ContentBlock::Thinking { thinking } => {
                reasoning
                    .get_or_insert_with(String::new)
                    .push_str(&thinking);
            }
            ContentBlock::ToolUse { id, name, input } => calls.push(ToolCall {
                id,
                kind: "function".to_string(),
                function: FunctionCall {
                    name,
                    arguments: serde_json::to_string(&input)?,
                },
            }),
            ContentBlock::Unknown => {}
        }
    }
    let content = if text.is_empty() && !calls.is_empty() {
        None
    } else {
        Some(text)
    };
    Ok(ChatResponse {
        id: resp.id.unwrap_or_else(|| env.new_id("chatcmpl-")),
        object: "chat.completion".to_string(),
        created: env.now_unix(),
        model: Some(resp.model.unwrap_or_else(|| model.to_string())),
        choices: vec![ChatChoice {
            index: 0,
            message: AssistantMessage {
                role: Role::Assistant,
                content,
                reasoning_content: reasoning,
                tool_calls: (!calls.is_empty()).then_some(calls),
                refusal: None,
                reasoning_blocks: Vec::new(),
            },
            finish_reason: resp.stop_reason.map(finish_reason),
        }],
        usage: resp.usage.as_ref().map(usage),
        system_fingerprint: None,
    })
}

/// Decodes a legacy Text Completions answer. The API reports no token counts, so `usage` is
/// left out rather than estimated.
pub fn decode_completions(
    body: &[u8],
    model: &str,
    env: &dyn Env,
) -> Result<CompletionsResponse, TranslateError> {
    let resp: CompleteResponse = serde_json::from_slice(body).map_err(|e| {
        TranslateError::new(format!("anthropic answer is not a valid completion: {e}"))
    })?;
    let Some(text) = resp.completion else {
        return Err(TranslateError::new(NO_COMPLETION));
    };
    Ok(CompletionsResponse {
        id: resp.id.unwrap_or_else(|| env.new_id("cmpl-")),
        object: "text_completion".to_string(),
        created: env.now_unix(),
        model: Some(resp.model.unwrap_or_else(|| model.to_string())),
        choices: vec![CompletionChoice {
            index: 0,
            text,
            logprobs: None,
            finish_reason: resp.stop_reason.map(finish_reason),
        }],
        usage: None,
    })
}
