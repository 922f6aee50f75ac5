//! Bedrock → OpenAI: a Converse answer becomes a `chat.completion` (or a `text_completion`);
//! embeddings answers are decoded in `embeddings.rs`.
//!
//! References: Bedrock API Reference `API_runtime_Converse` (response: `output.message`,
//! `stopReason`, `usage`), `API_runtime_TokenUsage`, Bedrock User Guide "Prompt caching"
//! (total input = `inputTokens` + `cacheReadInputTokens` + `cacheWriteInputTokens`). Bedrock returns no answer id and no model name: the id
//! comes from `env.new_id`, the model is the one the request was sent for.

use super::wire::{ConverseResponse, StopReason, TokenUsage};
use crate::api::chat::{
    AssistantMessage, ChatChoice, ChatResponse, FunctionCall, ReasoningBlock, Role, ToolCall,
};
use crate::api::completions::{CompletionChoice, CompletionsResponse};
use crate::api::usage::PromptTokensDetails;
use crate::api::{FinishReason, Usage};
use crate::error::TranslateError;
use crate::providers::ResponseCtx;

/// `stopReason` → OpenAI's set (docs/kong-compatibility.md §11).
pub fn finish_reason(reason: StopReason) -> FinishReason {
    match reason {
        StopReason::EndTurn | StopReason::StopSequence | StopReason::Unknown => FinishReason::Stop,
        StopReason::MaxTokens => FinishReason::Length,
        StopReason::ToolUse => FinishReason::ToolCalls,
        StopReason::GuardrailIntervened | StopReason::ContentFiltered => {
            FinishReason::ContentFilter
        }
    }
}

/// `TokenUsage` → OpenAI usage: prompt tokens include cache reads and writes (reported as
/// `cached_tokens` / `cache_creation_tokens`); the total is Bedrock's when given.
pub fn usage(u: &TokenUsage) -> Usage {
    let read = u.cache_read_input_tokens.unwrap_or(0);
    let write = u.cache_write_input_tokens.unwrap_or(0);
    let prompt = u.input_tokens.saturating_add(read).saturating_add(write);
    let mut out = Usage::new(prompt, u.output_tokens);
    if let Some(total) = u.total_tokens {
        out.total_tokens = total;
    }
    if u.cache_read_input_tokens.is_some() || u.cache_write_input_tokens.is_some() {
        out.prompt_tokens_details = Some(PromptTokensDetails {
            cached_tokens: u.cache_read_input_tokens,
            cache_creation_tokens: u.cache_write_input_tokens,
        });
    }
    out
}

/// The parts of a Converse answer both routes use.
struct Answer {
    text: Option<String>,
    reasoning: Option<String>,
    reasoning_blocks: Vec<ReasoningBlock>,
    tool_calls: Vec<ToolCall>,
    finish: Option<FinishReason>,
    usage: Option<Usage>,
}

fn read_answer(body: &[u8]) -> Result<Answer, TranslateError> {
    let resp: ConverseResponse = serde_json::from_slice(body)?;
    let message = resp
        .output
        .and_then(|o| o.message)
        .ok_or_else(|| TranslateError::new("no generation candidates received from Bedrock"))?;
    let mut text: Option<String> = None;
    let mut reasoning: Option<String> = None;
    let mut reasoning_blocks = Vec::new();
    let mut tool_calls = Vec::new();
    for block in message.content {
        if let Some(t) = block.text {
            text.get_or_insert_with(String::new).push_str(&t);
        }
        if let Some(r) = block.reasoning_content {
            if let Some(t) = r.reasoning_text {
                reasoning.get_or_insert_with(String::new).push_str(&t.text);
                reasoning_blocks.push(ReasoningBlock {
                    text: t.text,
                    signature: t.signature.filter(|s| !s.is_empty()),
                    redacted: None,
                });
            } else if let Some(data) = r.redacted_content.filter(|d| !d.is_empty()) {
                reasoning_blocks.push(ReasoningBlock {
                    redacted: Some(data),
                    ..ReasoningBlock::default()
                });
            }
        }
        if let Some(call) = block.tool_use {
            tool_calls.push(ToolCall {
                id: call.tool_use_id,
                kind: "function".to_string(),
                function: FunctionCall {
                    name: call.name,
                    arguments: call.input.to_string(),
                },
            });
        }
    }
    Ok(Answer {
        text,
        reasoning,
        reasoning_blocks,
        tool_calls,
        finish: resp.stop_reason.map(finish_reason),
        usage: resp.usage.as_ref().map(usage),
    })
}

