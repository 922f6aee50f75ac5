//! Ollama → OpenAI: `/api/chat`, `/api/generate` and `/api/embed` answers.
//!
//! Ollama gives no answer id (a fresh `chatcmpl-`/`cmpl-` id is made), names the model, and
//! stamps `created_at` in RFC 3339 (converted to unix seconds; the gateway clock when absent or
//! unparsable). Usage is `prompt_eval_count` / `eval_count`. Tool-call arguments arrive as an
//! object and leave as OpenAI's JSON string; calls without an id get a generated one.

use crate::api::chat::{AssistantMessage, ChatChoice, FunctionCall, Role, ToolCall};
use crate::api::completions::CompletionChoice;
use crate::api::embeddings::Embedding;
use crate::api::{
    ChatResponse, CompletionsResponse, EmbeddingsResponse, FinishReason, LlmResponse, Usage,
};
use crate::error::TranslateError;
use crate::providers::ResponseCtx;

use super::wire;

/// Maps `done_reason` to OpenAI's set; tool calls win (Ollama says `stop` after calling tools).
pub fn map_finish(reason: Option<wire::DoneReason>, called_tools: bool) -> FinishReason {
    match reason {
        _ if called_tools => FinishReason::ToolCalls,
        Some(wire::DoneReason::Length) => FinishReason::Length,
        Some(
            wire::DoneReason::Stop
            | wire::DoneReason::Load
            | wire::DoneReason::Unload
            | wire::DoneReason::Unknown,
        )
        | None => FinishReason::Stop,
    }
}

/// Usage from the counts (`None` when Ollama reported neither).
pub fn usage_of(resp: &wire::Response) -> Option<Usage> {
    if resp.prompt_eval_count.is_none() && resp.eval_count.is_none() {
        return None;
    }
    Some(Usage::new(
        resp.prompt_eval_count.unwrap_or(0),
        resp.eval_count.unwrap_or(0),
    ))
}

/// One tool call of an answer as OpenAI's (arguments as a JSON string).
pub fn tool_call(
    call: &wire::ResponseToolCall,
    fallback_id: impl FnOnce() -> String,
) -> Result<ToolCall, TranslateError> {
    let function = call.function.clone().unwrap_or_default();
    let name = function
        .name
        .ok_or_else(|| TranslateError::new("ollama tool call without a function name"))?;
    let arguments = FunctionCall::arguments_from_json(function.arguments.as_ref());
    Ok(ToolCall {
        id: call.id.clone().unwrap_or_else(fallback_id),
        kind: "function".to_string(),
        function: FunctionCall { name, arguments },
    })
}

fn parse(body: &[u8]) -> Result<wire::Response, TranslateError> {
    let resp: wire::Response = serde_json::from_slice(body)?;
    if let Some(err) = resp.error.as_ref() {
        return Err(TranslateError::new(format!("ollama error: {err}")));
    }
    Ok(resp)
}

fn created(resp_created_at: Option<&str>, ctx: &ResponseCtx<'_>) -> u64 {
    resp_created_at
        .and_then(parse_rfc3339)
        .unwrap_or_else(|| ctx.env.now_unix())
}

/// Decodes an `/api/chat` answer.
pub fn decode_chat(body: &[u8], ctx: &ResponseCtx<'_>) -> Result<LlmResponse, TranslateError> {
    let resp = parse(body)?;
    let message = resp
        .message
        .clone()
        .ok_or_else(|| TranslateError::new("'message' missing from ollama response body"))?;
    let base = ctx.env.new_id("call_");
    let calls = message
        .tool_calls
        .iter()
        .flatten()
        .enumerate()
        .map(|(i, c)| tool_call(c, || format!("{base}_{i}")))
        .collect::<Result<Vec<_>, _>>()?;
    let text = message.content.unwrap_or_default();
    let finish = map_finish(resp.done_reason, !calls.is_empty());
    Ok(LlmResponse::Chat(ChatResponse {
        id: ctx.env.new_id("chatcmpl-"),
        object: "chat.completion".to_string(),
        created: created(resp.created_at.as_deref(), ctx),
        model: Some(resp.model.clone().unwrap_or_else(|| ctx.model.to_string())),
        choices: vec![ChatChoice {
            index: 0,
            message: AssistantMessage {
                role: Role::Assistant,
                content: if text.is_empty() && !calls.is_empty() {
                    None
                } else {
                    Some(text)
                },
                reasoning_content: message.thinking.filter(|t| !t.is_empty()),
                tool_calls: Some(calls).filter(|c| !c.is_empty()),
                refusal: None,
                reasoning_blocks: Vec::new(),
            },
            finish_reason: Some(finish),
        }],
        usage: usage_of(&resp),
        system_fingerprint: None,
    }))
}