/// Converse answer → `chat.completion`. Text blocks are joined; content is `null` when the turn
/// only calls tools.
pub fn decode_chat(body: &[u8], ctx: &ResponseCtx<'_>) -> Result<ChatResponse, TranslateError> {
    let a = read_answer(body)?;
    let content = match a.text {
        Some(t) => Some(t),
        None if a.tool_calls.is_empty() => Some(String::new()),
        None => None,
    };
    Ok(ChatResponse {
        id: ctx.env.new_id("chatcmpl-"),
        object: "chat.completion".to_string(),
        created: ctx.env.now_unix(),
        model: Some(ctx.model.to_string()),
        choices: vec![ChatChoice {
            index: 0,
            message: AssistantMessage {
                role: Role::Assistant,
                content,
                reasoning_content: a.reasoning,
                tool_calls: Some(a.tool_calls).filter(|c| !c.is_empty()),
                refusal: None,
                reasoning_blocks: a.reasoning_blocks,
            },
            finish_reason: a.finish,
        }],
        usage: a.usage,
        system_fingerprint: None,
    })
}

/// Converse answer → `text_completion` (tool calls and reasoning have no place there).
pub fn decode_completions(
    body: &[u8],
    ctx: &ResponseCtx<'_>,
) -> Result<CompletionsResponse, TranslateError> {
    let a = read_answer(body)?;
    Ok(CompletionsResponse {
        id: ctx.env.new_id("cmpl-"),
        object: "text_completion".to_string(),
        created: ctx.env.now_unix(),
        model: Some(ctx.model.to_string()),
        choices: vec![CompletionChoice {
            index: 0,
            text: a.text.unwrap_or_default(),
            logprobs: None,
            finish_reason: a.finish,
        }],
        usage: a.usage,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stop_reasons_map_to_openai_set() {
        assert_eq!(finish_reason(StopReason::EndTurn), FinishReason::Stop);
        assert_eq!(finish_reason(StopReason::StopSequence), FinishReason::Stop);
        assert_eq!(finish_reason(StopReason::MaxTokens), FinishReason::Length);
        assert_eq!(finish_reason(StopReason::ToolUse), FinishReason::ToolCalls);
        assert_eq!(
            finish_reason(StopReason::GuardrailIntervened),
            FinishReason::ContentFilter
        );
        assert_eq!(
            finish_reason(StopReason::ContentFiltered),
            FinishReason::ContentFilter
        );
        assert_eq!(finish_reason(StopReason::Unknown), FinishReason::Stop);
    }

    #[test]
    fn unknown_stop_reason_is_tolerated() {
        let r: StopReason = serde_json::from_str("\"model_context_window_exceeded\"").unwrap();
        assert_eq!(r, StopReason::Unknown);
        assert_eq!(finish_reason(r), FinishReason::Stop);
    }

    #[test]
    fn usage_adds_cache_tokens_to_prompt() {
        let u = TokenUsage {
            input_tokens: 4,
            output_tokens: 465,
            total_tokens: Some(2331),
            cache_read_input_tokens: Some(0),
            cache_write_input_tokens: Some(1862),
        };
        let o = usage(&u);
        assert_eq!(o.prompt_tokens, 1866);
        assert_eq!(o.completion_tokens, 465);
        assert_eq!(o.total_tokens, 2331);
        let d = o.prompt_tokens_details.unwrap();
        assert_eq!(d.cached_tokens, Some(0));
        assert_eq!(d.cache_creation_tokens, Some(1862));
    }
}