/// Decodes an `/api/generate` answer.
pub fn decode_completions(
    body: &[u8],
    ctx: &ResponseCtx<'_>,
) -> Result<LlmResponse, TranslateError> {
    let resp = parse(body)?;
    let text = resp
        .response
        .clone()
        .ok_or_else(|| TranslateError::new("'response' missing from ollama response body"))?;
    Ok(LlmResponse::Completions(CompletionsResponse {
        id: ctx.env.new_id("cmpl-"),
        object: "text_completion".to_string(),
        created: created(resp.created_at.as_deref(), ctx),
        model: Some(resp.model.clone().unwrap_or_else(|| ctx.model.to_string())),
        choices: vec![CompletionChoice {
            index: 0,
            text,
            logprobs: None,
            finish_reason: Some(map_finish(resp.done_reason, false)),
        }],
        usage: usage_of(&resp),
    }))
}

/// Decodes an `/api/embed` answer.
pub fn decode_embeddings(
    body: &[u8],
    ctx: &ResponseCtx<'_>,
) -> Result<LlmResponse, TranslateError> {
    let resp: wire::EmbedResponse = serde_json::from_slice(body)?;
    if let Some(err) = resp.error {
        return Err(TranslateError::new(format!("ollama error: {err}")));
    }
    let vectors = resp
        .embeddings
        .ok_or_else(|| TranslateError::new("'embeddings' missing from ollama response body"))?;
    let data = vectors
        .into_iter()
        .enumerate()
        .map(|(i, v)| Embedding {
            object: "embedding".to_string(),
            index: u32::try_from(i).unwrap_or(u32::MAX),
            embedding: serde_json::Value::from(v),
        })
        .collect();
    Ok(LlmResponse::Embeddings(EmbeddingsResponse {
        object: "list".to_string(),
        data,
        model: Some(resp.model.unwrap_or_else(|| ctx.model.to_string())),
        usage: resp.prompt_eval_count.map(|p| Usage::new(p, 0)),
    }))
}

/// Parses an RFC 3339 timestamp (`2023-08-04T08:52:19.385406455-07:00`, `…Z`) to unix
/// seconds; fractions are dropped. `None` for anything malformed or before 1970.
pub fn parse_rfc3339(s: &str) -> Option<u64> {
    let b = s.as_bytes();
    let num = |from: usize, len: usize| -> Option<i64> {
        let digits = b.get(from..from.checked_add(len)?)?;
        digits.iter().try_fold(0i64, |acc, &d| {
            d.is_ascii_digit().then(|| acc * 10 + i64::from(d - b'0'))
        })
    };
    let sep = |at: usize, ok: &[u8]| b.get(at).is_some_and(|c| ok.contains(c));
    if !(sep(4, b"-") && sep(7, b"-") && sep(10, b"Tt ") && sep(13, b":") && sep(16, b":")) {
        return None;
    }
    let (year, month, day) = (num(0, 4)?, num(5, 2)?, num(8, 2)?);
    let (hour, minute, second) = (num(11, 2)?, num(14, 2)?, num(17, 2)?);
    if !(1..=12).contains(&month)
        || !(1..=31).contains(&day)
        || hour > 23
        || minute > 59
        || second > 60
    {
        return None;
    }
    // Skip the fraction, then read the offset.
    let mut at = 19;
    if sep(at, b".") {
        at += 1;
        while b.get(at).is_some_and(u8::is_ascii_digit) {
            at += 1;
        }
    }
    let offset = match b.get(at) {
        Some(b'Z' | b'z') if at + 1 == b.len() => 0,
        Some(&c @ (b'+' | b'-')) if at + 6 == b.len() && sep(at + 3, b":") => {
            let secs = num(at + 1, 2)? * 3600 + num(at + 4, 2)? * 60;
            if c == b'+' {
                secs
            } else {
                -secs
            }
        }
        _ => return None,
    };
    let days = days_from_civil(year, month, day);
    let t = days * 86_400 + hour * 3600 + minute * 60 + second - offset;
    u64::try_from(t).ok()
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's `days_from_civil`).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::parse_rfc3339;

    #[test]
    fn rfc3339_examples_from_ollama_docs() {
        // 2023-08-04T19:22:45Z = 1691176965
        assert_eq!(
            parse_rfc3339("2023-08-04T19:22:45.499127Z"),
            Some(1_691_176_965)
        );
        // 08:52:19-07:00 = 15:52:19Z
        assert_eq!(
            parse_rfc3339("2023-08-04T08:52:19.385406455-07:00"),
            Some(1_691_164_339)
        );
        assert_eq!(parse_rfc3339("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(
            parse_rfc3339("2000-02-29T12:00:00+01:00"),
            Some(951_822_000)
        );
    }

    #[test]
    fn rfc3339_rejects_garbage() {
        for s in [
            "",
            "2023",
            "2023-08-04",
            "2023-08-04T19:22:45",
            "2023-13-04T19:22:45Z",
            "2023-08-04T19:22:45Zjunk",
            "1969-12-31T23:59:59Z",
            "2023-08-04T19:22:45+0100",
            "２023-08-04T19:22:45Z",
        ] {
            assert_eq!(parse_rfc3339(s), None, "{s}");
        }
    }
}
